"""Small pieces of the screens, built from plain values."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.i18n import t
from domain.categories import category_name
from domain.kpis import RiskFigure, ServiceFigures, Situation
from layers.timefmt import local_text


def kpi_tiles(
    s: Situation, lang: str, risk: RiskFigure | None = None, spots: int | None = None
) -> list:
    """The headline tiles; alarming figures are coloured. With ``risk``, a wide
    tile of the open work likely to miss its deadline (or why there is none)
    follows the deadline figures; with ``spots`` too, the two share that row,
    the recurring spots proposed to the desk (主动发现) beside the risk."""
    items = [
        ("kpi.reported_today", s.reported_today, "unit.items", ""),
        ("kpi.open", s.open, "unit.items", "warn" if s.open else ""),
        ("kpi.urgent", s.urgent, "unit.items", "alarm" if s.urgent else ""),
        ("kpi.overdue", s.overdue, "unit.items", "alarm" if s.overdue else ""),
        ("kpi.near_due", s.near_due, "unit.items", "warn" if s.near_due else ""),
        ("kpi.contact_late", s.contact_late, "unit.items", "alarm" if s.contact_late else ""),
        ("kpi.cadres_out", s.cadres_out, "unit.people", ""),
        ("kpi.cadres_available", s.cadres_available, "unit.people", "ok"),
    ]
    tiles = [
        html.Div(
            [
                html.Div(t(label, lang), className="gc-kpi-label"),
                html.Div([f"{value:,}", html.Small(t(unit, lang))], className="gc-kpi-value"),
            ],
            className=f"gc-kpi {tone}".strip(),
            **{"data-kpi": label.split(".", 1)[1]},
        )
        for label, value, unit, tone in items
    ]
    extra = [] if risk is None else [risk_tile(risk, lang, wide=spots is None)]
    extra += [] if spots is None else [spots_tile(spots, lang)]
    return tiles[:6] + extra + tiles[6:]


def spots_tile(spots: int, lang: str) -> html.Div:
    """主动发现 / Proactive: the recurring trouble spots proposed to the desk
    now, and what they are, in words on the wall and in the tile's title."""
    return html.Div(
        [
            html.Div(t("kpi.proactive", lang), className="gc-kpi-label"),
            html.Div([f"{spots:,}", html.Small(t("unit.spots", lang))], className="gc-kpi-value"),
            html.Div(t("wall.spots_what", lang), className="gc-kpi-note"),
        ],
        className="gc-kpi gc-kpi-spots" + (" spots" if spots else ""),
        title=t("wall.spots_title", lang),
        **{"data-kpi": "proactive"},
    )


def risk_tile(risk: RiskFigure, lang: str, wide: bool = True) -> html.Div:
    """超时风险 / At risk: the count and what it counts, or "—" and why there is
    no figure, in words a wall shows (no mouse) and in the tile's title. Wide,
    a row of its own; else half a row, its words shorter."""
    percent = f"{risk.threshold:.0%}"
    if risk.at_risk is None:
        thin = risk.status == "thin"
        note = t("wall.risk_thin" if thin else "wall.risk_none", lang)
        why = risk.note if thin else t("wall.risk_none_hint", lang)
        title = f"{note}: {why}" if why else note
        value, tone = "—", "none"
    else:
        note = t("wall.risk_what" if wide else "wall.risk_short", lang).format(p=percent)
        trained = local_text(pd.Series([risk.trained_at]), "%m-%d %H:%M").iloc[0]
        title = f"{note} · {t('wall.risk_trained', lang).format(at=trained)}"
        value, tone = f"{risk.at_risk:,}", "warn" if risk.at_risk else ""
    return html.Div(
        [
            html.Div(t("kpi.at_risk", lang), className="gc-kpi-label"),
            html.Div(
                [value, html.Small(t("unit.items", lang)) if risk.at_risk is not None else None],
                className="gc-kpi-value",
            ),
            html.Div(note, className="gc-kpi-note"),
        ],
        className=f"gc-kpi {'gc-kpi-wide ' if wide else ''}{tone}".strip(),
        title=title,
        **{"data-kpi": "at_risk"},
    )


def town_ranking(ranking: pd.DataFrame, lang: str, top: int = 12) -> html.Ol:
    """Towns by open incidents with proportional bars."""
    rows = ranking.head(top)
    peak = max(int(rows["open"].max()) if len(rows) else 0, 1)
    # "Subdistrict" and "Town" would crowd out the names in a narrow panel.
    names = (
        rows["name"]
        if lang == "zh"
        else rows["name_en"].str.replace(r" (Subdistrict|Town)$", "", regex=True)
    )
    return html.Ol(
        [
            html.Li(
                [
                    html.Span(str(i + 1), className="n"),
                    html.Span(name, className="name", title=name),
                    html.Span(className="bar", style={"width": f"{max(open_ / peak, 0.02):.0%}"}),
                    html.Span(f"{open_}", className="v"),
                ]
            )
            for i, (name, open_) in enumerate(zip(names, rows["open"], strict=True))
        ],
        className="gc-rank",
    )


