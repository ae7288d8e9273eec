"""The review's forecast section: the forecast per day against what came (a
chart with its 80 % interval), what the comparison adds up to, the same per
category (a table), and the open work at risk of breaching its deadline now.

No callbacks here: ``forecast_section`` is the layout's card,
``forecast_outputs`` what ``pages.review``'s forecast callback shows of one
``services.review_forecast.ForecastReview``.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.i18n import t
from domain.categories import category_name
from layers.forecast_charts import forecast_figure
from layers.timefmt import local_text

# What the section says instead of (or beside) the comparison.
NOTICES = {
    "reversed": "review.reversed",
    "no_history": "review.fc_no_history",
    "future": "review.fc_future",
    "beyond": "review.fc_beyond",
}
# What came outside a category's interval: a sign and a word, not colour alone.
SIDES = {"above": ("▲", "review.fc_above"), "below": ("▼", "review.fc_below")}
CATEGORY_HEADS = (
    "review.fc_category",
    "review.fc_expected",
    "review.fc_interval",
    "review.fc_actual",
    "review.fc_side",
    "review.fc_baseline",
)


def forecast_section(lang: str) -> html.Div:
    """The card: title, the comparison's summary and notice, the chart, and
    beside it the open work at risk now."""
    return html.Div(
        [
            html.Div(
                [
                    html.H2(t("review.forecast", lang), id="review-forecast-title"),
                    html.Div(id=ids.REVIEW_FORECAST_HEAD, className="gc-review-fc-head"),
                    dcc.Graph(
                        id=ids.REVIEW_FORECAST,
                        config={"displayModeBar": False},
                        className="gc-review-chart",
                    ),
                    html.P(t("review.fc_note", lang), className="gc-review-note"),
                ],
                className="gc-review-card",
            ),
            html.Div(
                [
                    html.H2(t("review.at_risk", lang), id="review-at-risk-title"),
                    html.Div(id=ids.REVIEW_AT_RISK, className="gc-review-at-risk"),
                ],
                className="gc-review-card",
            ),
        ],
        className="gc-review-row gc-review-row-wide",
    )


def category_card(lang: str) -> html.Div:
    """The card of the forecast against what came per category (filled by
    ``category_view``)."""
    return html.Div(
        [
            html.H2(t("review.fc_categories", lang), id="review-forecast-categories-title"),
            html.Div(id=ids.REVIEW_FORECAST_CATEGORIES, className="gc-review-fc-categories"),
            html.P(t("review.fc_categories_note", lang), className="gc-review-note"),
        ],
        className="gc-review-card",
    )


def town_name(city, code: str | None, lang: str) -> str | None:
    """The name of town ``code`` in ``lang`` (None for the city)."""
    if code is None:
        return None
    found = city.towns[city.towns["code"] == code]
    if not len(found):
        return code
    return str(found["name" if lang == "zh" else "name_en"].iloc[0])


def _scale(viewport: dict | None) -> float:
    return 2.0 if float((viewport or {}).get("width") or 0) >= 3000 else 1.0


def head_text(review, lang: str, town_name: str | None) -> list:
    """Whose forecast, over which days, what it adds up to, and any notice."""
    where = town_name or t("review.fc_city", lang)
    parts = [html.B(where, className="gc-review-fc-where")]
    if review.notice == "no_model":
        status, note = review.model.get("status"), review.model.get("note") or ""
        if status is None:
            text = t("review.fc_never", lang)
        else:
            text = f"{t('review.fc_thin', lang)}{note}"
        return [*parts, html.Span(text, className="gc-review-fc-notice")]
    if review.notice in NOTICES:
        return [*parts, html.Span(t(NOTICES[review.notice], lang), className="gc-review-fc-notice")]
    totals, compared = review.totals, review.compared
    parts.append(
        html.Span(
            t("review.fc_summary", lang).format(
                period=compared.label(lang),
                days=totals["days"],
                expected=f"{totals['expected']:,.0f}",
                actual=f"{totals['actual']:,}",
                inside=totals["inside"],
            ),
            **{"data-compared": str(totals["days"])},
        )
    )
    if review.capped:
        weeks = -(-totals["days"] // 7)
        parts.append(
            html.Span(
                t("review.fc_capped", lang).format(weeks=weeks), className="gc-review-fc-notice"
            )
        )
    return parts


def at_risk_view(review, lang: str, town_name: str | None) -> list:
    """The open work at risk of breaching its deadline now, or why there is no figure."""
    risk = review.at_risk
    where = town_name or t("review.fc_city", lang)
    if risk.at_risk is None:
        why = t("wall.risk_thin" if risk.status == "thin" else "wall.risk_none", lang)
        detail = risk.note if risk.status == "thin" else t("wall.risk_none_hint", lang)
        return [
            html.Div("—", className="gc-review-at-risk-value zero", **{"data-at-risk": ""}),
            html.P(f"{why}: {detail}", className="gc-review-note"),
        ]
    trained = local_text(pd.Series([risk.trained_at]), "%Y-%m-%d %H:%M").iloc[0]
    return [
        html.Div(
            [f"{risk.at_risk:,}", html.Small(f" {t('unit.items', lang)}")],
            className="gc-review-at-risk-value" + ("" if risk.at_risk else " zero"),
            **{"data-at-risk": str(risk.at_risk)},
        ),
        html.P(
            t("review.at_risk_what", lang).format(where=where, p=f"{risk.threshold:.0%}"),
            className="gc-review-at-risk-what",
        ),
        html.P(t("wall.risk_trained", lang).format(at=trained), className="gc-review-note"),
    ]


def accuracy_view(review, lang: str) -> list:
    """How close the forecast came over the days compared, beside the simple
    rival it must beat (the same weekday's mean of the four weeks before)."""
    totals = review.totals
    if not totals.get("days"):
        return []
    return [
        html.H3(t("review.fc_accuracy", lang), className="gc-review-fc-sub"),
        html.P(
            t("review.fc_mae", lang).format(
                mae=f"{totals['mae']:.1f}", baseline=f"{totals['baseline_mae']:.1f}"
            ),
            className="gc-review-at-risk-what",
            **{"data-mae": f"{totals['mae']:.2f}"},
        ),
    ]


def _count(value: float) -> str:
    """A forecast sum: whole numbers, a tenth below 10 (a rare category's 0.4
    is not nothing)."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _head_class(head: str) -> str | None:
    return "gc-fc-mark" if head == "review.fc_side" else None


def category_view(review, lang: str, town_name: str | None) -> list:
    """The compared days per category: forecast, its 80 % interval, what came
    (marked ▲/▼ with a word where it fell outside) and the same weekday's
    mean; largest forecast first. Or why there is no such table."""
    table = review.categories
    if review.compared is None or not len(table):
        why = "review.fc_categories_none" if review.notice in ("future", "beyond") else None
        return [html.P(t(why or "review.fc_none", lang), className="gc-review-note")]
    where = town_name or t("review.fc_city", lang)
    rows = []
    for row in table.itertuples(index=False):
        sign, word = SIDES.get(row.side, (None, None))
        mark = f"{sign} {t(word, lang)}" if sign else ""
        rows.append(
            html.Tr(
                [
                    html.Th(category_name(row.category, lang), scope="row"),
                    html.Td(_count(row.expected)),
                    html.Td(f"{row.low:,.0f}–{row.high:,.0f}"),
                    html.Td(f"{int(row.actual):,}", className="gc-fc-came"),
                    html.Td(mark, className="gc-fc-came gc-fc-mark"),
                    html.Td(_count(row.baseline)),
                ],
                className=f"gc-fc-{row.side}",
                **{"data-category": row.category, "data-side": row.side},
            )
        )
    return [
        html.Table(
            [
                html.Caption(f"{where} · {review.compared.label(lang)}"),
                html.Thead(
                    html.Tr(
                        [
                            html.Th(t(h, lang), scope="col", className=_head_class(h))
                            for h in CATEGORY_HEADS
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            className="gc-review-fc-table",
        )
    ]


def forecast_outputs(review, lang: str, town_name: str | None, viewport: dict | None) -> list:
    """The forecast callback's outputs, in the order of ``pages.review.FORECAST_OUTPUTS``."""
    if review.notice in ("no_model", "reversed", "no_history", "beyond"):
        message = t("review.fc_none" if review.notice != "reversed" else "review.reversed", lang)
        days = review.days.iloc[:0]
    else:
        message, days = t("review.fc_none", lang), review.days
    return [
        forecast_figure(days, lang, message, _scale(viewport)),
        head_text(review, lang, town_name),
        [*at_risk_view(review, lang, town_name), *accuracy_view(review, lang)],
        category_view(review, lang, town_name),
    ]
