// Keying a paper sheet: Ctrl+D fills the box with the same box of the line above (like
// Excel's fill-down); the page works without it. The saved lines, as typed, are in the form's
// data-lines attribute ({"3": {"time_in": "08:30", "address": "Thôn Đông", …}}).
(function () {
  "use strict";
  var form = document.getElementById("line-form");
  if (!form) { return; }
  var lines = {};
  try { lines = JSON.parse(form.getAttribute("data-lines") || "{}"); } catch (e) { lines = {}; }

  function lineAbove() {
    // The line just above the one being keyed, else the nearest one above it, else the last
    // line saved (a sheet keyed out of order).
    var box = form.querySelector("[name=line_no]");
    var current = box ? parseInt(box.value, 10) : NaN;
    var numbers = Object.keys(lines).map(Number).sort(function (a, b) { return a - b; });
    if (!numbers.length) { return null; }
    if (!isNaN(current)) {
      var above = numbers.filter(function (n) { return n < current; });
      if (above.length) { return lines[String(above[above.length - 1])]; }
    }
    return lines[String(numbers[numbers.length - 1])];
  }

  form.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || (event.key !== "d" && event.key !== "D")) { return; }
    var box = event.target;
    if (!box || box.tagName !== "INPUT" || !box.name) { return; }
    event.preventDefault();  // not the browser's bookmark
    var above = lineAbove();
    if (!above || above[box.name] === undefined) { return; }
    box.value = above[box.name];
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.select();
  });
}());
