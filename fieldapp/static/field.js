// The field app's page: who is signed in and their work, from /api/v1/field/me;
// every change through the phone's queue (field_queue.js), shown at once and
// then as the server has it.
"use strict";

import { applyStatic, clock, duration, lang, message, setLang, t } from "./field_i18n.js";
import { fixOf, PositionSharer } from "./field_position.js";
import { newKey, Queue } from "./field_queue.js";
import { h, pendingByTask, taskCard, tick } from "./field_tasks.js";

const API = "/api/v1/field";
const ME_KEY = "gc-field-me"; // the last /me, to show while offline
const REFRESH_MS = 60_000;
const FRESH_FIX_MS = 10_000;

const $ = (id) => document.getElementById(id);
const view = {
  me: null,
  fetchedAt: null,
  items: [], // the queue's contents
  sent: [], // sent since the last /me began: still laid over it ({item, at})
  uploaded: [], // photos taken here: {ref, dispatch_id, photo_id, photo}
  queueState: { count: 0, online: navigator.onLine },
  drafts: new Map(), // what the cadre typed and has not sent: input id -> value
  fix: null, // the latest position
  share: null,
  farFor: null, // the arrival waiting for a note: {dispatch_id, body}
  declineFor: null,
};
const blobUrls = new Map();

const queue = new Queue({
  onChange: (state) => {
    view.queueState = state;
    view.items = queue.items;
    renderNet();
    scheduleRender();
  },
  onSent: (item) => {
    if (item.kind !== "photo" && item.kind !== "positions") view.sent.push({ item, at: Date.now() });
    if (item.kind === "done" || item.kind === "decline") {
      view.drafts.delete(`note-${item.dispatch_id}`);
      queue.forgetPhotos(item.dispatch_id).then(refreshUploaded);
    } else if (item.kind === "photo") refreshUploaded();
    if (queue.items.length === 0) setTimeout(loadMe, 200);
  },
  onDropped: (item, error) => {
    if (item.kind === "arrive" && error.reason === "note_needed") {
      askArrivalNote(item, error);
      return;
    }
    // A refused position is nothing the cadre can mend: dropped quietly.
    if (item.kind !== "positions") toast(t("queue.dropped", { message: message(error) }), true);
    if (queue.items.length === 0) setTimeout(loadMe, 200);
  },
  onSignedOut: () => signedOut(),
});

const sharer = new PositionSharer(queue, `${API}/me/positions`, {
  onFix: (fix) => {
    view.fix = fix;
  },
  onState: (state) => {
    view.share = state;
    renderDuty();
  },
});

// ---- what is shown ------------------------------------------------------

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function toast(text, bad = false) {
  const el = $("toast");
  el.textContent = text;
  el.classList.toggle("bad", bad);
  el.hidden = false;
  clearTimeout(toast.timer);
  // Good news goes quickly; a refusal stays longer. A tap dismisses either,
  // so it never hides a button for long.
  toast.timer = setTimeout(() => (el.hidden = true), bad ? 8000 : 2500);
}

function renderNet() {
  const el = $("net");
  const { count, positions, online, sending, retryAt } = view.queueState;
  const parts = [];
  if (!online) parts.push(t("net.offline"));
  if (count === 0 && positions > 0 && !online) parts.push(t("queue.positions", { n: positions }));
  if (count > 0) {
    if (online && sending) parts.push(t("queue.sending", { n: count }));
    else if (online && retryAt) {
      parts.push(t("queue.retry", { n: count, s: Math.max(1, Math.ceil((retryAt - Date.now()) / 1000)) }));
    } else parts.push(t("queue.waiting", { n: count }));
  }
  el.textContent = parts.join(" · ");
  el.classList.toggle("offline", !online);
  el.classList.toggle("pending", online && count > 0);
}

// What the phone did that /me may not show yet: sent but not yet re-read, or still queued.
function overlay() {
  return [...view.sent.map((s) => s.item), ...view.items];
}

function pendingOf(kind) {
  return overlay().filter((item) => item.kind === kind);
}

function dutyOn() {
  const asked = pendingOf("duty").at(-1);
  return asked ? asked.body.on : view.me?.duty === "on";
}

function renderDuty() {
  if (!view.me) return;
  const on = dutyOn();
  const state = $("duty-state");
  state.textContent = on ? `● ${t("duty.on")}` : t("duty.off");
  state.classList.toggle("on", on);
  $("duty").textContent = on ? t("duty.go_off") : t("duty.go_on");
  $("duty").classList.toggle("btn-primary", !on);
  const share = view.share;
  let note = t("duty.not_sharing");
  if (on && share?.error) note = t("duty.no_position", { why: geoWords(share.error) });
  else if (on && share) {
    note = t(share.slow ? "duty.sharing_slow" : "duty.sharing", { s: share.interval });
  }
  $("duty-note").textContent = note;
}

