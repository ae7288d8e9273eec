"""What a notification says, to whom, and when a failed one is tried again.

The outbox (``data.store_outbox``) stores one row per message, written in the
transaction of what causes it; this module builds each message's payload:
``text_zh`` and ``text_en`` (Chinese first: the cadres, the desk and the
residents read Chinese), a short ``title_zh``/``title_en`` for the work-chat
robots, the ids a reader needs, and, for deduplicated notices, a ``key``.

Pure: plain values in, dicts out.
"""

from __future__ import annotations

import datetime as dt
import random

from domain.categories import category_name
from domain.errors import InvalidInput

# dispatch, mobilise, reassign: a task for a cadre; decline, checkin_overdue,
# unacknowledged: for the desk; incident_state: for the reporter.
KINDS = (
    "dispatch",
    "reassign",
    "decline",
    "checkin_overdue",
    "mobilise",
    "incident_state",
    "unacknowledged",
)
TASK_KINDS = ("dispatch", "reassign", "mobilise")
RECIPIENT_KINDS = ("cadre", "desk", "reporter")

# Retries: exponential backoff with jitter, then give up. 15 s, 30 s, 1 min …
# 16 min: a gateway down for about half an hour is ridden out.
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 15.0
BACKOFF_CAP_S = 30 * 60.0

# The reporter hears of these moves only (not of internal ones such as
# verify, park or escalate): (Chinese, English) of what happened.
REPORTER_MOVES: dict[str, tuple[str, str]] = {
    "register": ("已受理，正在安排处理", "has been accepted and is being arranged"),
    "dispatch": ("已派工作人员前往处理", "has been assigned: staff are on their way"),
    "resolve": ("已办结，欢迎评价", "has been resolved; please rate it"),
    "close": ("已结案，感谢您的反映", "is closed; thank you for reporting it"),
    "reject": ("未予受理", "was not accepted"),
    "merge": ("与他人反映的同一问题合并办理", "is handled together with the same report by others"),
    "reopen": ("已重新办理", "has been reopened"),
}

_TASK_WORDS = {
    "dispatch": ("新任务", "New task"),
    "reassign": ("改派任务", "Task reassigned to you"),
    "mobilise": ("战时调派", "Mobilised"),
}


def check_notice(kind: str, recipient_kind: str, recipient: str | None, payload: dict) -> None:
    """Refuse a notice that no transport could deliver.

    Raises
    ------
    InvalidInput
        An unknown kind or recipient kind; a cadre's notice without a cadre
        id, a reporter's without a phone, a desk's with a recipient; a payload
        without ``text_zh`` and ``text_en``.
    """
    if kind not in KINDS:
        raise InvalidInput(f"unknown notification kind {kind!r}", zh=f"未知的通知类型 {kind!r}")
    if recipient_kind not in RECIPIENT_KINDS:
        raise InvalidInput(
            f"recipient_kind must be one of {', '.join(RECIPIENT_KINDS)}, not {recipient_kind!r}",
            zh="通知对象类型无效",
        )
    if recipient_kind == "cadre" and not (isinstance(recipient, str) and recipient.isdigit()):
        raise InvalidInput("a cadre's notification needs the cadre's id", zh="干部通知需要干部编号")
    if recipient_kind == "reporter" and not (isinstance(recipient, str) and recipient.strip()):
        raise InvalidInput(
            "a reporter's notification needs a phone number", zh="群众通知需要手机号"
        )
    if recipient_kind == "desk" and recipient is not None:
        raise InvalidInput("a desk notification has no recipient", zh="值班台通知不指定接收人")
    texts = [payload.get("text_zh"), payload.get("text_en")] if isinstance(payload, dict) else []
    if len(texts) != 2 or not all(isinstance(s, str) and s.strip() for s in texts):
        raise InvalidInput(
            "a notification's payload needs text_zh and text_en", zh="通知内容需要中文和英文"
        )


def _where(incident: dict) -> tuple[str, str]:
    place = incident.get("address") or incident.get("grid_name") or incident.get("grid_code")
    return (f"（{place}）", f" ({place})") if place else ("", "")


def task_notice(kind: str, incident: dict, *, phone: str | None = None) -> dict:
    """A task for a cadre: ``kind`` dispatch, reassign or mobilise.

    ``incident`` is its row (id, public_id, category, description, address or
    grid_code); ``phone`` is the cadre's, for an SMS when the field app does
    not fetch it in time.
    """
    zh_word, en_word = _TASK_WORDS[kind]
    zh_where, en_where = _where(incident)
    pid = incident["public_id"]
    text = str(incident.get("description") or "")[:80]
    payload = {
        "title_zh": f"{zh_word} {pid}",
        "title_en": f"{en_word} {pid}",
        "text_zh": f"{zh_word}：{pid} {category_name(incident['category'], 'zh')}{zh_where}。"
        f"{text} 请在外勤页面接受任务。",
        "text_en": f"{en_word}: {pid} {category_name(incident['category'], 'en')}{en_where}. "
        f"{text} Please accept it in the field app.",
        "public_id": pid,
    }
    if phone:
        payload["phone"] = phone
    return payload


