// The report form waiting to be sent, kept on the phone in IndexedDB with its
// Idempotency-Key: a form that fails for want of signal is sent when the signal
// returns, and the server stores it exactly once.
//
// The multipart body is built by hand with a boundary made from the form's key,
// so a retry sends the very same bytes. A network error, 408, 429 or 5xx keeps
// the form for later; any other 4xx is final (the server's message is shown).
"use strict";

import { errorMessage, headers } from "./resident_common.js";

const DB_NAME = "gc-report";
const FORMS = "forms";
// 409: the same form is still being stored (an earlier try in flight): its
// answer comes with a later try of the same key; a new key would store it twice.
const RETRY = new Set([408, 409, 429]);

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function openDb() {
  const opening = indexedDB.open(DB_NAME, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(FORMS, { keyPath: "key" });
  return request(opening);
}

async function withStore(mode, work) {
  const db = await openDb();
  const tx = db.transaction(FORMS, mode);
  const result = await work(tx.objectStore(FORMS));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return result;
}

function quoted(text) {
  return String(text).replace(/[\r\n"]/g, " ");
}

// form: {key, fields: {name: value}, photos: [{blob, name}]}
export function multipart(form) {
  const boundary = `----gcreport${form.key.replace(/-/g, "")}`;
  const parts = [];
  for (const [name, value] of Object.entries(form.fields)) {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  for (const photo of form.photos) {
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${quoted(photo.name)}"\r\n` +
        `Content-Type: ${photo.blob.type || "application/octet-stream"}\r\n\r\n`,
      photo.blob,
      "\r\n"
    );
  }
  parts.push(`--${boundary}--\r\n`);
  return { body: new Blob(parts), type: `multipart/form-data; boundary=${boundary}` };
}

export async function keep(form) {
  await withStore("readwrite", (s) => request(s.put(form)));
}

export async function forget(key) {
  await withStore("readwrite", (s) => request(s.delete(key)));
}

export async function waiting() {
  return withStore("readonly", (s) => request(s.getAll()));
}

// Send one kept form: {ok: answer} when stored, {final: message} when refused,
// {later: true} when the network or the server failed (the form stays kept).
export async function send(form) {
  const { body, type } = multipart(form);
  let answer;
  try {
    answer = await fetch("/api/v1/public/reports", {
      method: "POST",
      headers: headers({ "Content-Type": type, "Idempotency-Key": form.key }),
      body,
    });
  } catch {
    return { later: true };
  }
  if (answer.ok) {
    await forget(form.key);
    return { ok: await answer.json() };
  }
  if (RETRY.has(answer.status) || answer.status >= 500) return { later: true };
  const message = await errorMessage(answer);
  await forget(form.key);
  return { final: message };
}