function checkinView() {
  const c = view.me?.checkin;
  if (!c) return null;
  const sent = pendingOf("checkin").at(-1);
  if (!sent) return c;
  const last = sent.made_at;
  const due = new Date(Date.parse(last) + c.interval_minutes * 60_000).toISOString();
  return { ...c, last_at: last, due_at: due };
}

function renderCheckin() {
  const c = checkinView();
  $("checkin").hidden = !c;
  if (!c) return;
  $("checkin-event").textContent = `${c.event_name} · ${t("checkin.every", { m: c.interval_minutes })}`;
  $("checkin-last").textContent = c.last_at ? t("checkin.last", { at: clock(c.last_at) }) : "";
  renderCheckinTimer();
}

function renderCheckinTimer() {
  const c = checkinView();
  if (!c || !c.due_at) {
    $("checkin-timer").textContent = c ? t("checkin.first") : "";
    return;
  }
  const left = (Date.parse(c.due_at) - Date.now()) / 1000;
  const el = $("checkin-timer");
  el.textContent =
    left >= 0
      ? t("checkin.due_in", { left: duration(left) })
      : t("checkin.overdue", { left: duration(-left) });
  el.classList.toggle("late", left < 0);
}

function renderNotes() {
  const list = $("notes");
  const notes = view.me?.notifications || [];
  const read = new Set(pendingOf("read").map((item) => item.note_id));
  list.replaceChildren(
    ...(notes.length
      ? notes.map((n) => {
          const unread = !n.read_at && !read.has(n.id);
          const text = lang() === "en" ? n.text_en || n.text_zh : n.text_zh;
          return h(
            "li",
            { class: unread ? "unread" : null },
            h("p", {}, unread ? `● ${text}` : text),
            h("p", { class: "muted small" }, clock(n.created_at)),
            unread
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-quiet",
                    dataset: { action: "read", id: String(n.id) },
                    "aria-label": `${t("notes.read")}：${text}`,
                  },
                  t("notes.read")
                )
              : null
          );
        })
      : [h("li", {}, t("notes.none"))])
  );
}

function blobUrl(item) {
  if (!blobUrls.has(item.id)) blobUrls.set(item.id, URL.createObjectURL(item.blob));
  return blobUrls.get(item.id);
}

function renderTasks() {
  const tasks = view.me?.tasks || [];
  const pending = pendingByTask(overlay());
  const waiting = pendingByTask(view.items);
  const list = $("tasks");
  list.replaceChildren(
    ...tasks.map((task) =>
      taskCard(task, {
        pending,
        waiting,
        drafts: view.drafts,
        fix: view.fix,
        uploaded: view.uploaded,
        blobUrl,
      })
    )
  );
  for (const input of list.querySelectorAll("input[data-photo]")) {
    // On the element itself, not delegated: while the camera is open the list
    // may be drawn again (a refresh of /me), and the photo then arrives at the
    // old input, no longer in the document, where a delegated listener never
    // hears it and the photo would be lost.
    input.addEventListener("change", () => photoTaken(input));
  }
  $("tasks-count").textContent = tasks.length
    ? t("tasks.count", { n: tasks.length })
    : t("tasks.none");
}

function render() {
  if (!view.me) return;
  const focused = document.activeElement?.id;
  $("loading").hidden = true;
  $("signed-out").hidden = true;
  $("work").hidden = false;
  const cadre = view.me.cadre || {};
  $("who-name").textContent = cadre.name || "";
  renderDuty();
  renderCheckin();
  renderTasks();
  renderNotes();
  $("updated").textContent = view.fetchedAt ? t("updated", { at: clock(view.fetchedAt) }) : "";
  if (focused && document.activeElement?.id !== focused) $(focused)?.focus();
}

function signedOut() {
  view.me = null;
  queue.cadreId = null;
  localStorage.removeItem(ME_KEY);
  sharer.stop();
  $("loading").hidden = true;
  $("work").hidden = true;
  $("signed-out").hidden = false;
}

// ---- the server's view --------------------------------------------------

