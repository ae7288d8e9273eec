"""Small pieces of the screens, built from plain values."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.i18n import t
from domain.kpis import Situation


def kpi_tiles(s: Situation, lang: str) -> list:
    """The headline tiles; alarming figures are coloured."""
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
    return [
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
