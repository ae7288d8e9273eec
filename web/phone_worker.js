// The service worker of a phone page (the field app at /field, the residents'
// /report): the shell and its files from the cache, so the page opens with no
// signal. API answers and photos are never cached (they hold people's data and
// must be fresh); each page keeps its own unsent work in IndexedDB.
// web/phone_worker.py serves it with its settings first:
// "use strict", then PREFIX, VERSION, SCOPE, PAGES (paths) and FILES (URLs).

const CACHE = PREFIX + VERSION;

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
            .filter((key) => key.startsWith(PREFIX) && key !== CACHE)
            .map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

function cachedPath(url) {
  // The shell's own URLs only: its pages (the language in the query keeps its
  // own copy where both were cached) and the versioned static files. Never
  // /api/, /media/, a case's page or an invite link.
  if (url.origin !== self.location.origin) return null;
  const page = url.pathname.replace(/\/$/, "");
  if (PAGES.includes(page)) {
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