async function loadMe() {
  const started = Date.now();
  const query = view.fix ? `?lon=${view.fix.lon}&lat=${view.fix.lat}` : "";
  let answer;
  try {
    answer = await fetch(`${API}/me${query}`, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    if (!view.me) showCached();
    return;
  }
  if (answer.status === 401 || answer.status === 403) {
    signedOut();
    return;
  }
  if (!answer.ok) {
    if (!view.me) showCached();
    return;
  }
  view.me = await answer.json();
  view.sent = view.sent.filter((s) => s.at >= started);
  view.fetchedAt = new Date().toISOString();
  localStorage.setItem(ME_KEY, JSON.stringify({ me: view.me, at: view.fetchedAt }));
  afterMe();
}

function showCached() {
  const cached = JSON.parse(localStorage.getItem(ME_KEY) || "null");
  if (!cached) {
    signedOut();
    return;
  }
  view.me = cached.me;
  view.fetchedAt = cached.at;
  afterMe();
}

function afterMe() {
  const cadreId = view.me.cadre?.id ?? null;
  if (queue.cadreId !== cadreId) {
    queue.cadreId = cadreId;
    queue.keepOnly(cadreId).then(() => queue.kick());
  }
  if (dutyOn()) sharer.start(view.me.position_interval_s);
  else sharer.stop();
  render();
}

async function refreshUploaded() {
  view.uploaded = await queue.photos();
  scheduleRender();
}

// ---- actions ------------------------------------------------------------

function taskById(id) {
  return (view.me?.tasks || []).find((task) => String(task.dispatch_id) === String(id));
}

function act(kind, dispatchId, path, body) {
  return queue.add({ kind, dispatch_id: dispatchId, url: `${API}${path}`, body });
}

function geoWords(error) {
  if (!error) return "";
  return t({ 1: "geo.denied", 2: "geo.unavailable", 3: "geo.timeout" }[error.code] || "geo.none");
}

// The phone's position now: the duty watch's latest fix when it is fresh,
// else a high-accuracy fix of at most 10 s ago. (Asking for a brand-new fix
// while a watch runs can wait for the watch's next one, which a phone that
// stands still may not give.)
function position() {
  const fresh = view.fix && Date.now() - Date.parse(view.fix.at) < FRESH_FIX_MS;
  if (fresh) return Promise.resolve(view.fix);
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject({ code: 0 });
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(fixOf(p)),
      reject,
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: FRESH_FIX_MS }
    );
  });
}

async function arrive(button, id) {
  const before = button.textContent;
  button.disabled = true;
  button.textContent = t("task.locating");
  try {
    const fix = await position();
    view.fix = fix;
    await act("arrive", id, `/tasks/${id}/arrive`, {
      lon: fix.lon,
      lat: fix.lat,
      accuracy_m: fix.accuracy_m,
    });
  } catch (error) {
    toast(geoWords(error), true);
    button.disabled = false;
    button.textContent = before;
  }
}

function askArrivalNote(item, error) {
  view.farFor = item;
  $("far-note").value = "";
  $("far-body").textContent = message(error) || t("arrive.far_body");
  $("far-dialog").showModal();
}

function openDecline(id) {
  view.declineFor = id;
  const reasons = t("decline.reasons").split("|");
  $("decline-reasons").replaceChildren(
    ...[...reasons, t("decline.other")].map((reason, i) =>
      h(
        "label",
        { class: "choice", for: `reason-${i}` },
        h("input", {
          type: "radio",
          name: "reason",
          id: `reason-${i}`,
          value: i < reasons.length ? reason : "",
        }),
        reason
      )
    )
  );
  $("decline-text").value = "";
  $("decline-error").textContent = "";
  $("decline-dialog").showModal();
}

function openNav(id) {
  const task = taskById(id);
  if (!task) return;
  for (const app of ["amap", "baidu", "tencent"]) {
    const link = $(`nav-${app}`);
    link.href = task.nav?.[app] || "#";
    link.target = "_blank";
  }
  $("nav-place").textContent = task.address || "";
  $("nav-dialog").showModal();
}

function progress(id) {
  const amounts = {};
  for (const input of document.querySelectorAll(`#task-${id} input[data-measure]`)) {
    const value = Number(input.value);
    if (input.value !== "" && Number.isFinite(value) && value > 0) {
      amounts[input.dataset.measure] = value;
    }
  }
  if (!Object.keys(amounts).length) {
    toast(t("task.progress_empty"), true);
    return;
  }
  for (const input of document.querySelectorAll(`#task-${id} input[data-measure]`)) {
    view.drafts.delete(input.id);
  }
  act("progress", Number(id), `/tasks/${id}/progress`, { amounts });
}

