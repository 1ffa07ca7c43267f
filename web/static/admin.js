// The ruleset editor puts the caret on a JSON syntax error: the server marks the textarea with
// the error's offset (data-error-offset, in the units a textarea counts; core.rules.json_syntax),
// this selects the character there and scrolls it into view, the textarea having no line numbers.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var area = document.querySelector("textarea[data-error-offset]");
  if (!area) { return; }
  var at = Math.min(parseInt(area.getAttribute("data-error-offset"), 10) || 0, area.value.length);
  var text = area.value;
  area.value = text.slice(0, at);  // the height of the text up to the error, wrapped lines and all
  var down = area.scrollHeight;
  area.value = text;
  area.focus({preventScroll: true});
  area.setSelectionRange(at, Math.min(at + 1, text.length));
  area.scrollTop = down > area.clientHeight ? down - area.clientHeight / 2 : 0;  // the error mid-height
  area.scrollIntoView({block: "center"});
});
