// What the residents' pages share: their words, this phone's device id, keys,
// the API's answers and the network line.
"use strict";

export const WORDS = JSON.parse(document.getElementById("words").textContent);
export const LANG = document.getElementById("main").dataset.lang === "en" ? "en" : "zh";
const DEVICE_KEY = "gc-report-device";

export function say(key, values = {}) {
  return (WORDS[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; on plain http over a LAN, the same from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A random id of this phone, kept in localStorage: the server's rate limit per device.
export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = newKey();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function headers(extra = {}) {
  return {
    "Accept-Language": LANG === "en" ? "en" : "zh-CN",
    "X-GC-Device": deviceId(),
    ...extra,
  };
}

// The API's message from an error answer (its usual body), or the status line.
export async function errorMessage(answer) {
  try {
    const body = await answer.json();
    return body.message || body.error?.message || body.description || answer.statusText;
  } catch {
    return `${answer.status} ${answer.statusText}`;
  }
}

export async function getJson(url) {
  const answer = await fetch(url, { headers: headers(), cache: "no-store" });
  if (!answer.ok) throw new Error(await errorMessage(answer));
  return answer.json();
}

export async function postJson(url, body, key) {
  const extra = { "Content-Type": "application/json" };
  if (key) extra["Idempotency-Key"] = key;
  const answer = await fetch(url, { method: "POST", headers: headers(extra), body: JSON.stringify(body) });
  if (!answer.ok) throw new Error(await errorMessage(answer));
  return answer.json();
}

// The service's name in the page's language for a category code (the API's answers give codes).
let names = null;
export async function serviceNames() {
  if (names === null) {
    names = getJson("/api/v1/public/services")
      .then((list) => new Map(list.map((s) => [s.code, LANG === "en" ? s.en : s.zh])))
      .catch(() => new Map());
  }
  return names;
}

export function withLang(url) {
  return LANG === "en" ? `${url}${url.includes("?") ? "&" : "?"}lang=en` : url;
}

export function showError(id, message) {
  const box = document.getElementById(id);
  box.textContent = message;
  if (message) box.scrollIntoView({ block: "center" });
}

export function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (fix) => resolve({ lon: fix.coords.longitude, lat: fix.coords.latitude }),
      (error) => reject(new Error(error.message || "denied")),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
}

export function registerWorker() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/report/sw.js", { scope: "/report" }).catch(() => {});
  }
}
