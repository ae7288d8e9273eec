// The field app's words in Simplified Chinese (first) and English, and the
// cadre's choice between them (kept on the phone in localStorage).
"use strict";

const LANG_KEY = "gc-field-lang";

const TEXT = {
  zh: {
    "app.title": "网格指挥·外勤",
    "lang.switch": "English",
    "lang.switch_label": "Switch to English",
    "signed_out.title": "尚未登录",
    "signed_out.body": "请打开调度员发给您的邀请链接。",
    "signed_out.hint": "邀请链接只能使用一次；打开后本机会保持登录。",
    "loading": "正在载入…",
    "net.online": "在线",
    "net.offline": "离线：操作会保存在手机上，有信号后自动发送",
    "queue.waiting": "{n} 条待发送",
    "queue.sending": "正在发送 {n} 条…",
    "queue.retry": "{n} 条待发送，{s} 秒后重试",
    "queue.all_sent": "全部已发送",
    "queue.positions": "{n} 个位置待发送",
    "queue.dropped": "未能提交：{message}",
    "duty.on": "在岗",
    "duty.off": "离岗",
    "duty.go_on": "上岗（开始共享位置）",
    "duty.go_off": "下岗（停止共享位置）",
    "duty.sharing": "在岗期间每 {s} 秒左右共享一次位置",
    "duty.sharing_slow": "电量低或页面在后台：位置共享放慢到每 {s} 秒",
    "duty.no_position": "无法取得位置：{why}",
    "duty.not_sharing": "离岗时不共享位置",
    "checkin.title": "战时报到",
    "checkin.button": "报到",
    "checkin.every": "每 {m} 分钟报到一次",
    "checkin.due_in": "距下次报到还有 {left}",
    "checkin.overdue": "已超时 {left}，请立即报到",
    "checkin.last": "上次报到 {at}",
    "checkin.never": "尚未报到",
    "checkin.first": "还没有报到：请现在报到",
    "checkin.sent": "已报到",
    "tasks.title": "我的任务",
    "tasks.none": "暂无任务。有新任务时会在这里出现。",
    "tasks.count": "{n} 项任务，按距离由近到远",
    "task.headcount": "需要 {n} 人",
    "task.grid": "网格 {grid}",
    "task.distance_m": "距您 {d} 米",
    "task.distance_km": "距您 {d} 公里",
    "task.distance_unknown": "距离未知",
    "task.due": "期限 {at}",
    "task.due_left": "剩 {left}",
    "task.due_over": "已超期 {left}",
    "task.status_new": "新任务，待接受",
    "task.status_accepted": "已接受，前往中",
    "task.status_arrived": "已到场，处置中",
    "task.pending": "待发送",
    "task.accept": "接受任务",
    "task.decline": "拒绝",
    "task.navigate": "导航",
    "task.arrive": "我已到场",
    "task.locating": "正在定位…",
    "task.progress": "进度（本次完成）",
    "task.progress_done": "已完成 {done} / 目标 {target} {unit}",
    "task.progress_done_only": "已完成 {done} {unit}",
    "task.progress_save": "提交进度",
    "task.progress_empty": "请至少填写一项大于 0 的数量",
    "task.proof": "处置结果",
    "task.note": "处置说明",
    "task.note_placeholder": "例如：已清理完毕，现场恢复正常",
    "task.photo": "拍照",
    "task.photos": "照片",
    "task.photo_pending": "待上传",
    "task.done": "办结任务",
    "task.done_needs": "请填写处置说明或拍一张照片",
    "task.note_needed": "请先填写处置说明",
    "task.sent_done": "已提交办结",
    "task.description": "情况",
    "nav.title": "选择地图应用",
    "nav.amap": "高德地图",
    "nav.baidu": "百度地图",
    "nav.tencent": "腾讯地图",
    "decline.title": "拒绝任务",
    "decline.reason": "原因",
    "decline.reasons": "正在处理其他任务|身体不适|距离太远，无法及时到达|交通受阻|缺少所需装备或技能",
    "decline.other": "其他原因（请填写）",
    "decline.other_label": "补充说明",
    "decline.send": "确认拒绝",
    "decline.needs": "请选择或填写拒绝原因",
    "arrive.far_title": "到场位置较远",
    "arrive.far_body": "您的位置离任务地点较远，请说明原因后再提交到场。",
    "arrive.note": "说明",
    "arrive.send": "提交到场",
    "cancel": "取消",
    "close": "关闭",
    "notes.title": "通知",
    "notes.none": "暂无通知",
    "notes.read": "标为已读",
    "notes.unread": "未读",
    "geo.denied": "未允许定位，请在浏览器设置中允许本页面使用位置",
    "geo.unavailable": "暂时无法定位，请到开阔处再试",
    "geo.timeout": "定位超时，请再试一次",
    "geo.none": "本机不支持定位",
    "time.h_m": "{h} 小时 {m} 分",
    "time.m_s": "{m} 分 {s} 秒",
    "time.d_h": "{d} 天 {h} 小时",
    "updated": "更新于 {at}",
    "refresh": "刷新",
    "error.generic": "出错了：{message}",
    "error.insecure": "本页未通过 HTTPS 打开：无法定位，也不能离线使用。请向管理员索取 https 链接。",
  },
  en: {
    "app.title": "Grid Command · Field",
    "lang.switch": "中文",
    "lang.switch_label": "切换到中文",
    "signed_out.title": "Not signed in",
    "signed_out.body": "Please open the invite link your dispatcher sent you.",
    "signed_out.hint": "An invite link works once; this phone then stays signed in.",
    "loading": "Loading…",
    "net.online": "Online",
    "net.offline": "Offline: actions are kept on the phone and sent when the signal returns",
    "queue.waiting": "{n} waiting to send",
    "queue.sending": "Sending {n}…",
    "queue.retry": "{n} waiting to send, retrying in {s} s",
    "queue.all_sent": "All sent",
    "queue.positions": "{n} positions waiting to send",
    "queue.dropped": "Not accepted: {message}",
    "duty.on": "On duty",
    "duty.off": "Off duty",
    "duty.go_on": "Go on duty (share position)",
    "duty.go_off": "Go off duty (stop sharing)",
    "duty.sharing": "On duty: your position is shared about every {s} s",
    "duty.sharing_slow": "Battery low or app in background: sharing every {s} s",
    "duty.no_position": "No position: {why}",
    "duty.not_sharing": "Your position is not shared while off duty",
    "checkin.title": "Event check-in",
    "checkin.button": "Check in",
    "checkin.every": "Check in every {m} minutes",
    "checkin.due_in": "Next check-in due in {left}",
    "checkin.overdue": "Overdue by {left}: check in now",
    "checkin.last": "Last check-in {at}",
    "checkin.never": "Not checked in yet",
    "checkin.first": "No check-in yet: check in now",
    "checkin.sent": "Checked in",
    "tasks.title": "My work",
    "tasks.none": "No tasks. New ones will appear here.",
    "tasks.count": "{n} tasks, nearest first",
    "task.headcount": "{n} people needed",
    "task.grid": "Grid {grid}",
    "task.distance_m": "{d} m away",
    "task.distance_km": "{d} km away",
    "task.distance_unknown": "Distance unknown",
    "task.due": "Due {at}",
    "task.due_left": "{left} left",
    "task.due_over": "Overdue by {left}",
    "task.status_new": "New: accept or decline",
    "task.status_accepted": "Accepted: on the way",
    "task.status_arrived": "On site",
    "task.pending": "Waiting to send",
    "task.accept": "Accept",
    "task.decline": "Decline",
    "task.navigate": "Navigate",
    "task.arrive": "I have arrived",
    "task.locating": "Finding your position…",
    "task.progress": "Progress (done since last report)",
    "task.progress_done": "Done {done} of {target} {unit}",
    "task.progress_done_only": "Done {done} {unit}",
    "task.progress_save": "Report progress",
    "task.progress_empty": "Enter at least one amount above 0",
    "task.proof": "Result",
    "task.note": "What was done",
    "task.note_placeholder": "e.g. Cleared; the site is back to normal",
    "task.photo": "Take photo",
    "task.photos": "Photos",
    "task.photo_pending": "waiting to upload",
    "task.done": "Finish task",
    "task.done_needs": "Write what was done or take a photo",
    "task.note_needed": "Write what was done first",
    "task.sent_done": "Finished",
    "task.description": "Report",
    "nav.title": "Choose a map app",
    "nav.amap": "Amap (高德)",
    "nav.baidu": "Baidu Maps (百度)",
    "nav.tencent": "Tencent Maps (腾讯)",
    "decline.title": "Decline the task",
    "decline.reason": "Reason",
    "decline.reasons":
      "Busy with another task|Unwell|Too far to arrive in time|Road blocked|Missing equipment or skills",
    "decline.other": "Other reason (write it)",
    "decline.other_label": "Details",
    "decline.send": "Decline",
    "decline.needs": "Choose or write a reason",
    "arrive.far_title": "Far from the place",
    "arrive.far_body": "You are far from the task's place. Say why, then send your arrival.",
    "arrive.note": "Note",
    "arrive.send": "Send arrival",
    "cancel": "Cancel",
    "close": "Close",
    "notes.title": "Notifications",
    "notes.none": "No notifications",
    "notes.read": "Mark read",
    "notes.unread": "Unread",
    "geo.denied": "Location not allowed: allow it for this page in the browser's settings",
    "geo.unavailable": "No position yet: try again in the open",
    "geo.timeout": "Finding the position took too long: try again",
    "geo.none": "This phone cannot give a position",
    "time.h_m": "{h} h {m} min",
    "time.m_s": "{m} min {s} s",
    "time.d_h": "{d} d {h} h",
    "updated": "Updated {at}",
    "refresh": "Refresh",
    "error.generic": "Something went wrong: {message}",
    "error.insecure":
      "This page was not opened over HTTPS: no position and no offline use. Ask the administrator for an https link.",
  },
};

