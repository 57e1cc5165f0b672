// Small helpers for every page; each page works without them.
// - The menu's groups (<details>) close on a click elsewhere or Escape.
// - A long list to choose from (a <select> of many entries, such as the venue of a paper batch)
//   gets a box above it that narrows the list as you type, accents and case ignored.
// - A form marked data-submit-once sends once: a second click does nothing.
(function () {
  "use strict";

  // --- the menu -------------------------------------------------------------------------
  var groups = document.querySelectorAll("details.navgroup");
  function closeMenus(except) {
    groups.forEach(function (d) { if (d !== except) { d.removeAttribute("open"); } });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.navgroup") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("details.navgroup[open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });

  // --- searchable long pickers ------------------------------------------------------------
  var LONG = 15;
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().replace(/\s+/g, " ").trim();
  }
  function makeSearchable(select) {
    var options = Array.prototype.slice.call(select.options);
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.autocomplete = "off";
    box.placeholder = select.getAttribute("data-search-placeholder") ||
      document.documentElement.getAttribute("data-picker-placeholder") || "";
    box.setAttribute("aria-label", box.placeholder);
    if (select.id) { box.id = select.id + "-search"; }
    var count = document.createElement("small");
    count.className = "picker-count hint";
    count.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(count, select.nextSibling);
    function filter() {
      var words = fold(box.value).split(" ").filter(Boolean);
      var shown = 0;
      var first = null;
      options.forEach(function (option) {
        var text = fold(option.textContent);
        var match = option.value === "" || words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match && option.value !== "") {
          shown += 1;
          if (!first) { first = option; }
        }
      });
      if (words.length && first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden ||
          select.options[select.selectedIndex].value === "")) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      count.textContent = words.length ? count.getAttribute("data-template").replace("{n}", shown) : "";
    }
    count.setAttribute("data-template",
      document.documentElement.getAttribute("data-picker-count") || "{n}");
    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }
  document.querySelectorAll("select").forEach(function (select) {
    if (!select.multiple && (select.options.length > LONG || select.hasAttribute("data-searchable"))) {
      makeSearchable(select);
    }
  });

  // --- forms sent once ----------------------------------------------------------------------
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("sending");
      });
    });
  });
}());