function done(id) {
  const task = taskById(id);
  const note = (view.drafts.get(`note-${id}`) || "").trim();
  const dispatchId = Number(id);
  const known = (task?.photos || []).map((p) => p.id);
  const refs = [
    ...view.uploaded.filter((p) => p.dispatch_id === dispatchId).map((p) => p.ref),
    ...view.items.filter((i) => i.kind === "photo" && i.dispatch_id === dispatchId).map((i) => i.ref),
  ];
  // An event's task may finish on its figures alone; any other needs a note
  // (and a photo or an arrival on the spot, which the server checks).
  const isEventTask = task?.event_id !== null && task?.event_id !== undefined;
  if (!note && !(isEventTask && (known.length || refs.length))) {
    toast(t(isEventTask ? "task.done_needs" : "task.note_needed"), true);
    $(`note-${id}`)?.focus();
    return;
  }
  act("done", dispatchId, `/tasks/${id}/done`, {
    note,
    photo_ids: known,
    photo_refs: [...new Set(refs)],
  });
}

async function checkin() {
  let fix = view.fix;
  try {
    fix = await position();
  } catch (error) {
    if (!fix) {
      toast(geoWords(error), true);
      return;
    }
  }
  await queue.add({ kind: "checkin", url: `${API}/checkin`, body: { lon: fix.lon, lat: fix.lat } });
  toast(t("checkin.sent"));
}

function toggleDuty() {
  const on = !dutyOn();
  queue.add({ kind: "duty", url: `${API}/duty`, body: { on } }).then(() => {
    if (on) sharer.start(view.me?.position_interval_s);
    else sharer.stop();
  });
}

function photoTaken(input) {
  const id = Number(input.dataset.photo);
  for (const file of input.files || []) {
    queue.add({
      kind: "photo",
      dispatch_id: id,
      url: `${API}/tasks/${id}/photos`,
      blob: file,
      filename: file.name || "photo.jpg",
      ref: newKey(),
    });
  }
  input.value = "";
}

function onClick(event) {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const { action, id } = button.dataset;
  if (action === "accept") act("accept", Number(id), `/tasks/${id}/accept`, {});
  else if (action === "decline") openDecline(Number(id));
  else if (action === "navigate") openNav(id);
  else if (action === "arrive") arrive(button, Number(id));
  else if (action === "progress") progress(id);
  else if (action === "done") done(id);
  else if (action === "read") {
    queue.add({ kind: "read", note_id: Number(id), url: `${API}/notifications/${id}/read`, body: {} });
  }
}

function wire() {
  $("lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(null, "", url);
    }
    applyLang();
    renderNet();
    render();
  });
  $("refresh").addEventListener("click", () => {
    queue.kick();
    loadMe();
  });
  $("duty").addEventListener("click", toggleDuty);
  $("toast").addEventListener("click", () => ($("toast").hidden = true));
  $("checkin-button").addEventListener("click", checkin);
  document.addEventListener("click", onClick);
  document.addEventListener("input", (event) => {
    const key = event.target.dataset?.draft;
    if (key) view.drafts.set(key, event.target.value);
  });
  for (const close of document.querySelectorAll("dialog [data-close]")) {
    close.addEventListener("click", () => close.closest("dialog").close());
  }
  $("decline-form").addEventListener("submit", (event) => {
    const chosen = document.querySelector("#decline-reasons input:checked");
    const text = $("decline-text").value.trim();
    const reason = [chosen?.value, text].filter(Boolean).join("：");
    if (!reason) {
      event.preventDefault();
      $("decline-error").textContent = t("decline.needs");
      return;
    }
    const id = view.declineFor;
    act("decline", id, `/tasks/${id}/decline`, { reason });
  });
  $("far-form").addEventListener("submit", (event) => {
    const note = $("far-note").value.trim();
    const item = view.farFor;
    if (!note || !item) {
      event.preventDefault();
      return;
    }
    view.farFor = null;
    act("arrive", item.dispatch_id, `/tasks/${item.dispatch_id}/arrive`, { ...item.body, note });
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") loadMe();
  });
  addEventListener("online", loadMe);
}

function applyLang() {
  applyStatic();
  const other = lang() === "zh" ? "en" : "zh-CN";
  $("lang").setAttribute("lang", other);
}

async function start() {
  applyLang();
  wire();
  // Positions, the offline shell and the queue's keys need HTTPS (or localhost).
  if (!window.isSecureContext) toast(t("error.insecure"), true);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => {});
  }
  try {
    await queue.open();
    view.uploaded = await queue.photos();
  } catch (error) {
    toast(t("error.generic", { message: String(error) }), true);
  }
  await loadMe();
  setInterval(() => {
    renderCheckinTimer();
    tick($("tasks"), view.me?.tasks || [], view.fix);
    if (view.queueState.retryAt) renderNet();
  }, 1000);
  setInterval(() => {
    if (document.visibilityState === "visible" && navigator.onLine) loadMe();
  }, REFRESH_MS);
}

start();
