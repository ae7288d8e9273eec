"""The town review's layout: filters on top; the map with its colour key on
the left, the units and hot spots beside it; the trend, the category mix,
the grids and the paired departments' league below."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.i18n import t
from dashboard.review_forecast import category_card, forecast_section
from dashboard.review_map import review_map
from dashboard.review_proactive import proactive_card
from dashboard.review_view import CLICKABLE
from domain.categories import CATEGORIES, CHANNELS
from domain.errors import GridCommandError
from domain.review_metrics import MAP_METRICS, METRICS
from domain.review_query import QUICK_PICKS, ReviewQuery, local_today, parse_query
from services.review import units


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _grid(grid_id: str, lang: str, height: str) -> html.Div:
    return html.Div(
        dag.AgGrid(
            id=grid_id,
            rowData=[],
            columnDefs=[],
            defaultColDef={
                "sortable": True,
                "resizable": True,
                "minWidth": 60,
                "flex": 1,
                "wrapHeaderText": True,
                "autoHeaderHeight": True,
            },
            dashGridOptions={
                "localeText": grid_words(lang),
                "suppressCellFocus": True,
                "tooltipShowDelay": 300,
            },
            style={"height": height},
            className="ag-theme-quartz",
        ),
        className="gc-review-table" + (" gc-clickable" if grid_id in CLICKABLE else ""),
    )


def _section(title_id: str, title: str, body, note: str | None = None, extra: str = "") -> html.Div:
    return html.Div(
        [
            html.H2(title, id=title_id),
            body,
            *([html.P(note, className="gc-review-note")] if note else []),
        ],
        className=f"gc-review-card {extra}",
    )


def initial_query(args: dict, principal, today: dt.date) -> tuple[ReviewQuery, str | None]:
    """The query of the page's URL (a bookmark), or this month; and a problem with it."""
    try:
        return parse_query(args, today=today, metrics=METRICS), None
    except GridCommandError as error:
        return parse_query({}, today=today, metrics=METRICS), str(error)


