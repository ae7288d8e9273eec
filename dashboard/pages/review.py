"""The town review at /review: filters, the per-grid map, trends, rankings,
hot spots, the paired departments' league, exports; drill-down city → town →
community → grid by clicking the map, a table row or the breadcrumb.

A town leader sees only their own town (the server scopes every read by the
session, whatever the page sends); a city leader sees every town. Callbacks
are thin: the inputs become a query (``dashboard.review_inputs``), the query a
review (``services.review``), the review the screen (``dashboard.review_view``).
"""

from __future__ import annotations

import datetime as dt

from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import ids
from dashboard.pages.command_map import WINDOW_SIZE_JS
from dashboard.review_forecast import forecast_outputs, town_name
from dashboard.review_inputs import (
    area_from_click,
    area_town,
    crumb_picked,
    review_query,
    row_code,
    town_picked,
    unit_picked,
)
from dashboard.review_layout import layout  # noqa: F401  (the router calls layout)
from dashboard.review_map import MAP_LAYERS, grids_url
from dashboard.review_proactive import proactive_view
from dashboard.review_view import CLICKABLE, GRIDS, screen_outputs
from dashboard.wiring import Callbacks
from domain.errors import GridCommandError
from domain.review_query import Period, ReviewQuery, local_today, parse_date
from services.review import build_review, units
from services.review_forecast import review_forecast
from services.review_proactive import review_proactive
from web.guard import current_principal

# A click on a grid shows it drilled into at once: outlined, alone on the map.
# The server's review of it follows and replaces this hideout.
DRILL_PREVIEW_JS = """function (clicked, hideout) {
    const code = clicked && clicked.properties && clicked.properties.code;
    if (!code || !hideout || !hideout.value || !(code in hideout.value)) {
        return window.dash_clientside.no_update;
    }
    const only = (m) => (m && code in m ? {[code]: m[code]} : {});
    return Object.assign({}, hideout, {selected: code, value: only(hideout.value),
                                       fill: only(hideout.fill), incidents: only(hideout.incidents)});
}"""
# What the review callback shows, in the order of ``review_view.screen_outputs``.
OUTPUTS = [
    Output(ids.REVIEW_MAP, "viewport"),
    Output(MAP_LAYERS["grids"], "url"),
    Output(MAP_LAYERS["grids"], "hideout"),
    Output(MAP_LAYERS["hot"], "data"),
    Output(ids.REVIEW_LEGEND, "children"),
    Output(ids.REVIEW_TILES, "children"),
    Output(ids.REVIEW_CRUMBS, "children"),
    Output(ids.REVIEW_EXPORTS, "children"),
    Output(ids.REVIEW_NOTICE, "children"),
    Output(ids.REVIEW_NOTICE, "hidden"),
    Output(ids.REVIEW_TREND, "figure"),
    Output(ids.REVIEW_CATEGORY_MIX, "figure"),
    Output(ids.REVIEW_GRID, "children"),
    Output(ids.REVIEW_UNITS_TITLE, "children"),
    *[Output(grid, prop) for grid in GRIDS.values() for prop in ("rowData", "columnDefs")],
    Output(ids.REVIEW_PICK, "value"),
    Output(ids.REVIEW_DATES, "start_date"),
    Output(ids.REVIEW_DATES, "end_date"),
    Output(ids.REVIEW_CATEGORIES, "value"),
]
NOTICE_AT = 8  # where the notice's text (then its ``hidden``) is in OUTPUTS

callbacks = Callbacks()


def register(app, context) -> None:
    """Attach the review's callbacks to ``app``; ``context`` holds the store."""
    callbacks.register(app, context)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


callbacks.clientside(
    WINDOW_SIZE_JS,
    Output(ids.REVIEW_VIEWPORT, "data"),
    Input(ids.REVIEW_SCREEN, "id"),
)


@callbacks(
    *OUTPUTS,
    Input(ids.REVIEW_AREA, "data"),
    Input(ids.REVIEW_PICK, "value"),
    Input(ids.REVIEW_DATES, "start_date"),
    Input(ids.REVIEW_DATES, "end_date"),
    Input(ids.REVIEW_CATEGORIES, "value"),
    Input(ids.REVIEW_CHANNELS, "value"),
    Input(ids.REVIEW_METRIC, "value"),
    Input(ids.REVIEW_VIEWPORT, "data"),
    Input(ids.REVIEW_TREND, "clickData"),
    Input(ids.REVIEW_CATEGORY_MIX, "clickData"),
    State(ids.LANG, "data"),
)
def show_review(
    context, area, pick, start, end, categories, channels, metric, viewport, trend, mix, lang
):
    if viewport is None:
        # The window's size arrives a moment after the page: one review,
        # sized for the screen, instead of two racing each other.
        return [no_update] * len(OUTPUTS)
    lang, principal, trigger = lang or "zh", current_principal(), ctx.triggered_id
    try:
        query = review_query(
            trigger,
            area=area,
            pick=pick,
            start=start,
            end=end,
            categories=categories,
            channels=channels,
            metric=metric,
            trend_click=trend,
            mix_click=mix,
            today=local_today(_now()),
        )
        review = build_review(context.store, query, principal, now=_now(), lang=lang)
    except (GridCommandError, ValueError) as error:
        message = error.message(lang) if isinstance(error, GridCommandError) else str(error)
        after = len(OUTPUTS) - NOTICE_AT - 2
        return [no_update] * NOTICE_AT + [message, False] + [no_update] * after
    # One URL whatever the area (a town leader's is their town's): the browser
    # fetches the grids once; the hideout's filter shows the area's.
    url = grids_url(context.store.geometry_version(), principal.town)
    # Fitted anew for another area (or the first time): a new metric or period
    # keeps the leader's zoom and pan.
    refit = trigger in (None, ids.REVIEW_AREA, ids.REVIEW_VIEWPORT)
    towns = units(context.store).towns
    return screen_outputs(review, towns, lang, viewport, grids_url=url, refit=refit)


