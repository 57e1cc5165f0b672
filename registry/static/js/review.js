// Settling double entry with the keyboard: in a row of differences, 1 takes the first keying,
// 2 the second (then the next row gets the focus), 3 goes to the box for another value. Typing
// in that box ticks it. The page works without this, with Tab and the arrow keys.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr.diff"));

  function focusRow(index) {
    var row = rows[index];
    if (!row) { form.querySelector("#settle-all").focus(); return; }
    var checked = row.querySelector("input[type=radio]:checked");
    (checked || row.querySelector("input[type=radio]")).focus();
  }

  form.addEventListener("keydown", function (event) {
    var row = event.target.closest && event.target.closest("tr.diff");
    if (!row || event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (event.target.type === "text") {
      if (event.key === "Enter") {  // the typed value is done: on to the next difference
        event.preventDefault();
        focusRow(rows.indexOf(row) + 1);
      }
      return;
    }
    var pick = { "1": "first", "2": "second", "3": "typed" }[event.key];
    if (!pick) { return; }
    var radio = row.querySelector("input[type=radio][value=" + pick + "]");
    if (!radio) { return; }
    event.preventDefault();
    radio.checked = true;
    if (pick === "typed") {
      row.querySelector("input[type=text]").focus();
    } else {
      focusRow(rows.indexOf(row) + 1);
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.type !== "text") { return; }
    var row = event.target.closest("tr.diff");
    var radio = row && row.querySelector("input[type=radio][value=typed]");
    if (radio && event.target.value.trim()) { radio.checked = true; }
  });

  // The first difference not yet chosen gets the focus when the page opens.
  var open = rows.findIndex(function (r) { return !r.querySelector("input[type=radio]:checked"); });
  if (open >= 0) { focusRow(open); }
}());