def layout(lang: str, args: dict, principal, store, sources: dict) -> html.Div:
    """Filters on top; map with tiles on the left; rankings and charts on the right.

    ``sources``: the towns' GeoJSON URL (versioned) and the optional tile URL
    (``command_map.map_sources``)."""
    zh = lang == "zh"
    today = local_today(_now())
    query, problem = initial_query(args, principal, today)
    city = units(store)
    towns = city.towns
    town_label = "name" if zh else "name_en"
    if principal.town is not None:
        town_options = [
            {"label": n, "value": c}
            for c, n in zip(towns["code"], towns[town_label], strict=True)
            if c == principal.town
        ]
        town_value, area = principal.town, {"level": "town", "code": principal.town}
    else:
        town_options = [{"label": t("review.all_towns", lang), "value": ""}] + [
            {"label": n, "value": c} for c, n in zip(towns["code"], towns[town_label], strict=True)
        ]
        town_value = query.town or ""
        area = {"level": query.level, "code": query.code}
    picks = [{"label": names[0 if zh else 1], "value": key} for key, names in QUICK_PICKS.items()]
    categories = [{"label": c.zh if zh else c.en, "value": c.code} for c in CATEGORIES]
    channels = [{"label": n[0 if zh else 1], "value": c} for c, n in CHANNELS.items()]
    metrics = [{"label": METRICS[m].label(lang), "value": m} for m in MAP_METRICS]
    return html.Div(
        [
            dcc.Store(id=ids.REVIEW_AREA, data=area),
            dcc.Store(id=ids.REVIEW_VIEWPORT),
            html.Div(
                [
                    html.Label(
                        [
                            t("review.town", lang),
                            dcc.Dropdown(
                                id=ids.REVIEW_TOWN,
                                options=town_options,
                                value=town_value,
                                clearable=False,
                                disabled=principal.town is not None,
                                className="gc-review-town",
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            t("review.period", lang),
                            dcc.RadioItems(
                                id=ids.REVIEW_PICK,
                                options=picks,
                                value=query.pick,
                                inline=True,
                                className="gc-review-picks",
                            ),
                        ]
                    ),
                    dcc.DatePickerRange(
                        id=ids.REVIEW_DATES,
                        start_date=query.period.start.isoformat(),
                        end_date=query.period.end.isoformat(),
                        display_format="YYYY-MM-DD",
                        minimum_nights=0,
                        first_day_of_week=1,
                        className="gc-review-dates",
                    ),
                    html.Label(
                        [
                            t("review.category", lang),
                            dcc.Dropdown(
                                id=ids.REVIEW_CATEGORIES,
                                options=categories,
                                value=list(query.categories),
                                multi=True,
                                placeholder=t("review.all", lang),
                                className="gc-review-multi",
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            t("review.channel", lang),
                            dcc.Dropdown(
                                id=ids.REVIEW_CHANNELS,
                                options=channels,
                                value=list(query.channels),
                                multi=True,
                                placeholder=t("review.all", lang),
                                className="gc-review-multi",
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            t("review.metric", lang),
                            dcc.Dropdown(
                                id=ids.REVIEW_METRIC,
                                options=metrics,
                                value=query.metric,
                                clearable=False,
                                className="gc-review-metric",
                            ),
                        ]
                    ),
                ],
                className="gc-review-filters",
            ),
            html.Div(
                [
                    html.Div(id=ids.REVIEW_CRUMBS, className="gc-review-crumbs"),
                    html.Div(id=ids.REVIEW_EXPORTS, className="gc-review-exports"),
                ],
                className="gc-review-bar",
            ),
            html.Div(
                problem, id=ids.REVIEW_NOTICE, className="gc-review-notice", hidden=problem is None
            ),
            html.Div(id=ids.REVIEW_TILES, className="gc-review-tiles"),
            html.Div(
                [
                    html.Div(
                        [
                            review_map(sources),
                            html.P(t("review.click_hint", lang), className="gc-review-note"),
                            html.Div(id=ids.REVIEW_GRID, className="gc-review-grid-card"),
                        ],
                        className="gc-review-card gc-review-map-card",
                    ),
                    html.Div(
                        [
                            _section(
                                ids.REVIEW_UNITS_TITLE,
                                t("review.units", lang),
                                _grid(ids.REVIEW_UNITS, lang, "22em"),
                            ),
                            _section(
                                "review-hot-title",
                                t("review.hot", lang),
                                _grid(ids.REVIEW_HOT, lang, "10em"),
                                t("review.hot_note", lang),
                            ),
                        ],
                        className="gc-review-side",
                    ),
                ],
                className="gc-review-main",
            ),
            html.Div(
                [
                    _section(
                        "review-trend-title",
                        t("review.trend", lang),
                        dcc.Graph(
                            id=ids.REVIEW_TREND,
                            config={"displayModeBar": False},
                            className="gc-review-chart",
                        ),
                    ),
                    _section(
                        "review-categories-title",
                        t("review.categories", lang),
                        dcc.Graph(
                            id=ids.REVIEW_CATEGORY_MIX,
                            config={"displayModeBar": False},
                            className="gc-review-chart",
                        ),
                    ),
                ],
                className="gc-review-row",
            ),
            forecast_section(lang),
            html.Div([category_card(lang), proactive_card(lang)], className="gc-review-row"),
            html.Div(
                [
                    _section(
                        ids.REVIEW_GRIDS_TITLE,
                        t("review.grids", lang),
                        _grid(ids.REVIEW_GRIDS, lang, "20em"),
                    ),
                    _section(
                        "review-league-title",
                        t("review.league", lang),
                        _grid(ids.REVIEW_LEAGUE, lang, "20em"),
                        t("review.league_note", lang),
                    ),
                ],
                className="gc-review-row gc-review-row-wide",
            ),
        ],
        className="gc-review",
        id=ids.REVIEW_SCREEN,
    )
