"""The /events desk's parts, built from the API's own payloads: the event's
banner, its figures, the tasks table, the mobilisation proposal, the
missed check-ins and the after-action report with its replay slider. Plain
functions; the page's callbacks call them (the map's are in
``dashboard.events_map``)."""

from __future__ import annotations

import datetime as dt

from dash import html

from dashboard.i18n import t
from domain.event_tasks import MEASURES, measures_of
from domain.events import KINDS, SEVERITIES
from layers.event_map import TASK_COLOURS, task_state

BEIJING = dt.timezone(dt.timedelta(hours=8))


def local(iso: str | None) -> str:
    """An ISO time as Beijing wall-clock time, "—" for none."""
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%m-%d %H:%M")


def event_options(store, lang: str) -> list[dict]:
    """Events for the picker: running ones first (newest first), then ended ones."""
    frame = store.events()
    options = []
    for active in (True, False):
        for row in frame.to_dict("records"):
            running = row["ended_at"] is None or row["ended_at"] != row["ended_at"]
            if running != active:
                continue
            kind = KINDS[row["kind"]][0 if lang == "zh" else 1]
            state = "" if running else ("（已结束）" if lang == "zh" else " (ended)")
            options.append({"label": f"{row['name']} · {kind}{state}", "value": int(row["id"])})
    return options


def kind_options(lang: str) -> list[dict]:
    return [{"label": names[0 if lang == "zh" else 1], "value": k} for k, names in KINDS.items()]


def severity_options(lang: str) -> list[dict]:
    return [
        {"label": names[0 if lang == "zh" else 1], "value": k} for k, names in SEVERITIES.items()
    ]


def banner(event: dict, lang: str) -> list:
    """Name, kind, level, start (and end), the towns it covers, the CAP link."""
    zh = lang == "zh"
    towns = "、".join(town["name"] for town in event["towns"]) or "—"
    state = (
        t("events.running", lang)
        if event["active"]
        else f"{t('events.ended', lang)} {local(event['ended_at'])}"
    )
    return [
        html.Div(
            [
                html.Span(
                    event["kind_name"] if zh else KINDS[event["kind"]][1], className="gc-event-kind"
                ),
                html.B(event["name"], className="gc-event-name"),
                html.Span(
                    SEVERITIES[event["severity"]][0 if zh else 1],
                    className=f"gc-event-level gc-level-{event['severity']}",
                ),
            ],
            className="gc-event-title",
        ),
        html.Div(
            f"{t('events.started', lang)} {local(event['started_at'])} · {state} · "
            f"{t('events.towns', lang)}：{towns} · "
            f"{t('events.checkin_every', lang).format(m=event['checkin_minutes'])}",
            className="gc-event-meta",
        ),
        html.A(
            "CAP 1.2 XML",
            href=f"/api/v1/events/{event['id']}/cap.xml?lang={lang}",
            target="_blank",
            className="gc-link",
        ),
    ]


def figures(board: dict, lang: str) -> list:
    """One bar per figure: done of target (or done alone without a target)."""
    out = []
    for f in board["figures"]:
        done, target = f["done"], f["target"]
        share = min(done / target, 1.0) if target else None
        value = f"{done:,.0f} / {target:,.0f} {f['unit']}" if target else f"{done:,.0f} {f['unit']}"
        out.append(
            html.Div(
                [
                    html.Div(
                        [html.Span(f["label"]), html.Span(value, className="gc-figure-value")],
                        className="gc-figure-head",
                    ),
                    html.Div(
                        html.Div(
                            className="gc-figure-fill",
                            style={"width": f"{(share or 0) * 100:.0f}%"},
                        ),
                        className="gc-figure-bar",
                    )
                    if target
                    else None,
                ],
                className="gc-figure",
                **{"data-measure": f["measure"]},
            )
        )
    hands = t("events.hands", lang).format(
        on=board["hands_on_task"],
        need=board["hands_needed"],
        open=board["tasks_open"],
        all=len(board["tasks"]),
    )
    return [html.Div(hands, className="gc-event-hands"), *out]


NO_EVENT_KIND = "flood"  # whose task columns a grid shows before any event is picked


