// The card scan station: a USB scanner types the card's code and Enter into #scan-code.
// Runs all day without a reload: scans are sent one after another, the on-screen history is
// capped, and nothing else accumulates.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = document.getElementById("scan-code");
  var directionInput = document.getElementById("scan-direction");
  var result = document.getElementById("scan-result");
  var resultName = result.querySelector(".scan-name");
  var resultMessage = result.querySelector(".scan-message");
  var history = document.getElementById("scan-history");
  var counter = document.getElementById("scan-count");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var HISTORY_MAX = 15;
  var TIMEOUT_MS = 8000;
  var recorded = 0;
  var queue = Promise.resolve();
  var audio = null;

  function keepFocus() {
    // Other controls (the direction buttons) give focus back at once; typing goes to the input.
    if (document.activeElement !== input) { input.focus(); }
  }

  function beep(ok) {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = ok ? 1200 : 300;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.12 : 0.45));
    } catch (e) { /* no sound is fine */ }
  }

  function show(data) {
    result.className = "scan-result " + (data.ok ? "ok" : "bad");
    resultName.textContent = data.name || "";
    resultMessage.textContent = data.message;
    if (data.status === "recorded" || data.status === "exit") {
      recorded += 1;
      counter.textContent = "(" + recorded + " " + counter.getAttribute("data-label") + ")";
    }
    var item = document.createElement("li");
    item.className = data.ok ? "ok" : "bad";
    var time = data.at || new Date().toTimeString().slice(0, 5);
    item.textContent = time + " · " + (data.name ? data.name + " · " : "") + data.message;
    history.insertBefore(item, history.firstChild);
    while (history.children.length > HISTORY_MAX) { history.removeChild(history.lastChild); }
    beep(data.ok);
  }

  function send(code, direction) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf,
                "Accept": "application/json"},
      body: JSON.stringify({code: code, direction: direction}),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected || response.status === 401 || response.status === 403) {
        throw new Error("session");  // logged out (e.g. the account was changed): say so
      }
      if (!response.ok || type.indexOf("application/json") === -1) { throw new Error("http"); }
      return response.json();
    }).then(show, function (error) {
      var key = error && error.message === "session" ? "data-msg-session" : "data-msg-network";
      show({ok: false, status: "network", name: "", message: form.getAttribute(key)});
    }).then(function () { clearTimeout(timer); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";  // ready for the next card while this one is being recorded
    if (!code) { return; }
    var direction = directionInput.value;
    queue = queue.then(function () { return send(code, direction); });
  });

  Array.prototype.forEach.call(document.querySelectorAll(".direction-switch [data-direction]"),
    function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        directionInput.value = link.getAttribute("data-direction");
        Array.prototype.forEach.call(link.parentNode.children, function (other) {
          var active = other === link;
          other.classList.toggle("primary", active);
          other.setAttribute("aria-pressed", active ? "true" : "false");
        });
        result.className = "scan-result idle";
        resultName.textContent = "";
        resultMessage.textContent = form.getAttribute(
          directionInput.value === "exit" ? "data-msg-exit" : "data-msg-entry");
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", link.href);
        }
        keepFocus();
      });
    });

  input.addEventListener("blur", function () { setTimeout(keepFocus, 0); });
  document.addEventListener("click", function () { setTimeout(keepFocus, 0); });
  window.addEventListener("focus", keepFocus);
  document.addEventListener("visibilitychange", keepFocus);
  keepFocus();
}());
