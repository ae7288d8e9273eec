// Every change the cadre makes goes through this queue, kept on the phone in
// IndexedDB: it survives a closed page, a dead battery and a day without signal.
//
// An action gets its Idempotency-Key once, when it is made, and keeps it on
// every retry, so the server applies it exactly once. Actions are sent one at
// a time, in the order they were made: a photo before the "done" that cites
// it. A network error, 408, 429 or 5xx is retried with backoff; any other 4xx
// is final (the server said no: the message is shown and the action dropped).
"use strict";

const DB_NAME = "gc-field";
const DB_VERSION = 1;
const QUEUE = "queue"; // the actions waiting to be sent, by auto-increment id
const PHOTOS = "photos"; // photos taken on this phone: local ref -> server id once uploaded
const MAX_BACKOFF_MS = 60_000;
const MAX_POSITIONS = 100; // positions in one batch

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function openDb() {
  const opening = indexedDB.open(DB_NAME, DB_VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains(QUEUE)) {
      db.createObjectStore(QUEUE, { keyPath: "id", autoIncrement: true });
    }
    if (!db.objectStoreNames.contains(PHOTOS)) db.createObjectStore(PHOTOS, { keyPath: "ref" });
  };
  return request(opening);
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

// A multipart body built by hand with a boundary made from the action's key:
// a retry sends the very same bytes, which an idempotent server compares.
function multipart(key, blob, filename) {
  const boundary = `----gcfield${key.replace(/-/g, "")}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${filename}"\r\n` +
    `Content-Type: ${blob.type || "application/octet-stream"}\r\n\r\n`;
  return {
    body: new Blob([head, blob, `\r\n--${boundary}--\r\n`]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

export class Queue {
  // hooks: onChange(state), onSent(item, answer), onDropped(item, error), onSignedOut()
  constructor(hooks) {
    this.hooks = hooks;
    this.db = null;
    this.running = false;
    this.again = false;
    this.failures = 0;
    this.timer = null;
    this.retryAt = null;
    this.inflight = null;
    this.items = [];
    this.cadreId = null; // who is signed in: set once /me has said
    addEventListener("online", () => {
      this.failures = 0;
      this.kick();
    });
    addEventListener("offline", () => this.changed());
  }

  async open() {
    this.db = await openDb();
    await this.reload();
    this.kick();
  }

  async store(name, mode, work) {
    const tx = this.db.transaction(name, mode);
    const result = await work(tx.objectStore(name));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  }

  async reload() {
    this.items = await this.store(QUEUE, "readonly", (s) => request(s.getAll()));
    this.changed();
  }

  state() {
    const fixes = this.items.filter((item) => item.kind === "positions");
    return {
      // The cadre's own actions; positions are counted apart (a day offline holds hundreds).
      count: this.items.length - fixes.length,
      positions: fixes.reduce((n, item) => n + item.body.positions.length, 0),
      online: navigator.onLine,
      sending: this.inflight !== null,
      retryAt: this.retryAt,
    };
  }

  changed() {
    this.hooks.onChange?.(this.state());
  }

  // Queue one action: {kind, url, body} for JSON, {kind, url, blob, filename, ref} for a photo.
  async add(action) {
    const item = {
      ...action,
      cadre_id: this.cadreId,
      key: newKey(),
      made_at: new Date().toISOString(),
      tries: 0,
    };
    item.id = await this.store(QUEUE, "readwrite", (s) => request(s.add(item)));
    if (item.kind === "photo") {
      await this.store(PHOTOS, "readwrite", (s) =>
        request(s.put({ ref: item.ref, dispatch_id: item.dispatch_id, photo_id: null }))
      );
    }
    await this.reload();
    this.kick();
    return item;
  }

  // A position joins the batch still waiting to go out, if none of it was sent yet.
  async addPosition(url, position) {
    const last = this.items[this.items.length - 1];
    if (
      last &&
      last.kind === "positions" &&
      last.tries === 0 &&
      this.inflight?.id !== last.id &&
      last.body.positions.length < MAX_POSITIONS &&
      !this.running
    ) {
      last.body.positions.push(position);
      await this.store(QUEUE, "readwrite", (s) => request(s.put(last)));
      await this.reload();
      return;
    }
    await this.add({ kind: "positions", url, body: { positions: [position] } });
  }

  // Actions are the signed-in cadre's: a phone handed to another cadre must
  // not send the first one's queue in the second one's name.
  async keepOnly(cadreId) {
    const others = this.items.filter((item) => item.cadre_id !== cadreId);
    if (!others.length) return;
    await this.store(QUEUE, "readwrite", (s) =>
      Promise.all(others.map((item) => request(s.delete(item.id))))
    );
    await this.reload();
  }

  async photos() {
    return this.store(PHOTOS, "readonly", (s) => request(s.getAll()));
  }

  async forgetPhotos(dispatchId) {
    const mine = (await this.photos()).filter((p) => p.dispatch_id === dispatchId);
    await this.store(PHOTOS, "readwrite", (s) =>
      Promise.all(mine.map((p) => request(s.delete(p.ref))))
    );
  }

  kick() {
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
    this.run();
  }

  async run() {
    if (!this.db) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      // One sender per phone, even with the app open in two tabs.
      if (navigator.locks) await navigator.locks.request("gc-field-queue", () => this.drain());
      else await this.drain();
    } finally {
      this.running = false;
      this.changed();
    }
    if (this.again) {
      this.again = false;
      this.run();
    }
  }

  async drain() {
    // Nothing goes out before /me has said whose phone this is.
    while (navigator.onLine && this.cadreId !== null) {
      await this.reload();
      const item = this.items[0];
      if (!item) return;
      this.inflight = item;
      this.changed();
      const outcome = await this.send(item);
      this.inflight = null;
      if (outcome.retry) {
        item.tries += 1;
        await this.store(QUEUE, "readwrite", (s) => request(s.put(item)));
        this.failures += 1;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures);
        const wait = Math.max(outcome.retryAfterMs || 0, backoff * (0.5 + Math.random() / 2));
        this.retryAt = Date.now() + wait;
        this.timer = setTimeout(() => this.kick(), wait);
        return;
      }
      this.failures = 0;
      await this.store(QUEUE, "readwrite", (s) => request(s.delete(item.id)));
      if (outcome.ok && item.kind === "photo") {
        const photo = outcome.answer.photo || {};
        await this.store(PHOTOS, "readwrite", (s) =>
          request(
            s.put({ ref: item.ref, dispatch_id: item.dispatch_id, photo_id: photo.id, photo })
          )
        );
      }
      await this.reload();
      if (outcome.ok) this.hooks.onSent?.(item, outcome.answer);
      else {
        if (outcome.status === 401) this.hooks.onSignedOut?.();
        this.hooks.onDropped?.(item, outcome.error);
      }
    }
  }

  // The body as it goes out: a "done" names the photos it cites by their
  // server ids, found once their uploads (earlier in the queue) are through.
  async outgoing(item) {
    if (item.kind !== "done") return item.body;
    const uploaded = new Map((await this.photos()).map((p) => [p.ref, p.photo_id]));
    const ids = new Set(item.body.photo_ids || []);
    for (const ref of item.body.photo_refs || []) {
      if (uploaded.get(ref)) ids.add(uploaded.get(ref));
    }
    return { note: item.body.note, photo_ids: [...ids].sort((a, b) => a - b) };
  }

  async send(item) {
    const headers = { "X-GC-Field": "1", "Idempotency-Key": item.key };
    let body;
    if (item.kind === "photo") {
      const form = multipart(item.key, item.blob, item.filename);
      headers["Content-Type"] = form.type;
      body = form.body;
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(await this.outgoing(item));
    }
    let answer;
    try {
      answer = await fetch(item.url, {
        method: "POST",
        headers,
        body,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      return { retry: true };
    }
    let json = {};
    try {
      json = await answer.json();
    } catch (error) {
      json = {};
    }
    if (answer.ok) return { ok: true, answer: json };
    const status = answer.status;
    if (status === 408 || status === 429 || status >= 500) {
      const after = Number(answer.headers.get("Retry-After"));
      return { retry: true, retryAfterMs: Number.isFinite(after) ? after * 1000 : 0 };
    }
    const error = json.error || { message: `HTTP ${status}`, message_zh: `HTTP ${status}` };
    return { final: true, status, error: { ...error, status } };
  }
}
