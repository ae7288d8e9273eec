"""The review's recurring trouble spots (主动发现), read only: the spots the
desk is proposed now, and the proactive cases opened in the period with
their status.

No callbacks here: ``proactive_card`` is the layout's card, ``proactive_view``
what ``pages.review``'s callback shows of one
``services.review_proactive.ProactiveReview``. Opening a case stays on the
dispatch console.
"""

from __future__ import annotations

import math

import pandas as pd
from dash import html

from dashboard import ids
from dashboard.i18n import t
from domain.categories import category_name
from domain.lifecycle import status_name
from layers.timefmt import local_text

SPOT_HEADS = ("review.pa_category", "review.pa_place", "review.pa_times", "review.pa_span")
CASE_HEADS = (
    "review.pa_case",
    "review.pa_category",
    "review.pa_place",
    "review.pa_opened",
    "review.pa_status",
)


def proactive_card(lang: str) -> html.Div:
    """The card: its title, the two lists (filled by ``proactive_view``) and
    where the spots are acted on."""
    return html.Div(
        [
            html.H2(t("review.proactive", lang), id="review-proactive-title"),
            html.Div(id=ids.REVIEW_PROACTIVE, className="gc-review-proactive"),
            html.P(t("review.pa_note", lang), className="gc-review-note"),
        ],
        className="gc-review-card",
    )


def _dates(times: pd.Series, fmt: str = "%m-%d") -> list[str]:
    return local_text(times, fmt).tolist()


def _table(heads: tuple, rows: list, kind: str) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(head, scope="col") for head in heads])),
            html.Tbody(rows),
        ],
        className=f"gc-review-pa-table gc-review-pa-{kind}",
    )


def spot_rows(spots: pd.DataFrame, lang: str) -> list:
    """One row a spot: what, where (its grid), how often in how many days, when."""
    first, last = _dates(spots["first_reported_at"]), _dates(spots["last_reported_at"])
    rows = []
    for n, spot in enumerate(spots.itertuples(index=False)):
        span = pd.Timestamp(spot.last_reported_at) - pd.Timestamp(spot.first_reported_at)
        days = max(1, math.ceil(span / pd.Timedelta(days=1)))
        place = spot.grid_name if isinstance(spot.grid_name, str) else "—"
        rows.append(
            html.Tr(
                [
                    html.Th(category_name(spot.category, lang), scope="row"),
                    html.Td(place),
                    html.Td(t("proactive.times", lang).format(n=int(spot.reports), days=days)),
                    html.Td(t("proactive.span", lang).format(first=first[n], last=last[n])),
                ],
                **{"data-spot": spot.key},
            )
        )
    return rows


def case_rows(cases: pd.DataFrame, lang: str) -> list:
    """One row a proactive case: its number, what, where, when opened, its
    status now (and late, in words, when it missed its deadline)."""
    opened = _dates(cases["reported_at"], "%m-%d %H:%M")
    rows = []
    for n, case in enumerate(cases.itertuples(index=False)):
        status = [status_name(case.status, lang)]
        if case.late:
            status.append(html.Span(f" · {t('review.pa_late', lang)}", className="gc-pa-late"))
        place = case.grid_name if isinstance(case.grid_name, str) else "—"
        rows.append(
            html.Tr(
                [
                    html.Th(case.public_id, scope="row"),
                    html.Td(category_name(case.category, lang)),
                    html.Td(place),
                    html.Td(opened[n]),
                    html.Td(status, className="gc-pa-status"),
                ],
                **{"data-case": case.public_id, "data-status": case.status},
            )
        )
    return rows


def proactive_view(review, lang: str, town_name: str | None) -> list:
    """The spots proposed now, then the cases opened in the period; each says
    so when it has none."""
    where = town_name or t("review.fc_city", lang)
    spots, cases = review.spots, review.cases
    heads = tuple(t(head, lang) for head in SPOT_HEADS)
    out = [
        html.H3(
            t("review.pa_spots_one" if len(spots) == 1 else "review.pa_spots", lang).format(
                where=where, n=len(spots)
            ),
            className="gc-review-fc-sub",
            **{"data-spots": str(len(spots))},
        )
    ]
    if len(spots):
        out.append(_table(heads, spot_rows(spots, lang), "spots"))
    else:
        out.append(html.P(t("proactive.none", lang), className="gc-review-note"))
    out.append(
        html.H3(
            t("review.pa_cases", lang).format(period=review.period.label(lang), n=len(cases)),
            className="gc-review-fc-sub",
            **{"data-cases": str(len(cases))},
        )
    )
    if len(cases):
        heads = tuple(t(head, lang) for head in CASE_HEADS)
        out.append(_table(heads, case_rows(cases, lang), "cases"))
    else:
        out.append(html.P(t("review.pa_no_cases", lang), className="gc-review-note"))
    return out
