// The cadre's tasks as cards: what /me says, with what is still waiting in
// the phone's queue laid over it (accepted, arrived, done: shown at once,
// marked "待发送" until the server has it).
"use strict";

import { clock, duration, lang, t } from "./field_i18n.js";
import { metres } from "./field_position.js";

// A small element builder: h("p", {class: "x"}, "text", child...).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "text") el.textContent = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// What the queue still holds, per dispatch: {accept, decline, arrive, done, progress, photos}.
export function pendingByTask(items) {
  const out = new Map();
  for (const item of items) {
    if (item.dispatch_id === undefined) continue;
    const p = out.get(item.dispatch_id) || { photos: [], progress: 0 };
    if (item.kind === "photo") p.photos.push(item);
    else if (item.kind === "progress") p.progress += 1;
    else p[item.kind] = true;
    out.set(item.dispatch_id, p);
  }
  return out;
}

function distanceText(task, fix) {
  let m = task.distance_m;
  if (fix && Number.isFinite(task.lon) && Number.isFinite(task.lat)) m = metres(fix, task);
  if (m === null || m === undefined) return t("task.distance_unknown");
  if (m < 1000) return t("task.distance_m", { d: Math.round(m) });
  return t("task.distance_km", { d: (m / 1000).toFixed(1) });
}

// The text of a deadline's countdown, and whether it is passed.
export function dueText(iso, now = Date.now()) {
  const left = (Date.parse(iso) - now) / 1000;
  return left >= 0
    ? { text: t("task.due_left", { left: duration(left) }), late: false }
    : { text: t("task.due_over", { left: duration(-left) }), late: true };
}

function label(obj, base) {
  return lang() === "en" ? obj[`${base}_en`] || obj[`${base}_zh`] : obj[`${base}_zh`];
}

function stateOf(task, p) {
  if (p?.done || p?.decline) return "closed";
  if (task.arrived_at || p?.arrive) return "arrived";
  if (task.accepted_at || p?.accept) return "accepted";
  return "new";
}

function button(action, id, text, cls = "btn") {
  return h("button", { type: "button", class: cls, dataset: { action, id: String(id) } }, text);
}

function progressBlock(task, drafts) {
  if (!task.measures?.length) return null;
  const id = task.dispatch_id;
  const rows = task.measures.map((m) => {
    const input = `m-${id}-${m.measure}`;
    const unit = label(m, "unit");
    const done =
      m.target === null || m.target === undefined
        ? t("task.progress_done_only", { done: m.done ?? 0, unit })
        : t("task.progress_done", { done: m.done ?? 0, target: m.target, unit });
    return h(
      "div",
      { class: "measure" },
      h("label", { for: input }, lang() === "en" ? m.en : m.zh),
      h("input", {
        id: input,
        type: "number",
        inputmode: "decimal",
        min: "0",
        step: "any",
        value: drafts.get(input) ?? "",
        dataset: { draft: input, measure: m.measure },
        "aria-describedby": `${input}-done`,
      }),
      h("span", { class: "unit", "aria-hidden": "true" }, unit),
      h("p", { class: "done", id: `${input}-done` }, done)
    );
  });
  return h(
    "div",
    { class: "block", role: "group", "aria-labelledby": `progress-${id}` },
    h("h4", { id: `progress-${id}` }, t("task.progress")),
    rows,
    h("div", { class: "actions" }, button("progress", id, t("task.progress_save"), "btn btn-wide"))
  );
}

// Thumbnails: those the server has, those uploaded since, those still queued.
function thumbs(task, p, uploaded, blobUrl) {
  const items = [];
  const seen = new Set();
  for (const photo of task.photos || []) {
    seen.add(photo.id);
    items.push(h("li", {}, h("img", { src: photo.thumb_url, alt: t("task.photos") })));
  }
  for (const entry of uploaded) {
    if (entry.dispatch_id !== task.dispatch_id || !entry.photo_id || seen.has(entry.photo_id)) {
      continue;
    }
    const src = entry.photo?.thumb_url;
    if (src) items.push(h("li", {}, h("img", { src, alt: t("task.photos") })));
  }
  for (const item of p?.photos || []) {
    items.push(
      h(
        "li",
        {},
        h("img", { src: blobUrl(item), alt: `${t("task.photos")}（${t("task.photo_pending")}）` }),
        h("span", { class: "tag", "aria-hidden": "true" }, t("task.photo_pending"))
      )
    );
  }
  return h("ul", { class: "thumbs", "aria-label": t("task.photos") }, items);
}

