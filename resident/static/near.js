// Open cases near the resident, each with "me too"; and finding a case by its number.
"use strict";

import {
  getJson, headers, errorMessage, newKey, position, postJson, registerWorker, say, serviceNames,
  showError, withLang,
} from "./resident_common.js";

const $ = (id) => document.getElementById(id);

async function meToo(item, button) {
  button.disabled = true;
  const key = button.dataset.key || (button.dataset.key = newKey());
  try {
    const answer = await fetch(`/api/v1/public/cases/${encodeURIComponent(item.id)}/me-too`, {
      method: "POST",
      headers: headers({ "Idempotency-Key": key }),
    });
    if (!answer.ok) throw new Error(await errorMessage(answer));
    const body = await answer.json();
    location.href = withLang(body.follow_url);
  } catch (error) {
    button.disabled = false;
    showError("error", say("error", { message: error.message }));
  }
}

function draw(cases, names) {
  const list = $("nearby");
  list.innerHTML = "";
  if (cases.length === 0) {
    const none = document.createElement("li");
    none.className = "card";
    none.textContent = say("near_none");
    list.append(none);
    return;
  }
  for (const found of cases) {
    const item = { ...found, category: names.get(found.category) ?? found.category };
    const row = document.createElement("li");
    row.className = "card near";
    const title = document.createElement("h2");
    title.textContent = item.category;
    const place = document.createElement("p");
    place.className = "big";
    place.textContent = `${item.place} · ${say("metres", { m: Math.round(item.metres) })}`;
    const more = document.createElement("p");
    more.className = "muted";
    const at = new Date(item.reported_at).toLocaleString(document.documentElement.lang, {
      timeZone: "Asia/Shanghai",
      dateStyle: "medium",
      timeStyle: "short",
    });
    more.textContent = `${say("reported_at")} ${at}` + (item.me_too_count ? ` · ${say("me_too_count", { n: item.me_too_count })}` : "");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary btn-wide";
    button.textContent = say("me_too");
    button.setAttribute("aria-label", say("me_too_label", { category: item.category, place: item.place }));
    button.addEventListener("click", () => meToo(item, button));
    row.append(title, place, more, button);
    list.append(row);
  }
}

async function locate() {
  showError("error", "");
  $("where").textContent = say("where_locating");
  try {
    const fix = await position();
    $("where").textContent = say("where_found");
    const url = `/api/v1/public/nearby?lon=${fix.lon}&lat=${fix.lat}`;
    const [cases, names] = await Promise.all([getJson(url), serviceNames()]);
    draw(cases, names);
  } catch (error) {
    showError("error", say("error", { message: error.message }));
  }
}

async function lookup(event) {
  event.preventDefault();
  showError("lookup-error", "");
  const body = { case: $("lookup-case").value.trim(), phone_tail: $("lookup-tail").value.trim() };
  try {
    const answer = await postJson("/api/v1/public/lookup", body);
    location.href = withLang(answer.follow_url);
  } catch (error) {
    showError("lookup-error", error.message);
  }
}

$("locate").addEventListener("click", locate);
$("lookup").addEventListener("submit", lookup);
registerWorker();