export function lang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "zh" || asked === "en") {
    localStorage.setItem(LANG_KEY, asked);
    return asked;
  }
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

export function setLang(value) {
  localStorage.setItem(LANG_KEY, value === "en" ? "en" : "zh");
}

export function t(key, vars = {}) {
  const words = TEXT[lang()][key] ?? TEXT.zh[key] ?? key;
  return words.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

// Fill every element marked data-i18n (its text) or data-i18n-label (its
// aria-label) or data-i18n-placeholder, and set <html lang>.
export function applyStatic(root = document) {
  document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  document.title = t("app.title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
}

// A duration in seconds as words ("2 小时 5 分"), never negative.
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return t("time.d_h", { d, h });
  if (h > 0) return t("time.h_m", { h, m });
  return t("time.m_s", { m, s: s % 60 });
}

const CLOCK = {};
// A time as Beijing time (the city's), e.g. "6月5日 14:30".
export function clock(iso) {
  if (!iso) return "";
  const key = lang();
  CLOCK[key] ??= new Intl.DateTimeFormat(key === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
  return CLOCK[key].format(new Date(iso));
}

// A message from the API in the cadre's language.
export function message(error) {
  if (!error) return "";
  return (lang() === "zh" ? error.message_zh : error.message) || error.message || "";
}
