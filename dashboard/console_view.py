"""Glue between the store and the dispatch console: the queue, the plan table, one incident."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.i18n import t
from dashboard.risk_view import HIGH, MID, incident_risk, queue_risk, risk_section
from domain.access import ANONYMOUS, Principal, display_actor, mask_phone
from domain.categories import CHANNELS, PRIORITIES, category_name
from domain.errors import InvalidInput
from domain.lifecycle import ACTIONS, OPEN_STATUSES, legal_actions, status_name
from domain.services import answered
from domain.sla_states import sla_flags
from domain.triage import attention_rank
from layers.timefmt import local_text
from services.photos import photo_links

SLA_LABELS = {
    "breached": ("已超期", "Overdue"),
    "near": ("临期", "Due soon"),
    "running": ("正常", "On time"),
    "met": ("按时", "Met"),
    "paused": ("挂账", "Paused"),
}
RECENT = dt.timedelta(days=7)
ONE_DECIMAL = {"function": "Number(params.value).toFixed(1)"}
PERCENT = {"function": "params.value == null ? '' : Number(params.value).toFixed(0) + '%'"}
RISK_CLASSES = {
    "gc-risk-high": f"params.value != null && params.value >= {HIGH}",
    "gc-risk-mid": f"params.value != null && params.value >= {MID} && params.value < {HIGH}",
}


def queue_rows(store, scope: str, lang: str, now: dt.datetime) -> tuple[list[dict], str]:
    """Rows of the incident queue: open work, or everything of the last 7 days,
    each open one with its breach risk; and the notice on where the risk
    figures come from, or why there are none (``risk_view.risk_note``)."""
    if scope == "open":
        frame = store.incidents(sorted(OPEN_STATUSES))
    else:
        frame = store.incidents(reported=(now - RECENT, None))
    risk, note = queue_risk(store, frame, now, lang)
    if not len(frame):
        return [], note
    flags = sla_flags(frame, now)
    i = 0 if lang == "zh" else 1
    out = pd.DataFrame(
        {
            "id": frame["id"].astype(int),
            "row_id": frame["id"].astype(int).astype(str),  # the grid's row id: a string
            "public_id": frame["public_id"],
            "category": frame["category"].map(lambda c: category_name(c, lang)),
            "priority": frame["priority"].astype(int),
            "priority_name": frame["priority"].map(lambda p: PRIORITIES.get(int(p), ("", ""))[i]),
            "status": frame["status"].map(lambda s: status_name(s, lang)),
            "channel": frame["channel"].map(lambda c: CHANNELS.get(c, (c, c))[i]),
            "risk": risk["risk"],
            "risk_why": risk["risk_why"],
            "grid": frame["grid_name"].fillna("—"),
            "reported": local_text(frame["reported_at"], "%m-%d %H:%M"),
            "due": local_text(frame["due_resolve_at"], "%m-%d %H:%M"),
            "sla": flags["resolve_state"].map(lambda s: SLA_LABELS.get(s, (s, s))[i]),
            "sla_state": flags["resolve_state"],
            "description": frame["description"].str.slice(0, 60),
        }
    )
    out["attention"] = attention_rank(
        pd.DataFrame(
            {
                "status": frame["status"],
                "priority": frame["priority"],
                "risk": risk["risk"],
                "reported_at": frame["reported_at"],
            }
        )
    ).to_numpy()
    return out.to_dict("records"), note


def incident_detail(
    store, incident_id: int, lang: str, now: dt.datetime | None = None
) -> dict | None:
    """One incident with its timeline, the moves it allows now and, while it
    is open, its breach risk at ``now`` (``risk_view.incident_risk``)."""
    rows = store.incidents(ids=[incident_id])
    if not len(rows):
        return None
    row = rows.iloc[0].to_dict()
    # The row's own time stamps, then every audited move (imported history has
    # stamps but no audit entries).
    stamps = [(name, row.get(column)) for column, name in _STAMPS.items()]
    audited = []
    for h in store.incident_history(incident_id).itertuples():
        after = json.loads(h.after) if h.after else {}
        audited.append(
            {
                "at": _local(h.at),
                "actor": h.actor,
                "action": action_name(h.action, lang),
                "note": after.get("note") if isinstance(after, dict) else None,
            }
        )
    # A stamp that an audited move explains (same step, same minute) would say it twice.
    seen = {(e["at"], e["action"]) for e in audited}
    timeline = [
        {"at": _local(at), "actor": "", "action": name, "note": None}
        for name, at in stamps
        if at is not None and not pd.isna(at) and (_local(at), name) not in seen
    ]
    return {
        "row": row,
        "timeline": timeline + audited,
        "actions": legal_actions(row["status"]),
        "photos": photo_links(store, [incident_id]).get(incident_id, []),
        "risk": incident_risk(store, row, now or dt.datetime.now(dt.UTC), lang),
        "answers": answered(row["category"], _answers(row.get("attributes")), lang),
        "me_too": store.me_too_counts([incident_id]).get(incident_id, 0),
    }


# Moves a resident makes on the residents' page, beside the lifecycle's own.
_RESIDENT_MOVES = {"me_too": ("居民附议", "a resident: me too"), "follow": ("居民关注", "followed")}


def action_name(action: str, lang: str) -> str:
    """An audited move as the console names it, in ``lang``."""
    if action in _RESIDENT_MOVES:
        return _RESIDENT_MOVES[action][0 if lang == "zh" else 1]
    if lang == "zh" and action in ACTIONS:
        return ACTIONS[action].zh
    return action.replace("_", " ")


def _answers(raw) -> dict:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw == "":
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


_STAMPS = {
    "reported_at": "上报",
    "registered_at": "立案",
    "first_contact_at": "首次联系",
    "dispatched_at": "派遣",
    "resolved_at": "办结",
    "closed_at": "结案",
}


def _local(at) -> str:
    return local_text(pd.Series([at]), "%m-%d %H:%M").iloc[0]


def move_details(store, action: str, note: str | None, proof: str | None, extra: str | None):
    """Keyword arguments of ``Store.apply_action`` from the console's three inputs."""
    details: dict = {"note": note or None}
    proof = (proof or "").strip()
    extra = (extra or "").strip()
    if action == "resolve" and proof:
        details["photo_url" if proof.startswith(("http://", "https://")) else "callback"] = proof
    if action == "rate":
        if not extra.isdigit():
            raise InvalidInput("the rating must be a whole number 1–5", zh="评分须为 1–5 的整数")
        details["rating"] = int(extra)
    if action == "merge":
        original = store.incident_by_public_id(extra) if extra else None
        if original is None:
            raise InvalidInput(f"no incident numbered {extra!r}", zh=f"没有编号为 {extra!r} 的事件")
        details["into"] = int(original["id"])
    return details


