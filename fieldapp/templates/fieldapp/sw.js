// The field app's service worker: the shell and its files from the cache, so
// the page opens in a field with no signal. API answers and photos are never
// cached (they hold a cadre's data and must be fresh); the page queues its own
// actions while offline (field_queue.js).
"use strict";

const VERSION = "{{ version }}";
const CACHE = "gc-field-" + VERSION;
const SCOPE = "{{ scope }}";
const FILES = {{ files|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith("gc-field-") && key !== CACHE)
            .map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

function cachedPath(url) {
  // The shell's own URLs only: the page (with any query, e.g. ?lang=en), the
  // manifest and the versioned static files. Never /api/, /media/ or /field/join/.
  if (url.origin !== self.location.origin) return null;
  if (url.pathname === SCOPE || url.pathname === SCOPE + "/") return SCOPE;
  // A static file by its path alone: the page's modules import each other
  // without the ?v= of the release, which the cache's name already says.
  return FILES.find((file) => file.split("?")[0] === url.pathname) || null;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const key = cachedPath(new URL(request.url));
  if (key === null) return; // the network, untouched
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(key).then((hit) => {
        if (hit) return hit;
        return fetch(request).then((answer) => {
          if (answer.ok) cache.put(key, answer.clone());
          return answer;
        });
      })
    )
  );
});