@callbacks(
    Output(ids.REVIEW_FORECAST, "figure"),
    Output(ids.REVIEW_FORECAST_HEAD, "children"),
    Output(ids.REVIEW_AT_RISK, "children"),
    Output(ids.REVIEW_FORECAST_CATEGORIES, "children"),
    Input(ids.REVIEW_AREA, "data"),
    Input(ids.REVIEW_DATES, "start_date"),
    Input(ids.REVIEW_DATES, "end_date"),
    Input(ids.REVIEW_VIEWPORT, "data"),
    State(ids.LANG, "data"),
)
def show_forecast(context, area, start, end, viewport, lang):
    """The forecast against what came (per day and per category), and the work
    at risk, of the area's town."""
    if viewport is None:
        return [no_update] * 4
    lang, city = lang or "zh", units(context.store)
    try:
        query = _town_query(city, area, start, end)
        review = review_forecast(context.store, query, current_principal(), now=_now())
    except GridCommandError as error:
        message = html.Span(error.message(lang), className="gc-error")
        return no_update, message, no_update, no_update
    return forecast_outputs(review, lang, town_name(city, review.town, lang), viewport)


@callbacks(
    Output(ids.REVIEW_PROACTIVE, "children"),
    Input(ids.REVIEW_AREA, "data"),
    Input(ids.REVIEW_DATES, "start_date"),
    Input(ids.REVIEW_DATES, "end_date"),
    State(ids.LANG, "data"),
)
def show_proactive(context, area, start, end, lang):
    """The recurring spots proposed now and the proactive cases of the period,
    of the area's town: read only (the desk opens cases)."""
    lang, city = lang or "zh", units(context.store)
    try:
        query = _town_query(city, area, start, end)
        review = review_proactive(context.store, query, current_principal(), now=_now())
    except GridCommandError as error:
        return html.Span(error.message(lang), className="gc-error")
    return proactive_view(review, lang, town_name(city, review.town, lang))


def _town_query(city, area: dict | None, start, end) -> ReviewQuery:
    """The period and area of the forecast and spot cards, placed in their town."""
    period = Period(parse_date(start, "from"), parse_date(end, "to"))
    area = area or {"level": "city", "code": None}
    return ReviewQuery(period, area=(area["level"], area["code"]), town=area_town(city, area))


callbacks.clientside(
    DRILL_PREVIEW_JS,
    Output(MAP_LAYERS["grids"], "hideout", allow_duplicate=True),
    Input(MAP_LAYERS["grids"], "clickData"),
    State(MAP_LAYERS["grids"], "hideout"),
    prevent_initial_call=True,
)


@callbacks(
    Output(ids.REVIEW_AREA, "data"),
    Output(ids.REVIEW_TOWN, "value"),
    Input(ids.REVIEW_TOWN, "value"),
    Input(MAP_LAYERS["grids"], "clickData"),
    Input(MAP_LAYERS["hot"], "clickData"),
    *[Input(grid, "cellClicked") for grid in CLICKABLE],
    Input({"type": ids.REVIEW_CRUMB, "level": ALL, "code": ALL}, "n_clicks"),
    *[State(grid, "rowData") for grid in CLICKABLE],
    State(ids.REVIEW_AREA, "data"),
    prevent_initial_call=True,
)
def drill(context, town, click, hot_click, *cells_rows_area):
    """The area to show, and the town picker kept in step with it."""
    trigger, city = ctx.triggered_id, units(context.store)
    cells = dict(zip(CLICKABLE, cells_rows_area[: len(CLICKABLE)], strict=True))
    rows = dict(zip(CLICKABLE, cells_rows_area[len(CLICKABLE) + 1 : -1], strict=True))
    shown_town = area_town(city, cells_rows_area[-1] or {"level": "city", "code": None})
    if trigger == ids.REVIEW_TOWN:
        return town_picked(town, shown_town)
    if isinstance(trigger, dict) and trigger.get("type") == ids.REVIEW_CRUMB:
        if not ctx.triggered[0].get("value"):
            return no_update, no_update  # the breadcrumb was just drawn
        return crumb_picked(trigger, shown_town)
    if trigger in (MAP_LAYERS["grids"], MAP_LAYERS["hot"]):
        code = area_from_click(click if trigger == MAP_LAYERS["grids"] else hot_click)
    else:
        code = row_code(cells[trigger], rows[trigger]) if trigger in CLICKABLE else None
    return unit_picked(city, code, shown_town)