function proofBlock(task, p, drafts, uploaded, blobUrl) {
  const id = task.dispatch_id;
  const note = `note-${id}`;
  const camera = `camera-${id}`;
  return h(
    "div",
    { class: "block" },
    h("h4", {}, t("task.proof")),
    h("label", { for: note }, t("task.note")),
    h(
      "textarea",
      {
        id: note,
        rows: "3",
        maxlength: "500",
        placeholder: t("task.note_placeholder"),
        dataset: { draft: note },
      },
      drafts.get(note) ?? ""
    ),
    thumbs(task, p, uploaded, blobUrl),
    h("input", {
      id: camera,
      class: "file-input",
      type: "file",
      accept: "image/*",
      capture: "environment",
      dataset: { photo: String(id) },
    }),
    h("label", { for: camera, class: "btn btn-wide" }, t("task.photo")),
    h("div", { class: "actions" }, button("done", id, t("task.done"), "btn btn-ok btn-wide"))
  );
}

// One task's card.
export function taskCard(task, { pending, waiting: queued, drafts, fix, uploaded, blobUrl }) {
  const id = task.dispatch_id;
  const p = pending.get(id);
  const q = queued.get(id);
  const state = stateOf(task, p);
  const waiting = q && (q.accept || q.arrive || q.done || q.decline || q.progress || q.photos.length);
  const status = {
    new: t("task.status_new"),
    accepted: t("task.status_accepted"),
    arrived: t("task.status_arrived"),
    closed: p?.decline ? t("task.decline") : t("task.sent_done"),
  }[state];
  const due = task.due_resolve_at ? dueText(task.due_resolve_at) : null;
  // An event's task is named by its title (e.g. "1号地抢收"); an incident by its category.
  const isEvent = task.event_id !== null && task.event_id !== undefined;
  const kind = label(task, "category") || task.category;
  const title = isEvent && task.description ? task.description : kind;
  const card = h(
    "li",
    { class: "task", id: `task-${id}`, "aria-labelledby": `task-${id}-title` },
    h(
      "p",
      {},
      h("span", { class: `state${waiting ? " pending" : ""}` }, status),
      waiting ? h("span", { class: "state pending" }, ` ${t("task.pending")}`) : null
    ),
    h("h3", { id: `task-${id}-title` }, title),
    h("p", { class: "kind" }, isEvent ? `${kind} · ${task.public_id}` : task.public_id),
    h("p", { class: "where" }, task.address || t("task.grid", { grid: task.grid_code || "" })),
    h(
      "ul",
      { class: "facts" },
      h("li", { dataset: { distance: String(id) } }, distanceText(task, fix)),
      h("li", {}, t("task.headcount", { n: task.headcount ?? 1 })),
      due
        ? h(
            "li",
            { class: due.late ? "late" : null },
            t("task.due", { at: clock(task.due_resolve_at) }),
            " · ",
            h("span", { dataset: { due: task.due_resolve_at } }, due.text)
          )
        : null
    ),
    task.description && !isEvent ? h("p", {}, task.description) : null
  );
  if (state === "closed") return card;
  const actions = h("div", { class: "actions" });
  if (state === "new") {
    actions.append(button("accept", id, t("task.accept"), "btn btn-primary btn-wide"));
  } else if (state === "accepted") {
    actions.append(button("arrive", id, t("task.arrive"), "btn btn-primary btn-wide"));
  }
  actions.append(button("navigate", id, t("task.navigate")));
  if (state !== "arrived") actions.append(button("decline", id, t("task.decline"), "btn"));
  card.append(actions);
  if (state === "arrived") {
    card.append(progressBlock(task, drafts) || "");
    card.append(proofBlock(task, q, drafts, uploaded, blobUrl));
  }
  return card;
}

// Refresh every countdown and distance on the page, without drawing anew.
export function tick(root, tasks, fix) {
  for (const el of root.querySelectorAll("[data-due]")) {
    const due = dueText(el.dataset.due);
    el.textContent = due.text;
    el.parentElement.classList.toggle("late", due.late);
  }
  if (!fix) return;
  for (const el of root.querySelectorAll("[data-distance]")) {
    const task = tasks.find((x) => String(x.dispatch_id) === el.dataset.distance);
    if (task) el.textContent = distanceText(task, fix);
  }
}
