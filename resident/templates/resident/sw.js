// The residents' pages' service worker: the pages and their files from the cache, so
// /report opens with no signal. API answers and photos are never cached (a
// case's page must be fresh); the report page keeps an unsent form in
// IndexedDB itself (resident_queue.js).
"use strict";

const VERSION = "{{ version }}";
const CACHE = "gc-report-" + VERSION;
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
            .filter((key) => key.startsWith("gc-report-") && key !== CACHE)
            .map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

function cachedPath(url) {
  // The pages' own URLs only: /report and /report/near (the language in the
  // query keeps its own copy) and the versioned static files. Never /api/,
  // /media/ or a case's page.
  if (url.origin !== self.location.origin) return null;
  const page = url.pathname.replace(/\/$/, "");
  if (page === SCOPE || page === SCOPE + "/near") {
    const lang = url.searchParams.get("lang") === "en" ? "?lang=en" : "";
    return FILES.includes(page + lang) ? page + lang : page;
  }
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