def task_columns(kind: str, lang: str) -> list[dict]:
    zh = lang == "zh"
    columns = [
        {
            "field": "state_name",
            "headerName": "状态" if zh else "Status",
            "flex": 0.8,
            # dash-ag-grid's style conditions: a function string holding an object
            # literal does not parse (a console error for every task row).
            "cellStyle": {
                "styleConditions": [
                    {
                        "condition": f"params.data.state === '{state}'",
                        "style": {"color": colour, "fontWeight": 600},
                    }
                    for state, colour in TASK_COLOURS.items()
                ],
                "defaultStyle": {"fontWeight": 600},
            },
        },
        {"field": "title", "headerName": "任务" if zh else "Task", "flex": 2, "minWidth": 140},
        {"field": "hands", "headerName": "人员" if zh else "Hands", "flex": 0.7},
        {"field": "grid", "headerName": "网格" if zh else "Grid", "flex": 1, "minWidth": 100},
    ]
    for code in measures_of(kind):
        m = MEASURES[code]
        columns.append(
            {
                "field": code,
                "headerName": f"{m.label(lang)}（{m.unit(lang)}）",
                "flex": 1,
                "type": "rightAligned",
            }
        )
    return columns


def task_rows(board: dict, lang: str) -> list[dict]:
    names = {
        "waiting": ("待人员", "Waiting"),
        "working": ("进行中", "Working"),
        "done": ("已完成", "Done"),
    }
    rows = []
    for task in board["tasks"]:
        state = task_state(task["status"], task["on_task"])
        row = {
            "id": task["id"],
            "row_id": str(task["id"]),
            "public_id": task["public_id"],
            "title": task["title"],
            "state": state,
            "state_name": names[state][0 if lang == "zh" else 1],
            "colour": TASK_COLOURS[state],
            "hands": f"{task['on_task']}/{task['headcount']}",
            "grid": task["grid"] or "—",
        }
        for f in task["figures"]:
            target = f" / {f['target']:,.0f}" if f["target"] else ""
            row[f["measure"]] = f"{f['done']:,.0f}{target}"
        rows.append(row)
    return rows


def overdue_list(board: dict, lang: str):
    """The missed check-ins, the longest first: an alert, or a quiet all-clear."""
    late = board["overdue"]
    if not board["active"]:
        return html.Div(t("events.no_checkins_ended", lang), className="gc-muted")
    if not late:
        return html.Div(
            t("events.all_checked_in", lang).format(n=len(board["mobilised"])), className="gc-ok"
        )
    return html.Div(
        [
            html.Div(t("events.missed", lang).format(n=len(late)), className="gc-alert-title"),
            html.Ul(
                [
                    html.Li(
                        f"{o['name']}（{o['department'] or '—'}）"
                        + t("events.late_by", lang).format(m=o["late_min"])
                    )
                    for o in late[:12]
                ]
            ),
        ],
        className="gc-alert",
    )


def proposal_columns(lang: str) -> list[dict]:
    zh = lang == "zh"
    return [
        {"field": "tier_name", "headerName": "梯队" if zh else "Tier", "flex": 0.8},
        {"field": "cadre_name", "headerName": "干部" if zh else "Cadre", "flex": 0.7},
        {"field": "unit", "headerName": "单位" if zh else "Unit", "flex": 1, "minWidth": 120},
        {"field": "task", "headerName": "任务" if zh else "Task", "flex": 1, "minWidth": 120},
        {
            "field": "eta_min",
            "headerName": "到达（分钟）" if zh else "ETA (min)",
            "flex": 0.7,
            "type": "rightAligned",
        },
    ]


def proposal_rows(payload: dict, token: int) -> list[dict]:
    """Rows to tick, with the ids that make the confirmation; ``token`` tells
    one proposal's rows from the next."""
    return [
        {
            **{
                k: r[k]
                for k in (
                    "incident",
                    "cadre_id",
                    "eta_s",
                    "position_at",
                    "tier_name",
                    "cadre_name",
                    "task",
                    "from",
                    "to",
                )
            },
            "id": f"{token}-{r['cadre_id']}",
            "row_id": f"{token}-{r['cadre_id']}",
            "unit": r["department"] or r["town"] or "—",
            "eta_min": max(1, round(r["eta_s"] / 60)),
        }
        for r in payload["assignments"]
    ]


