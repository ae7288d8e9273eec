"""The wall's forecast panels: the reports to expect over the next 7 days
with each day's 80 % interval, and the town × category pairs expected
clearly above the usual. Built from a plain ``WeekOutlook``; read from 5 m.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.i18n import t
from domain.categories import category_name
from domain.week_outlook import WeekOutlook

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")}


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _change(week: WeekOutlook) -> str:
    """The week against the usual, in per cent (nothing when the usual is 0)."""
    if week.usual <= 0:
        return ""
    change = week.expected / week.usual - 1
    return f" · {change:+.0%}".replace("+0%", "±0%").replace("-0%", "±0%")


def forecast_panel(
    week: WeekOutlook | None, lang: str, towns: dict[str, str], model: dict | None = None
) -> list:
    """The panel's body.

    Parameters
    ----------
    week : WeekOutlook or None
        The week ahead; None when no surge model is in use.
    lang : str
        'zh' or 'en'.
    towns : dict
        Town code -> its name in ``lang`` (the rises and the town forecast).
    model : dict, optional
        The newest surge run (status, note) when ``week`` is None: why there
        is no forecast.
    """
    if week is None:
        status, note = (model or {}).get("status"), (model or {}).get("note") or ""
        why = t("wall.fc_thin" if status == "thin" else "wall.fc_none", lang)
        detail = note if status == "thin" else t("wall.risk_none_hint", lang)
        return [
            html.Div(
                [html.Span("—", className="gc-fc-total"), html.Span(why, className="gc-fc-usual")],
                className="gc-fc-head",
                title=f"{why}: {detail}",
                **{"data-forecast": ""},
            )
        ]
    where = towns.get(week.town, week.town) if week.town else t("review.fc_city", lang)
    head = html.Div(
        [
            html.Span(where, className="gc-fc-where"),
            html.Span(
                [_count(week.expected), html.Small(t("unit.items", lang))],
                className="gc-fc-total",
                **{"data-forecast": _count(week.expected)},
            ),
            html.Span(
                t("wall.fc_usual", lang).format(n=_count(week.usual)) + _change(week),
                className="gc-fc-usual",
            ),
        ],
        className="gc-fc-head",
        title=t("wall.fc_what", lang),
    )
    return [_key(lang), head, _days(week.days, lang)]


def _days(days: pd.DataFrame, lang: str) -> html.Div:
    """One column a day: the interval as a band, the expected count as a bar."""
    peak = max(float(days["high"].max()) if len(days) else 0.0, 1.0)
    names = WEEKDAYS["zh" if lang == "zh" else "en"]
    columns, labels = [], []
    for row in days.itertuples(index=False):
        day = pd.Timestamp(row.date)
        columns.append(
            html.Div(
                [
                    html.Span(
                        className="band",
                        style={
                            "bottom": f"{row.low / peak:.0%}",
                            "height": f"{max(row.high - row.low, 0) / peak:.0%}",
                        },
                    ),
                    html.Span(className="fill", style={"height": f"{row.expected / peak:.0%}"}),
                ],
                className="col",
                title=t("wall.fc_day", lang).format(
                    day=f"{day:%m-%d}",
                    n=_count(row.expected),
                    low=_count(row.low),
                    high=_count(row.high),
                ),
            )
        )
        labels.append(html.Span(names[day.weekday()]))
    return html.Div(
        [
            html.Div(columns, className="gc-bars gc-fc-bars"),
            html.Div(labels, className="gc-bars-axis gc-fc-axis"),
        ],
        className="gc-trend",
    )


def _key(lang: str) -> html.Div:
    """What the bar and the band mean, on the panel's title line."""
    return html.Div(
        [
            html.Span([html.Span(className="sw fill"), t("wall.fc_key_expected", lang)]),
            html.Span([html.Span(className="sw band"), t("wall.fc_key_band", lang)]),
        ],
        className="gc-fc-key",
    )


def rises_panel(week: WeekOutlook | None, lang: str, towns: dict[str, str]) -> html.Div:
    """The town × category pairs expected clearly above the usual over the
    next 7 days, or that none is (nothing without a forecast)."""
    if week is None:
        return html.Div("—", className="gc-fc-calm")
    rises = week.rises
    if not len(rises):
        return html.Div(t("wall.fc_calm", lang), className="gc-fc-calm")
    rows = [
        html.Li(
            [
                html.Span(
                    f"{towns.get(r.town_code, r.town_code)} · {category_name(r.category, lang)}",
                    className="name",
                ),
                html.Span(_count(r.expected), className="v"),
                html.Span(t("wall.fc_was", lang).format(n=_count(r.usual)), className="was"),
            ],
            title=t("wall.fc_rise", lang).format(
                n=_count(r.expected), low=_count(r.low), high=_count(r.high), usual=f"{r.usual:.1f}"
            ),
        )
        for r in rises.itertuples(index=False)
    ]
    return html.Div(html.Ol(rows), className="gc-fc-rises")
