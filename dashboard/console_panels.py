"""The dispatch console's answers as HTML: whom to send to the chosen incident,
and what the plan for all open work gives against the greedy one."""

from __future__ import annotations

from dash import html

from dashboard import ids
from dashboard.i18n import t


def recommendations_view(chosen: dict | None, lang: str):
    """Whom to send to the chosen incident (``dispatch_view.picked``), best
    first, each with a send button; or why nobody can be sent."""
    if chosen is None:
        return t("console.recommend_pick", lang)
    incident = chosen["incident"]
    head = html.Div(f"{incident['public_id']} · {incident['label']}", className="gc-rec-for")
    already = acknowledgements_view(chosen, lang)
    if not incident["dispatchable"]:
        note = t("console.not_dispatchable", lang).format(status=incident["status_name"])
    elif not incident["located"]:
        note = t("console.no_location", lang)
    elif not chosen["cadres"]:
        note = t("console.no_cadres", lang)
    else:
        note = None
    if note:
        return [head, already, html.P(note, className="gc-muted")]
    items = [
        html.Li(
            [
                html.Span(str(n + 1), className="gc-rec-rank"),
                html.Div(
                    [
                        html.Div(
                            [
                                html.B(c["name"]),
                                html.Span(c["department"] or "", className="gc-rec-dept"),
                            ],
                            className="gc-rec-who",
                        ),
                        html.Div(c["reason"], className="gc-rec-reason"),
                    ],
                    className="gc-rec-body",
                ),
                html.Span(
                    t("console.minutes", lang).format(m=max(1, round(c["eta_s"] / 60))),
                    className="gc-rec-eta",
                ),
                html.Button(
                    t("console.send", lang),
                    className="gc-button gc-send",
                    id={"type": ids.SEND_BUTTON, "cadre": c["cadre_id"]},
                ),
            ],
            className="gc-rec gc-rec-best" if n == 0 else "gc-rec",
        )
        for n, c in enumerate(chosen["cadres"])
    ]
    return [head, already, html.Ol(items, className="gc-recs-list")]


def acknowledgements_view(chosen: dict, lang: str):
    """The cadres sent, each with whether they have seen and accepted the task;
    one nobody acknowledged in time is flagged. None when nobody was sent."""
    acks = chosen.get("acks") or []
    if not acks:
        return None
    items = []
    for a in acks:
        words = t(f"console.ack_{a['state']}", lang)
        if a["late"]:
            late = t("console.ack_late", lang).format(m=chosen.get("ack_minutes", 10))
            words = f"⚠ {late}" if a["state"] == "sent" else f"{words} · ⚠ {late}"
        items.append(
            html.Li(
                [html.B(a["name"]), " ", html.Span(words)],
                className="gc-ack gc-warn" if a["late"] else f"gc-ack gc-ack-{a['state']}",
            )
        )
    return html.Div(
        [f"{t('console.already', lang)}：", html.Ul(items, className="gc-acks")],
        className="gc-rec-sent",
    )


def plan_summary_view(summary: dict):
    """The plan against the greedy one (``dispatch_view.plan_summary``), its gain, what is unmet."""
    table = html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in summary["head"]])),
            html.Tbody(
                [
                    html.Tr([html.Td(v) for v in row], className=name)
                    for name, row in zip(("optimal", "greedy"), summary["rows"], strict=True)
                ]
            ),
        ],
        className="gc-compare",
    )
    unmet = "gc-warn" if summary["unmet_count"] else "gc-ok"
    return [
        table,
        html.Div(
            [
                html.Div(summary["gain"], className="gc-gain"),
                html.Div(summary["unmet"], className=unmet),
            ]
        ),
    ]