def state_notice(incident: dict, action: str) -> dict | None:
    """What the reporter of ``incident`` hears of ``action``; None for a move
    they are not told of."""
    words = REPORTER_MOVES.get(action)
    if words is None:
        return None
    pid = incident["public_id"]
    return {
        "title_zh": f"您反映的问题 {pid}",
        "title_en": f"Your report {pid}",
        "text_zh": f"【网格指挥】您反映的问题（编号 {pid}）{words[0]}。",
        "text_en": f"[Grid Command] Your report {pid} {words[1]}.",
        "public_id": pid,
        "action": action,
    }


def decline_notice(incident: dict, *, cadre_id: int, cadre_name: str, reason: str) -> dict:
    """For the desk: a cadre declined a task and is free; someone else must go."""
    pid = incident["public_id"]
    return {
        "title_zh": f"任务被拒 {pid}",
        "title_en": f"Task declined {pid}",
        "text_zh": f"{cadre_name} 拒绝了任务 {pid}"
        f"（{category_name(incident['category'], 'zh')}），原因：{reason}。请改派他人。",
        "text_en": f"{cadre_name} declined task {pid} "
        f"({category_name(incident['category'], 'en')}): {reason}. Please send someone else.",
        "public_id": pid,
        "cadre_id": int(cadre_id),
    }


def unacknowledged_notice(ack: dict, *, minutes: int) -> dict:
    """For the desk, once per dispatch: nobody accepted it within ``minutes``.

    ``ack`` has dispatch_id, public_id, cadre_id and cadre_name.
    """
    pid, name = ack["public_id"], ack["cadre_name"]
    return {
        "title_zh": f"任务未确认 {pid}",
        "title_en": f"Task not acknowledged {pid}",
        "text_zh": f"派给 {name} 的任务 {pid} 已超过 {minutes} 分钟未确认，请电话联系或改派。",
        "text_en": f"{name} has not acknowledged task {pid} within {minutes} minutes: "
        "call them or send someone else.",
        "public_id": pid,
        "cadre_id": int(ack["cadre_id"]),
        "dispatch_id": int(ack["dispatch_id"]),
        "key": f"unacknowledged:{int(ack['dispatch_id'])}",
    }


def overdue_notice(
    *,
    event_id: int,
    event_name: str,
    cadre_id: int,
    cadre_name: str,
    last_seen_at: dt.datetime,
    minutes: int,
) -> dict:
    """For the desk: a mobilised cadre missed a check-in.

    One per cadre per overdue period: the ``key`` names the event, the cadre
    and the last sign of life the period is counted from, so a check-in
    (which starts a new period) is the only thing that allows another one.
    """
    seen = last_seen_at.astimezone(dt.UTC).replace(microsecond=0)
    local = seen.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M")
    return {
        "title_zh": f"未按时报到：{cadre_name}",
        "title_en": f"Check-in overdue: {cadre_name}",
        "text_zh": f"“{event_name}”：{cadre_name} 自 {local} 起已超过 {minutes} 分钟未报到，请联系确认安全。",
        "text_en": f"{event_name}: {cadre_name} has not checked in for more than {minutes} "
        f"minutes since {local} (Beijing time); please check on them.",
        "event_id": int(event_id),
        "cadre_id": int(cadre_id),
        "last_seen_at": seen.isoformat(),
        "key": f"checkin_overdue:{int(event_id)}:{int(cadre_id)}:{seen.isoformat()}",
    }


def checkin_reminder(desk_notice: dict, *, event_name: str, minutes: int) -> dict:
    """For the cadre's own phone, beside the desk's ``overdue_notice``: check in
    now. Its key is the desk notice's, marked as the cadre's copy."""
    return {
        "title_zh": "请报到",
        "title_en": "Please check in",
        "text_zh": f"“{event_name}”每 {minutes} 分钟报到一次，您已超时：请在外勤页面点“报到”。",
        "text_en": f"{event_name}: check in every {minutes} minutes; yours is overdue. "
        "Tap Check in on the field app.",
        "event_id": desk_notice["event_id"],
        "cadre_id": desk_notice["cadre_id"],
        "key": f"{desk_notice['key']}:cadre",
    }


def retry_delay_s(
    attempts: int,
    *,
    base_s: float = BACKOFF_BASE_S,
    cap_s: float = BACKOFF_CAP_S,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``attempts``-th failed try (1 for the first).

    Exponential (``base_s`` doubled each time, at most ``cap_s``) with
    "equal jitter": half the delay fixed, half random, so that the retries of
    many messages after one outage do not all arrive at the same moment.
    """
    delay = min(cap_s, base_s * 2 ** max(0, attempts - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def robot_markdown(payload: dict) -> tuple[str, str]:
    """The title and the markdown body of a desk notice for a work-chat robot."""
    title = payload.get("title_zh") or payload["text_zh"][:30]
    body = f"### {title}\n{payload['text_zh']}\n\n> {payload['text_en']}"
    return title, body
