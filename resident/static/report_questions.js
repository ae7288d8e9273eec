// A service's own questions (its Open311 attributes), asked once it is chosen:
// 积水内涝 asks how deep the water is. Answers are sent as attribute[code].
"use strict";

import { LANG, say } from "./resident_common.js";

const text = (item) => (LANG === "en" ? item.en : item.zh);

function choiceGroup(question, id) {
  const group = document.createElement("fieldset");
  group.className = "question";
  const legend = document.createElement("legend");
  legend.textContent = question.required ? say("question_required", { q: text(question) }) : text(question);
  group.append(legend);
  const list = document.createElement("div");
  list.className = "service-list";
  for (const choice of question.choices) {
    const label = document.createElement("label");
    label.className = "service";
    const input = document.createElement("input");
    input.type = question.datatype === "multivaluelist" ? "checkbox" : "radio";
    input.name = `attribute[${question.code}]`;
    input.value = choice.key;
    const name = document.createElement("span");
    name.textContent = text(choice);
    label.append(input, name);
    list.append(label);
  }
  group.append(list);
  return group;
}

function field(question, id) {
  const wrap = document.createElement("div");
  wrap.className = "question";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = question.required ? say("question_required", { q: text(question) }) : text(question);
  const input = document.createElement("input");
  input.id = id;
  input.name = `attribute[${question.code}]`;
  input.type = "text";
  input.maxLength = 500;
  if (question.datatype === "number") input.inputMode = "decimal";
  wrap.append(label, input);
  return wrap;
}

// Draw the questions of a service into box (empty when it has none).
export function askQuestions(box, service) {
  box.innerHTML = "";
  const head = document.createElement("h2");
  head.textContent = say("questions_title", { service: text(service) });
  box.append(head);
  for (const question of service.questions || []) {
    const id = `q-${question.code}`;
    const listed = question.datatype.endsWith("valuelist") && question.choices.length;
    box.append(listed ? choiceGroup(question, id) : field(question, id));
  }
  box.hidden = box.childElementCount === 1;
}

// The answers as form fields, or the first required question left unanswered.
export function answers(box, service) {
  const fields = {};
  for (const question of service?.questions || []) {
    const name = `attribute[${question.code}]`;
    const inputs = [...box.querySelectorAll(`[name="${name}"]`)];
    const value = inputs[0]?.type === "text"
      ? inputs[0].value.trim()
      : inputs.filter((i) => i.checked).map((i) => i.value).join(",");
    if (!value && question.required) return { missing: text(question) };
    if (value && question.datatype === "number" && !Number.isFinite(Number(value))) {
      return { missing: text(question) };
    }
    if (value) fields[name] = value;
  }
  return { fields };
}
