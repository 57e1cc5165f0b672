// The scan station's service worker (scope /scan/): keeps the station page and its own files,
// so a station opens without a network. The page is asked from the network first (it carries a
// fresh form token); when the network is down or hangs, the copy kept last time answers.
// Nothing else is touched: scans are sent by the page itself, which stores them while offline.
"use strict";

var CACHE = "scan-station-v1";
var FILES = ["../static/css/site.css", "../static/css/residents.css", "../static/js/scan.js"]
  .map(function (path) { return new URL(path, self.location).pathname; });
var STATION = /\/scan\/\d+$/;
// A network that answers nothing (a school's Wi-Fi without internet) counts as down after this.
var NETWORK_WAIT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key !== CACHE; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

// The network's answer (kept for next time when it is the station's page or file), or the copy
// kept last time when the network fails, or says nothing for NETWORK_WAIT_MS.
function answer(request, key) {
  var network = fetch(request).then(function (response) {
    // Keep only a real page of the station (not the login page it may be redirected to).
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  });
  function kept() { return caches.match(key); }
  return new Promise(function (resolve) {
    var timer = setTimeout(function () {
      kept().then(function (hit) { if (hit) { resolve(hit); } });
    }, NETWORK_WAIT_MS);
    network.then(function (response) { clearTimeout(timer); resolve(response); }, function () {
      clearTimeout(timer);
      kept().then(function (hit) { resolve(hit || Response.error()); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var isStation = STATION.test(url.pathname);
  if (!isStation && FILES.indexOf(url.pathname) === -1) { return; }
  // One copy per station page, whatever its query (?direction=exit).
  var key = url.origin + url.pathname;
  event.respondWith(answer(request, key));
});
