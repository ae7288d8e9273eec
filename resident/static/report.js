// The report page: service, place, photos, words; send now or keep and send later.
"use strict";

import {
  LANG, getJson, newKey, position, registerWorker, say, showError, withLang,
} from "./resident_common.js";
import { shrink } from "./photo_shrink.js";
import { answers, askQuestions } from "./report_questions.js";
import { keep, send, waiting } from "./resident_queue.js";

const MAX_PHOTOS = 3;
const state = { service: null, lon: null, lat: null, photos: [], key: newKey() };
const $ = (id) => document.getElementById(id);

async function loadServices() {
  const box = $("services");
  let services;
  try {
    services = await getJson("/api/v1/public/services");
  } catch {
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = say("load_failed");
    box.append(p);
    return;
  }
  box.innerHTML = "";
  const groups = new Map();
  for (const service of services) {
    const group = LANG === "en" ? service.group_en : service.group_zh;
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(service);
  }
  for (const [group, members] of groups) {
    const head = document.createElement("h3");
    head.className = "group";
    head.textContent = group;
    const list = document.createElement("div");
    list.className = "service-list";
    for (const service of members) {
      const label = document.createElement("label");
      label.className = "service";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "category";
      radio.value = service.code;
      radio.addEventListener("change", () => {
        state.service = service;
        askQuestions($("questions"), service);
      });
      const name = document.createElement("span");
      name.textContent = LANG === "en" ? service.en : service.zh;
      label.append(radio, name);
      list.append(label);
    }
    box.append(head, list);
  }
}

function setPlace(lon, lat) {
  state.lon = lon;
  state.lat = lat;
  $("where").textContent = say("where_set", { lon: lon.toFixed(5), lat: lat.toFixed(5) });
  document.dispatchEvent(new CustomEvent("gc-place", { detail: { lon, lat } }));
}

async function locate() {
  $("where").textContent = say("where_locating");
  try {
    const fix = await position();
    setPlace(fix.lon, fix.lat);
  } catch (error) {
    $("where").textContent = say("where_denied", { why: error.message });
  }
}

function drawPhotos() {
  const list = $("photos");
  list.innerHTML = "";
  state.photos.forEach((photo, i) => {
    const item = document.createElement("li");
    const img = document.createElement("img");
    img.src = photo.url;
    img.alt = say("photo_alt", { n: i + 1 });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-danger";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", say("remove_photo", { n: i + 1 }));
    remove.addEventListener("click", () => {
      URL.revokeObjectURL(photo.url);
      state.photos.splice(i, 1);
      drawPhotos();
    });
    item.append(img, remove);
    list.append(item);
  });
  $("photo-input").disabled = state.photos.length >= MAX_PHOTOS;
}

async function addPhoto(event) {
  const input = event.target;
  const files = [...input.files];
  input.value = "";
  for (const file of files) {
    if (state.photos.length >= MAX_PHOTOS) {
      showError("error", say("too_many_photos"));
      break;
    }
    const blob = await shrink(file); // a few hundred kB instead of several MB
    state.photos.push({ blob, name: file.name || "photo.jpg", url: URL.createObjectURL(blob) });
  }
  drawPhotos();
}

function checked() {
  const description = $("description").value.trim();
  const phone = $("phone").value.trim();
  const anonymous = $("anonymous").checked;
  if (!state.service) return { error: say("need_service") };
  const asked = answers($("questions"), state.service);
  if (asked.missing) return { error: say("need_answer", { q: asked.missing }) };
  if (state.lon === null) return { error: say("need_place") };
  if (!description) return { error: say("need_text") };
  if (phone && !anonymous && !/^1[3-9]\d{9}$/.test(phone)) return { error: say("bad_phone") };
  return {
    form: {
      key: state.key,
      fields: {
        category: state.service.code,
        ...asked.fields,
        description,
        lon: state.lon.toFixed(6),
        lat: state.lat.toFixed(6),
        phone: anonymous ? "" : phone,
        anonymous: anonymous ? "1" : "0",
        website: $("website").value,
      },
      photos: state.photos.map(({ blob, name }) => ({ blob, name })),
      made_at: new Date().toISOString(),
    },
  };
}

function showDone(answer) {
  $("report").hidden = true;
  $("kept").hidden = true;
  $("near-first").hidden = true;
  $("done").hidden = false;
  scrollTo(0, 0);
  $("done-case").textContent = say("case_number", { case: answer.case });
  $("done-follow").href = withLang(answer.follow_url);
}

async function sendKept(form) {
  const result = await send(form);
  if (result.ok) showDone(result.ok);
  else if (result.final) {
    state.key = newKey(); // the server said no: a corrected form is a new one
    $("kept").hidden = true;
    $("report").hidden = false;
    showError("error", say("error", { message: result.final }));
  } else {
    // Kept on the phone and sent by itself: the form is put away, so that it
    // is not sent a second time as another report.
    $("report").hidden = true;
    $("kept").hidden = false;
    $("kept-title").textContent = say(navigator.onLine ? "busy_kept" : "offline_kept");
    retryLater();
  }
  return result;
}

// While the server is busy (429, 409 in flight, 5xx), try again after 10 s,
// then 20, 40 ... up to 5 minutes; coming back online tries at once.
let retryDelay = 10_000;
let retryTimer = null;

function retryLater() {
  if (retryTimer !== null || !navigator.onLine) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    retryDelay = Math.min(retryDelay * 2, 300_000);
    retryKept();
  }, retryDelay);
}

async function submit(event) {
  event.preventDefault();
  showError("error", "");
  const { form, error } = checked();
  if (error) {
    showError("error", error);
    return;
  }
  const button = $("send");
  button.disabled = true;
  button.textContent = say("sending");
  await keep(form); // on the phone first: a lost signal loses nothing
  await sendKept(form);
  button.disabled = false;
  button.textContent = say("send");
}

async function retryKept() {
  const kept = await waiting();
  $("kept").hidden = kept.length === 0; // a form from before a reload is still on its way
  if (!navigator.onLine) return;
  for (const form of kept) {
    const result = await sendKept(form);
    if (result.later) break; // the others wait with it
  }
}

function netLine() {
  $("net").textContent = navigator.onLine ? "" : say("offline_kept");
}

$("locate").addEventListener("click", locate);
$("photo-input").addEventListener("change", addPhoto);
$("report").addEventListener("submit", submit);
document.addEventListener("gc-map-tap", (event) => setPlace(event.detail.lon, event.detail.lat));
addEventListener("online", () => {
  netLine();
  retryKept();
});
addEventListener("offline", netLine);
netLine();
registerWorker();
loadServices();
retryKept();
