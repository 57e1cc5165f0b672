// The card scan station: a USB scanner types the card's code and Enter into #scan-code.
// Runs all day without a reload: scans are sent one after another, the on-screen history is
// capped, and nothing else accumulates. Every scan carries a random id and its own time; when
// the network is down it is kept on the device (localStorage) and sent, in order, once the
// connection is back; the server records each id once, so sending again is harmless.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = document.getElementById("scan-code");
  var directionInput = document.getElementById("scan-direction");
  var result = document.getElementById("scan-result");
  var resultName = result.querySelector(".scan-name");
  var resultDetails = result.querySelector(".scan-details");
  var resultMessage = result.querySelector(".scan-message");
  var history = document.getElementById("scan-history");
  var counter = document.getElementById("scan-count");
  var network = document.getElementById("scan-network");
  var pending = document.getElementById("scan-pending");
  var pendingCount = document.getElementById("scan-pending-count");
  var rejected = document.getElementById("scan-rejected");
  var rejectedList = document.getElementById("scan-rejected-list");
  var household = document.getElementById("scan-household");
  var householdMembers = household.querySelector(".scan-household-members");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var point = form.getAttribute("data-point");
  var zone = form.getAttribute("data-zone");
  var QUEUE_KEY = "registry-scan-queue:" + point;
  var REJECTED_KEY = "registry-scan-rejected:" + point;
  var HISTORY_MAX = 15;
  var REJECTED_MAX = 100;
  var TIMEOUT_MS = 8000;
  var RETRY_MS = 15000;
  var BATCH = 50;
  var CLOCK_SLACK_MS = 5 * 60 * 1000;
  var recorded = 0;
  var queue = Promise.resolve();
  var flushing = false;
  var audio = null;

  function msg(name, values) {
    var text = form.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(values[key]);
    });
    return text;
  }

  // --- the device's store -------------------------------------------------------------------
  function load(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(key, items) {
    try { window.localStorage.setItem(key, JSON.stringify(items)); } catch (e) { /* full */ }
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }
  function localTime(millis) {
    // The server's local time zone, whatever the device is set to.
    return new Date(millis).toLocaleTimeString("vi-VN", {timeZone: zone, hour: "2-digit",
                                                          minute: "2-digit", hour12: false});
  }

  function showPending() {
    var count = load(QUEUE_KEY).length;
    pending.hidden = count === 0;
    pendingCount.textContent = pendingCount.getAttribute("data-label")
      .split("%(count)s").join(count);
  }
  function showRejected() {
    var items = load(REJECTED_KEY);
    rejected.hidden = items.length === 0;
    rejectedList.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = item.kind || "bad";
      li.textContent = [item.scanned_at, item.name, whoText(item), item.message, item.warning]
        .filter(Boolean).join(" · ");
      rejectedList.appendChild(li);
    });
  }
  function showNetwork(clockOffMinutes) {
    if (clockOffMinutes) {
      network.hidden = false;
      network.className = "scan-network clock";
      network.textContent = network.getAttribute("data-clock")
        .split("%(minutes)s").join(clockOffMinutes);
    } else if (navigator.onLine === false) {
      network.hidden = false;
      network.className = "scan-network offline";
      network.textContent = network.getAttribute("data-offline");
    } else if (network.className.indexOf("clock") === -1) {
      network.hidden = true;
    }
  }
  function checkClock(serverClock, sentAt) {
    // The server's clock against this device's, allowing for the time the answer took.
    var off = serverClock - (sentAt + Date.now()) / 2;
    showNetwork(Math.abs(off) > CLOCK_SLACK_MS ? Math.round(Math.abs(off) / 60000) : 0);
  }

  // --- what the station shows ---------------------------------------------------------------
  function keepFocus() {
    // Other controls give focus back at once; typing goes to the input. The household list is
    // the exception while someone ticks it with the keyboard.
    if (household.contains(document.activeElement)) { return; }
    // Without scrolling: on a small screen the page must not jump under a finger or a mouse
    // pressing a button further down (the press would land on something else).
    if (document.activeElement !== input) { input.focus({preventScroll: true}); }
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

  function whoText(data) {
    var parts = [];
    if (data.birth_year) { parts.push(msg("born", {year: data.birth_year})); }
    if (data.village) { parts.push(data.village); }
    if (data.card_number) { parts.push(msg("card", {number: data.card_number})); }
    return parts.join(" · ");
  }

  function addHistory(data, time) {
    var item = document.createElement("li");
    item.className = data.kind || (data.ok ? "ok" : "bad");
    item.textContent = [time, data.name, whoText(data), data.message, data.late ? msg("late") : ""]
      .filter(Boolean).join(" · ");
    history.insertBefore(item, history.firstChild);
    while (history.children.length > HISTORY_MAX) { history.removeChild(history.lastChild); }
  }

  function show(data, time) {
    result.className = "scan-result " + (data.kind || (data.ok ? "ok" : "bad"));
    resultName.textContent = data.name || "";
    resultDetails.textContent = whoText(data);
    resultMessage.textContent = data.message + (data.warning ? " " + data.warning : "");
    if (data.status === "recorded" || data.status === "exit") {
      recorded += 1;
      counter.textContent = "(" + recorded + " " + counter.getAttribute("data-label") + ")";
    }
    addHistory(data, time || data.at || "");
    showHousehold(data);
    beep(data.ok);
  }

  function showHousehold(data) {
    householdMembers.textContent = "";
    var members = (data.kind === "ok" || data.kind === "repeat") ? (data.household || []) : [];
    household.hidden = members.length === 0;
    household.querySelector("input[name=checkin_id]").value = data.checkin_id || "";
    household.setAttribute("data-holder", data.name || "");
    members.forEach(function (m) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "member";
      box.value = m.id;
      if (m.came) { box.checked = true; box.disabled = true; }
      var extra = [m.birth_year, m.relation, m.has_card ? household.getAttribute(
        "data-msg-own-card") : "", m.came ? household.getAttribute("data-msg-came") : ""]
        .filter(Boolean).join(", ");
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + m.name + " (" + extra + ")"));
      householdMembers.appendChild(label);
    });
  }

  // --- talking to the server ----------------------------------------------------------------
  function post(url, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf,
                "Accept": "application/json"},
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      clearTimeout(timer);
      var type = response.headers.get("Content-Type") || "";
      var failure = null;
      if (response.redirected || response.status === 401 || response.status === 403) {
        failure = new Error("session");  // logged out (e.g. the account was changed): say so
      } else if (response.status === 400 && type.indexOf("application/json") === -1) {
        failure = new Error("token");  // the page came from the cache with an old form token
      } else if (!response.ok || type.indexOf("application/json") === -1) {
        failure = new Error("http");
      }
      if (failure) { failure.status = response.status; throw failure; }
      return response.json();
    }, function (error) { clearTimeout(timer); throw error; });
  }

  function refreshSession() {
    var sentAt = Date.now();
    return fetch(form.getAttribute("data-session"), {credentials: "same-origin",
                                                     headers: {"Accept": "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || !response.ok || type.indexOf("application/json") === -1) {
          throw new Error("session");
        }
        return response.json();
      }).then(function (data) {
        csrf = data.csrf_token;
        checkClock(data.server_clock, sentAt);
      });
  }

  function keep(scan) {
    var items = load(QUEUE_KEY);
    items.push(scan);
    save(QUEUE_KEY, items);
    showPending();
  }

  function sendLive(scan) {
    return post(form.action, {id: scan.id, code: scan.code, direction: scan.direction,
                              at: scan.at, live: true})
      .then(function (data) { show(data, data.at); }, function (error) {
        if (error && error.message === "http" && error.status < 500) {
          show({ok: false, kind: "bad", name: "", message: msg("network")});
          return;
        }
        // No answer: the scan is kept with its id and time and sent again later (if it did
        // arrive meanwhile, the server answers from what it recorded).
        keep(scan);
        show({ok: true, kind: "stored", name: "", message: msg("stored") +
              (error && error.message === "session" ? " " + msg("login") : "")},
             localTime(scan.at));
        later();
      });
  }

  function flush() {
    if (flushing || navigator.onLine === false || load(QUEUE_KEY).length === 0) {
      return Promise.resolve();
    }
    flushing = true;
    var sent = 0;
    var refusedNow = 0;
    function next() {
      var batch = load(QUEUE_KEY).slice(0, BATCH);
      if (batch.length === 0) { return Promise.resolve(); }
      return post(form.getAttribute("data-upload"), {scans: batch}).then(function (data) {
        var answered = {};
        var refused = load(REJECTED_KEY);
        data.results.forEach(function (answer) {
          answered[answer.id] = true;
          sent += 1;
          addHistory(answer, answer.scanned_at);
          if (!answer.ok || answer.warning) { refused.unshift(answer); refusedNow += 1; }
        });
        save(REJECTED_KEY, refused.slice(0, REJECTED_MAX));
        save(QUEUE_KEY, load(QUEUE_KEY).filter(function (scan) { return !answered[scan.id]; }));
        showPending();
        showRejected();
        return next();
      });
    }
    return refreshSession().then(next).then(function () {
      if (sent) {
        // Green only when every kept scan was accepted; else the list below says which not.
        result.className = "scan-result " + (refusedNow ? "bad" : "ok");
        resultName.textContent = "";
        resultDetails.textContent = "";
        resultMessage.textContent = msg("sent", {count: sent});
      }
    }, function (error) {
      if (error && error.message === "session") {
        resultMessage.textContent = msg("login");
      }
      later();
    }).then(function () { flushing = false; });
  }

  var retryTimer = null;
  function later() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flushAll(); }, RETRY_MS);
  }
  function flushAll() {
    queue = queue.then(flush);
    return queue;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";  // ready for the next card while this one is being recorded
    if (!code) { return; }
    var scan = {id: newId(), code: code, direction: directionInput.value, at: Date.now()};
    queue = queue.then(function () {
      // Offline, or scans still waiting to go: keep this one behind them, in order.
      if (navigator.onLine === false || load(QUEUE_KEY).length > 0) {
        keep(scan);
        show({ok: true, kind: "stored", name: "", message: msg("stored")}, localTime(scan.at));
        flushAll();
        return null;
      }
      return sendLive(scan);
    });
  });

  household.addEventListener("submit", function (event) {
    event.preventDefault();
    var ids = Array.prototype.map.call(
      household.querySelectorAll("input[name=member]:checked:not(:disabled)"),
      function (box) { return parseInt(box.value, 10); });
    var visitId = parseInt(household.querySelector("input[name=checkin_id]").value, 10);
    household.hidden = true;
    input.focus();
    if (!ids.length) { return; }
    queue = queue.then(function () {
      return post(form.getAttribute("data-household"), {checkin_id: visitId, members: ids})
        .then(function (data) {
          data.results.forEach(function (answer) { addHistory(answer, answer.at); });
          result.className = "scan-result ok";
          resultName.textContent = household.getAttribute("data-holder") || "";
          resultDetails.textContent = "";
          resultMessage.textContent = data.message;
        }, function () {
          show({ok: false, kind: "bad", name: "", message: msg("network")});
        });
    });
  });

  document.getElementById("scan-rejected-clear").addEventListener("click", function () {
    save(REJECTED_KEY, []);
    showRejected();
    input.focus();
  });

  Array.prototype.forEach.call(document.querySelectorAll(".direction-switch [data-direction]"),
    function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        setDirection(link);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", link.href);
        }
        keepFocus();
      });
    });

  function setDirection(link) {
    directionInput.value = link.getAttribute("data-direction");
    Array.prototype.forEach.call(link.parentNode.children, function (other) {
      var active = other === link;
      other.classList.toggle("primary", active);
      other.setAttribute("aria-pressed", active ? "true" : "false");
    });
    result.className = "scan-result idle";
    resultName.textContent = "";
    resultDetails.textContent = "";
    resultMessage.textContent = form.getAttribute(
      directionInput.value === "exit" ? "data-msg-exit" : "data-msg-entry");
    household.hidden = true;
  }

  // A page opened from the device's copy keeps the direction its address asks for.
  if (/[?&]direction=exit/.test(window.location.search) && directionInput.value !== "exit") {
    setDirection(document.querySelector(".direction-switch [data-direction=exit]"));
  }

  input.addEventListener("blur", function () { setTimeout(keepFocus, 0); });
  document.addEventListener("click", function () { setTimeout(keepFocus, 0); });
  // A scanner typing while a household box has the focus still types into the code field.
  document.addEventListener("keydown", function (event) {
    if (document.activeElement === input || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if (event.key && event.key.length === 1 && event.key !== " ") {
      input.focus({preventScroll: true});
    }
  });
  window.addEventListener("focus", keepFocus);
  document.addEventListener("visibilitychange", keepFocus);
  window.addEventListener("online", function () { showNetwork(0); flushAll(); });
  window.addEventListener("offline", function () { showNetwork(0); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.getAttribute("data-worker"),
                                     {scope: form.getAttribute("data-scope")})
      .catch(function () { /* the page still works online */ });
  }
  showPending();
  showRejected();
  showNetwork(0);
  keepFocus();
  if (navigator.onLine !== false) {
    // A fresh form token (the page may be the device's copy) and a look at the clock; then
    // whatever was kept from before is sent.
    queue = queue.then(function () { return refreshSession().catch(function () {}); });
  }
  flushAll();
}());
