// Small progressive enhancement only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A form with data-confirm, or the button that sends it, asks before it is sent (activating a
  // ruleset mid-season; approving an application while documents are unchecked).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var asking = [event.submitter, form].filter(function (el) { return el && el.hasAttribute("data-confirm"); })[0];
      if (asking && !window.confirm(asking.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // A form marked data-once disables its buttons after the first submit (the server is idempotent anyway).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }  // not sent after all (a question answered "no")
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // A file input with data-max-bytes holds back a form whose file is too large: the server
  // refuses it too, but a request past the upload limit loses everything else typed in the form.
  document.querySelectorAll("form").forEach(function (form) {
    var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
    if (!inputs.length) { return; }
    var tooLarge = function (input) {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      return Array.prototype.some.call(input.files || [], function (file) { return file.size > max; });
    };
    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        input.setCustomValidity(tooLarge(input) ? input.getAttribute("data-too-large") : "");
      });
    });
    form.addEventListener("submit", function (event) {
      inputs.forEach(function (input) {
        if (tooLarge(input)) { event.preventDefault(); input.reportValidity(); }
      });
    });
  });
  // The submit confirmation: the button stays disabled until the guardian ticks the box.
  document.querySelectorAll("[data-requires-check]").forEach(function (button) {
    var box = document.getElementById(button.getAttribute("data-requires-check"));
    if (!box) { return; }
    var sync = function () { button.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });
  // While the sources are asked, every source not yet fetched shows "asking" until the answer reloads the page.
  document.querySelectorAll("form[data-fetch-sources]").forEach(function (form) {
    form.addEventListener("submit", function () {
      document.querySelectorAll("li[data-status]").forEach(function (row) {
        var state = row.querySelector(".source-state");
        if (state && row.getAttribute("data-status") !== "fetched") {
          state.textContent = state.getAttribute("data-asking");
          state.className = "source-state badge warn";
        }
      });
    });
  });
  // Pages that watch something changing (fact fetching) reload themselves while it runs.
  var refresh = document.querySelector("[data-refresh-seconds]");
  if (refresh) {
    var seconds = parseInt(refresh.getAttribute("data-refresh-seconds"), 10) || 3;
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
});