def legend(groups: list[tuple[str, list[tuple[str, str]], str]]) -> html.Div:
    """Legend groups of (title, [(colour, label)], shape 'swatch' or 'dot')."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(title, className="gc-legend-title"),
                    html.Div(
                        [
                            html.Span(
                                [
                                    html.Span(
                                        className=f"gc-{shape}", style={"background": colour}
                                    ),
                                    label,
                                ],
                                className="gc-legend-item",
                            )
                            for colour, label in entries
                        ]
                    ),
                ],
                className="gc-legend-group",
            )
            for title, entries, shape in groups
        ]
    )


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def service_tiles(f: ServiceFigures, lang: str) -> list:
    """Closure and satisfaction rates and median times of the last 30 days."""
    items = [
        ("kpi.closure_rate", _rate(f.closure_rate), "%"),
        ("kpi.satisfaction_rate", _rate(f.satisfaction_rate), "%"),
        ("kpi.median_contact", _hours(f.median_contact_h), t("unit.hours", lang)),
        ("kpi.median_resolve", _hours(f.median_resolve_h), t("unit.hours", lang)),
    ]
    return [
        html.Div(
            [
                html.Div(t(label, lang), className="gc-kpi-label"),
                html.Div([value, html.Small(unit)], className="gc-kpi-value"),
            ],
            className="gc-kpi",
            **{"data-kpi": label.split(".", 1)[1]},
        )
        for label, value, unit in items
    ]


def trend_bars(trend: pd.DataFrame, lang: str, *, step: str) -> html.Div:
    """Reports per period as bars, the current period lit, a few labels below."""
    peak = max(int(trend["count"].max()) if len(trend) else 0, 1)
    last = len(trend) - 1
    every = 6 if step == "h" else 1
    label = (lambda s: f"{s:%H}") if step == "h" else (lambda s: f"{s:%m-%d}")
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        html.Span(className="fill", style={"height": f"{n / peak:.0%}"}),
                        className="col now" if i == last else "col",
                        title=f"{label(start)} · {n}",
                    )
                    for i, (start, n) in enumerate(zip(trend["start"], trend["count"], strict=True))
                ],
                className="gc-bars",
            ),
            html.Div(
                [
                    html.Span(label(start) if i % every == 0 else "")
                    for i, start in enumerate(trend["start"])
                ],
                className="gc-bars-axis",
            ),
            html.Div(f"{t('trend.peak', lang)} {peak}", className="gc-bars-peak"),
        ],
        className="gc-trend",
    )


def category_bars(table: pd.DataFrame, lang: str) -> html.Ol:
    """Open work per category, most first."""
    peak = max(int(table["open"].max()) if len(table) else 0, 1)
    return html.Ol(
        [
            html.Li(
                [
                    html.Span(category_name(code, lang), className="name"),
                    html.Span(className="bar", style={"width": f"{max(n / peak, 0.02):.0%}"}),
                    html.Span(f"{n}", className="v"),
                ]
            )
            for code, n in zip(table["category"], table["open"], strict=True)
        ]
        or [html.Li(t("none", lang), className="gc-none")],
        className="gc-rank gc-categories",
    )


def ticker(rows: pd.DataFrame, lang: str) -> html.Ol:
    """The newest reports, the urgent ones in red: time, category, place."""
    items = []
    times = local_text(rows["reported_at"], "%H:%M").tolist() if len(rows) else []
    for row, time in zip(rows.itertuples(index=False), times, strict=True):
        tone = {1: "p1", 2: "p2"}.get(int(row.priority), "")
        items.append(
            html.Li(
                [
                    html.Span(time, className="t"),
                    html.Span(category_name(row.category, lang), className="c"),
                    html.Span("—" if pd.isna(row.grid_name) else row.grid_name, className="g"),
                ],
                className=f"gc-tick {tone}".strip(),
            )
        )
    return html.Ol(items or [html.Li(t("none", lang), className="gc-none")], className="gc-ticker")


def event_banner(events, lang: str) -> list:
    """The wall's banner of running events: name, level, tasks, hands, figures,
    and missed check-ins in red. Empty when no event runs."""
    from domain.events import KINDS, SEVERITIES

    items = []
    for e in events:
        figures = " · ".join(
            f"{f['label']} {f['done']:,.0f}"
            + (f"/{f['target']:,.0f}" if f["target"] else "")
            + f" {f['unit']}"
            for f in e["figures"]
            if f["done"] or f["target"]
        )
        overdue = (
            html.Span(t("wall.overdue", lang).format(n=e["overdue"]), className="gc-event-overdue")
            if e["overdue"]
            else None
        )
        items.append(
            html.Div(
                [
                    html.Span(
                        SEVERITIES[e["severity"]][0 if lang == "zh" else 1],
                        className=f"gc-event-level gc-level-{e['severity']}",
                    ),
                    html.B(e["name"]),
                    html.Span(
                        KINDS[e["kind"]][0 if lang == "zh" else 1], className="gc-event-kind"
                    ),
                    html.Span(
                        t("wall.event", lang).format(
                            towns="、".join(e["towns"]),
                            done=e["tasks_done"],
                            tasks=len(e["tasks"]),
                            on=e["hands_on_task"],
                            need=e["hands_needed"],
                        )
                    ),
                    html.Span(figures) if figures else None,
                    overdue,
                ],
                className="gc-wall-event",
                **{"data-event": str(e["id"])},
            )
        )
    return items