def proposal_summary(payload: dict, lang: str) -> list:
    """Counts by tier and department, arrival times, what is unmet, who is left thin."""
    zh = lang == "zh"
    tiers = payload["tiers"]
    head = t("events.proposal_counts", lang).format(
        filled=payload["filled"],
        needed=payload["needed"],
        paired=tiers.get("paired", 0),
        neighbour=tiers.get("neighbour", 0),
        rest=tiers.get("rest", 0),
        p50=round(payload["eta_p50_s"] / 60),
        max=round(payload["eta_max_s"] / 60),
    )
    parts = [html.Div(head, className="gc-proposal-head")]
    if payload["by_department"]:
        parts.append(
            html.Div(
                "、".join(f"{d['department']} {d['cadres']}" for d in payload["by_department"][:8]),
                className="gc-muted",
            )
        )
    if payload["unmet"]:
        missing = sum(u["missing"] for u in payload["unmet"])
        parts.append(html.Div(t("events.unmet", lang).format(n=missing), className="gc-warn"))
    if payload["left_thin"]:
        thin = "、".join(
            f"{x['name']}（{'剩' if zh else 'left '}{x['left']}/{x['before']}）"
            for x in payload["left_thin"][:6]
        )
        parts.append(html.Div(t("events.thin", lang).format(units=thin), className="gc-warn"))
    return parts


def report_summary(report: dict, event_id: int, lang: str) -> list:
    """The after-action report's key figures, and the link to the workbook."""
    zh = lang == "zh"

    def minutes(seconds) -> str:
        return "—" if seconds is None else f"{seconds / 60:,.0f} {'分钟' if zh else 'min'}"

    m, r, k = report["mobilisation"], report["response"], report["checkins"]
    unmet = report["unmet"]
    rows = [
        (t("report.cadres", lang), f"{m['cadres']:,}"),
        (t("report.within", lang), f"{m['within_1h']} / {m['within_6h']} / {m['within_24h']}"),
        (t("report.first_sent", lang), minutes(r["first_sent_median_s"])),
        (t("report.first_contact", lang), minutes(r["first_contact_median_s"])),
        (t("report.completion", lang), minutes(r["completion_median_s"])),
        (t("report.tasks", lang), f"{report['tasks']['done']} / {report['tasks']['total']}"),
        (
            t("report.unmet", lang),
            f"{len(unmet['understaffed'])} / {len(unmet['open_tasks'])} / "
            f"{len(unmet['below_target'])}",
        ),
        (t("report.checkins", lang), f"{k['received']:,} / {k['missed']:,}"),
    ]
    return [
        html.Dl(
            [part for label, value in rows for part in (html.Dt(label), html.Dd(value))],
            className="gc-report",
        ),
        html.A(
            t("report.export", lang),
            className="gc-review-export",
            href=f"/api/v1/events/{event_id}/report.xlsx?lang={lang}",
        ),
    ]


def replay_marks(start: str, end: str) -> tuple[int, int, dict]:
    """The slider in seconds from the start: its length, a step of about 1/500
    of it (whole minutes once that is over a minute), and its two end labels,
    short: the time of day, with the date only when the event spans days (the
    exact moment under the handle is written beside the replay switch)."""
    first, last = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    length = max(1, int((last - first).total_seconds()))
    step = max(1, length // 500)
    step = step if step < 60 else step // 60 * 60
    one_day = first.astimezone(BEIJING).date() == last.astimezone(BEIJING).date()
    shape = "%H:%M" if one_day else "%m-%d %H:%M"
    return (
        length,
        step,
        {
            0: first.astimezone(BEIJING).strftime(shape),
            length: last.astimezone(BEIJING).strftime(shape),
        },
    )


def replay_at(
    replay_on: list | None, start: str | None, second: float | None
) -> dt.datetime | None:
    """The moment the replay's slider stands at (``second`` after ``start``), or
    None while the replay is switched off."""
    if "on" not in (replay_on or []) or not start:
        return None
    return dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second or 0)


def replay_moment(at: dt.datetime | None, lang: str) -> str:
    """The moment under the slider's handle in Beijing time, or how to replay while off."""
    if at is None:
        return t("report.replay_hint", lang)
    return t("report.at", lang).format(at=at.astimezone(BEIJING).strftime("%m-%d %H:%M:%S"))
