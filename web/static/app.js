// Small progressive enhancement only; every page works without this file.
"use strict";

// Switching language reloads the page, which would lose what was typed in its forms: the switch
// keeps it in this tab's sessionStorage, and the page it leads to puts it back once and forgets
// it. Never passwords, files or hidden fields (the CSRF token, a row version): the server's own.
var TYPED_KEY = "xuewei.typed-before-language-switch";
var SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "reset", "image"];

function keptField(el) {
  return el.name && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && SKIPPED_TYPES.indexOf(el.type) < 0;
}

function formKey(form, index) { return form.id || "#" + index; }

function keepTyped() {
  var forms = {};
  Array.prototype.forEach.call(document.forms, function (form, index) {
    forms[formKey(form, index)] = Array.prototype.filter.call(form.elements, keptField).map(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return {name: el.name, value: el.value, checked: el.checked}; }
      if (el.type === "select-multiple") {
        return {name: el.name, selected: Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; })};
      }
      return {name: el.name, value: el.value};
    });
  });
  try {
    sessionStorage.setItem(TYPED_KEY, JSON.stringify({path: location.pathname, forms: forms}));
  } catch (ignored) {}  // storage off or full: the switch works, the typing is lost as without this file
}

function restoreTyped() {
  var kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(TYPED_KEY));
    sessionStorage.removeItem(TYPED_KEY);
  } catch (ignored) {}
  if (!kept || kept.path !== location.pathname) { return; }
  Array.prototype.forEach.call(document.forms, function (form, index) {
    var fields = kept.forms[formKey(form, index)] || [], nth = {};
    fields.forEach(function (field) {
      var named = Array.prototype.filter.call(form.elements, function (el) { return keptField(el) && el.name === field.name; });
      if ("checked" in field) {
        named.forEach(function (el) { if (el.value === field.value) { el.checked = field.checked; } });
        return;
      }
      var position = nth[field.name] || 0, el = named[position];  // the n-th of fields sharing a name
      nth[field.name] = position + 1;
      if (!el) { return; }
      if (field.selected) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = field.selected.indexOf(o.value) >= 0; });
      } else if (el.tagName !== "SELECT" || Array.prototype.some.call(el.options, function (o) { return o.value === field.value; })) {
        el.value = field.value;
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  restoreTyped();  // first: what the handlers below read on load (a ticked confirmation) is then the family's
  var languageSwitch = document.getElementById("lang-switch");
  if (languageSwitch) { languageSwitch.addEventListener("click", keepTyped); }
  // A page that comes back from the server with errors takes focus there, or keyboard and
  // screen-reader users are left at its top: the first field marked invalid (its error is its
  // description), else the error summary (role="alert", see the error_summary macro).
  var refused = document.querySelector("form [aria-invalid=true]") || document.querySelector("[data-error-summary]");
  if (refused) { refused.focus(); }
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
