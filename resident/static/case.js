// One case's page: its facts, timeline, the department's reply and proof, and the rating.
"use strict";

import { LANG, getJson, newKey, postJson, say, serviceNames, showError } from "./resident_common.js";

const $ = (id) => document.getElementById(id);
const token = $("case").dataset.token;
const url = `/api/v1/public/cases/${encodeURIComponent(token)}`;
const rateKey = newKey();

function when(at) {
  const locale = LANG === "en" ? "en-GB" : "zh-CN";
  return new Date(at).toLocaleString(locale, { timeZone: "Asia/Shanghai", dateStyle: "medium", timeStyle: "short" });
}

function draw(view, names) {
  $("case-number").textContent = say("case_number", { case: view.case });
  $("case-category").textContent = names.get(view.category) ?? view.category ?? "";
  $("case-place").textContent = view.place ?? "";
  const steps = view.timeline || [];
  const last = steps[steps.length - 1];
  $("case-status").textContent = last ? (LANG === "en" ? last.text_en : last.text_zh) : view.status;
  const list = $("timeline");
  list.innerHTML = "";
  for (const step of steps) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = step.at;
    time.textContent = when(step.at);
    const text = document.createElement("span");
    text.textContent = LANG === "en" ? step.text_en : step.text_zh;
    item.append(time, text);
    list.append(item);
  }
  const photos = view.proof_photos || [];
  $("reply-card").hidden = !view.reply && photos.length === 0;
  $("reply").textContent = view.reply ?? "";
  const proof = $("proof");
  proof.innerHTML = "";
  for (const src of photos) {
    const img = document.createElement("img");
    img.src = src;
    img.alt = say("proof");
    proof.append(img);
  }
  $("rate-card").hidden = !view.can_rate;
  $("rated").hidden = !view.rating;
  if (view.rating) $("rated").textContent = say("rated", { rating: view.rating });
}

async function load() {
  try {
    const [view, names] = await Promise.all([getJson(url), serviceNames()]);
    draw(view, names);
  } catch (error) {
    $("case-number").textContent = say("load_failed");
    showError("error", error.message);
  }
}

async function rate(event) {
  event.preventDefault();
  showError("rate-error", "");
  const picked = document.querySelector("input[name=rating]:checked");
  if (!picked) {
    showError("rate-error", say("rate_need"));
    return;
  }
  const body = { rating: Number(picked.value), comment: $("comment").value.trim() };
  try {
    await postJson(`${url}/rating`, body, rateKey);
  } catch (error) {
    showError("rate-error", say("error", { message: error.message }));
    return;
  }
  await load();
}

$("rate").addEventListener("submit", rate);
load();
