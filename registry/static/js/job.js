// A job's progress page: polls the JSON endpoint and moves the bar; a reload just starts again.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("job-bar");
  var percent = document.getElementById("job-percent");
  var text = document.getElementById("job-text");
  var error = document.getElementById("job-error");
  var download = document.getElementById("job-download");
  var link = document.getElementById("job-download-link");
  var delay = 1000;

  function render(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + " %";
    percent.textContent = state.percent + " %";
    text.textContent = state.text;
    box.setAttribute("data-status", state.status);
    if (state.error) { error.textContent = state.error; error.hidden = false; }
    if (state.download_url) { link.href = state.download_url; download.hidden = false; }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("http"); }
        return response.json();
      })
      .then(function (state) {
        render(state);
        delay = 1000;
        if (state.status !== "done" && state.status !== "failed") { setTimeout(poll, delay); }
      }, function () {
        delay = Math.min(delay * 2, 15000);  // server restarting: try again, more slowly
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, 500);
}());