def queue_columns(lang: str, scale: float = 1.0) -> list[dict]:
    """Columns of the incident queue, widths scaled for the screen, sorted by
    ``domain.triage``: new reports first (urgent, riskiest), then riskiest first.
    A click on a header sorts by that column instead."""
    zh = lang == "zh"
    col = lambda field, zh_name, en_name, width, **kw: {  # noqa: E731
        "field": field,
        "headerName": zh_name if zh else en_name,
        "width": round(width * scale),
        **kw,
    }
    return [
        col("attention", "", "", 0, hide=True, sort="asc", sortable=True),
        col("public_id", "编号", "No.", 128),
        col("category", "类别", "Category", 104),
        col(
            "risk",
            t("risk.column", "zh"),
            t("risk.column", "en"),
            112 if zh else 136,
            type="rightAligned",
            valueFormatter=PERCENT,
            tooltipField="risk_why",
            cellClassRules=RISK_CLASSES,
        ),
        col(
            "priority_name",
            "优先级",
            "Priority",
            82,
            cellClassRules={"gc-urgent": "params.data.priority == 1"},
        ),
        col("status", "状态", "Status", 70),
        col(
            "sla",
            "时限",
            "SLA",
            76,
            cellClassRules={
                "gc-breached": "params.data.sla_state == 'breached'",
                "gc-near": "params.data.sla_state == 'near'",
            },
        ),
        col("channel", "渠道", "Channel", 96),
        col("grid", "网格", "Grid", 150),
        col("reported", "上报", "Reported", 104),
        col("due", "办结时限", "Due", 104),
        col("description", "内容", "Description", 300),
    ]


def detail_children(
    detail: dict | None, lang: str, principal: Principal = ANONYMOUS, *, moves: bool = True
):
    """The chosen incident: what it is, its history, the moves it allows.

    The reporter's phone number is whole only for callers who may call
    residents back (``domain.access.CONTACTS``), masked for anyone else.
    Without ``moves`` (a report shown as a proactive case's evidence) it is
    read only: no inputs, no buttons, a line saying where to act.
    """
    if detail is None:
        return t("console.pick", lang)
    row, zh = detail["row"], lang == "zh"
    fields = [
        (t("console.number", lang), row["public_id"]),
        (
            t("console.priority", lang),
            PRIORITIES.get(int(row["priority"]), ("", ""))[0 if zh else 1],
        ),
        (t("console.grid", lang), row.get("grid_name") or "—"),
        (t("console.address", lang), row.get("address") or "—"),
        (t("console.reporter", lang), row.get("reporter_name") or "—"),
        (t("console.phone", lang), mask_phone(row.get("reporter_phone"), principal) or "—"),
        *detail.get("answers", []),  # the service's questions: 积水深度 没过膝盖
    ]
    if detail.get("me_too"):
        fields.append(
            (t("console.me_too", lang), t("console.me_too_n", lang).format(n=detail["me_too"]))
        )
    buttons = [
        html.Button(
            ACTIONS[a].zh if zh else a.replace("_", " "),
            id={"type": ids.ACTION_BUTTON, "action": a},
            className="gc-button",
        )
        for a in detail["actions"]
    ]
    return [
        html.H2(f"{row['public_id']} · {category_name(row['category'], lang)}"),
        html.P(row["description"], className="gc-description"),
        html.Dl([item for name, value in fields for item in (html.Dt(name), html.Dd(value))]),
        *risk_section(detail.get("risk"), lang),
        *photo_strip(detail.get("photos", []), row["public_id"], lang),
        html.H3(t("console.timeline", lang)),
        html.Ol(
            [
                html.Li(
                    f"{e['at']} {e['action']} {display_actor(e['actor'])}"
                    + (f"：{e['note']}" if e["note"] else "")
                )
                for e in detail["timeline"]
            ]
            or [html.Li(t("console.no_moves", lang))],
            className="gc-timeline",
        ),
        *(move_inputs(buttons, lang) if moves else [html.P(t("proactive.evidence", lang))]),
    ]


def move_inputs(buttons: list, lang: str) -> list:
    """The moves of the incident shown: a note, a proof, an extra value, its buttons."""
    return [
        html.H3(t("console.moves", lang)),
        dcc.Textarea(
            id=ids.ACTION_NOTE, placeholder=t("console.note", lang), className="gc-input gc-note"
        ),
        dcc.Input(id=ids.ACTION_PROOF, placeholder=t("console.proof", lang), className="gc-input"),
        dcc.Input(id=ids.ACTION_EXTRA, placeholder=t("console.extra", lang), className="gc-input"),
        html.Div(buttons or t("console.final", lang), className="gc-buttons"),
    ]


def photo_strip(photos: list[dict], public_id: str, lang: str) -> list:
    """The incident's photos from the field as thumbnails, each opening the
    whole photo in a new tab (served only to those who may see the incident)."""
    if not photos:
        return []
    links = [
        html.A(
            html.Img(
                src=p["thumb_url"],
                alt=t("console.photo_alt", lang).format(id=public_id, n=n + 1),
                style={"maxHeight": "96px", "maxWidth": "128px", "margin": "0 6px 6px 0"},
            ),
            href=p["url"],
            target="_blank",
            rel="noopener",
        )
        for n, p in enumerate(photos)
    ]
    return [html.H3(t("console.photos", lang)), html.Div(links, className="gc-photos")]


def plan_columns(lang: str, scale: float = 1.0) -> list[dict]:
    """Columns of the plan table, widths scaled for the screen."""
    col = lambda field, key, width, **kw: {  # noqa: E731
        "field": field,
        "headerName": t(key, lang),
        "width": round(width * scale),
        **kw,
    }
    return [
        col("incident", "plan.incident", 130),
        col("category", "plan.category", 104),
        col(
            "priority_name",
            "plan.priority",
            70,
            cellClassRules={"gc-urgent": "params.data.priority == 1"},
        ),
        col("cadre_name", "plan.cadre", 84),
        col("department", "plan.department", 150, flex=1),
        col("km", "plan.km", 80, type="rightAligned", valueFormatter=ONE_DECIMAL),
        col("eta_min", "plan.eta", 92, type="rightAligned", valueFormatter=ONE_DECIMAL),
        col("paired", "plan.paired", 64),
    ]


def grid_words(lang: str) -> dict:
    """AG Grid's own words (pagination, empty grid) in the screen's language."""
    keys = {
        "noRowsToShow": "grid.empty",
        "page": "grid.page",
        "to": "grid.to",
        "of": "grid.of",
        "pageSizeSelectorLabel": "grid.page_size",
    }
    return {key: t(word, lang) for key, word in keys.items()}
