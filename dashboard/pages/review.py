"""The town review at /review: filters, the per-grid map, trends, rankings,
hot spots, the paired departments' league, exports; drill-down city → town →
community → grid by clicking the map, a table row or the breadcrumb.

A town leader sees only their own town (the server scopes every read by the
session, whatever the page sends); a city leader sees every town.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.i18n import t
from dashboard.leaflet_parts import FIT
from dashboard.pages.command_map import WINDOW_SIZE_JS
from dashboard.review_view import (
    MAP_LAYERS,
    area_from_click,
    area_town,
    breadcrumb,
    charts,
    clicked_category,
    clicked_step,
    export_links,
    grid_card,
    grid_data,
    grids_url,
    legend_view,
    locate,
    map_layers,
    notice_text,
    period_text,
    picked_period,
    review_map,
    row_code,
    table_scale,
    tables_by_key,
    tiles,
)
from domain.categories import CATEGORIES, CHANNELS
from domain.errors import GridCommandError
from domain.review_metrics import MAP_METRICS, METRICS
from domain.review_query import (
    QUICK_PICKS,
    ReviewQuery,
    local_today,
    parse_query,
)
from services.review import build_review, units
from services.review_tables import header, review_tables
from web.guard import current_principal

# Table key -> the grid that shows it.
GRIDS = {
    "units": ids.REVIEW_UNITS,
    "grids": ids.REVIEW_GRIDS,
    "hot_spots": ids.REVIEW_HOT,
    "league": ids.REVIEW_LEAGUE,
}
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
CLICKABLE = (ids.REVIEW_UNITS, ids.REVIEW_GRIDS, ids.REVIEW_HOT, ids.REVIEW_LEAGUE)


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


def register(app, context) -> None:
    store = context.store
    outputs = [
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

    app.clientside_callback(
        WINDOW_SIZE_JS,
        Output(ids.REVIEW_VIEWPORT, "data"),
        Input(ids.REVIEW_SCREEN, "id"),
    )

    @app.callback(
        *outputs,
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
        area, pick, start, end, categories, channels, metric, viewport, trend_click, mix_click, lang
    ):
        if viewport is None:
            # The window's size arrives a moment after the page: one review,
            # sized for the screen, instead of two racing each other.
            return [no_update] * len(outputs)
        lang = lang or "zh"
        principal = current_principal()
        today = local_today(_now())
        trigger = ctx.triggered_id
        if trigger == ids.REVIEW_DATES:
            pick = "custom"  # typing dates makes the period a custom one
        try:
            period = picked_period(pick or "month", start, end, today)
            if trigger == ids.REVIEW_TREND and not period.reversed:  # a bar: that day/week/month
                period = clicked_step(trend_click, period) or period
                pick = "custom"
            if trigger == ids.REVIEW_CATEGORY_MIX and clicked_category(mix_click):
                categories = [clicked_category(mix_click)]
            area = area or {"level": "city", "code": None}
            town = area.get("code") if area.get("level") == "town" else None
            query = ReviewQuery(
                period,
                metric or "incidents",
                (area.get("level", "city"), area.get("code")),
                tuple(categories or ()),
                tuple(channels or ()),
                pick or "month",
                town,
            )
            if query.metric not in METRICS:
                raise GridCommandError(f"unknown metric {query.metric}", zh="未知的指标")
            review = build_review(store, query, principal, now=_now(), lang=lang)
        except (GridCommandError, ValueError) as error:
            message = error.message(lang) if isinstance(error, GridCommandError) else str(error)
            return [no_update] * 8 + [message, False] + [no_update] * (len(outputs) - 10)
        tables = tables_by_key(review_tables(review, units(store).towns, lang))
        grids = []
        metric_header = header(query.metric, lang)
        if review.query.level == "grid":  # a grid has no units below it: its incidents instead
            tables["units"] = tables.get("incidents")
        for key in GRIDS:
            grids.extend(grid_data(tables.get(key), metric_header, table_scale(viewport)))
        trend, mix = charts(review, lang, viewport)
        notice = notice_text(review, lang)
        units_title = tables["units"].title if tables.get("units") else t("review.units", lang)
        drawn = map_layers(review, lang, viewport)
        # Fitted anew for another area (or the first time): a new metric or
        # period keeps the leader's zoom and pan.
        refit = trigger in (None, ids.REVIEW_AREA, ids.REVIEW_VIEWPORT)
        return [
            {"bounds": drawn["bounds"], "options": FIT} if refit else no_update,
            # One URL whatever the area (a town leader's is their town's): the
            # browser fetches the grids once; the hideout's filter shows the area's.
            grids_url(store.geometry_version(), principal.town),
            drawn["grids"],
            drawn["hot"],
            legend_view(drawn["legend"]),
            tiles(review, lang),
            [
                *breadcrumb(review, lang),
                html.Span(period_text(review, lang), className="gc-review-period"),
            ],
            export_links(review, lang),
            notice,
            notice is None,
            trend,
            mix,
            grid_card(review, lang),
            units_title,
            *grids,
            review.query.pick,
            review.query.period.start.isoformat(),
            review.query.period.end.isoformat(),
            list(review.query.categories),
        ]

    app.clientside_callback(
        DRILL_PREVIEW_JS,
        Output(MAP_LAYERS["grids"], "hideout", allow_duplicate=True),
        Input(MAP_LAYERS["grids"], "clickData"),
        State(MAP_LAYERS["grids"], "hideout"),
        prevent_initial_call=True,
    )

    @app.callback(
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
    def drill(town, click, hot_click, *cells_rows_area):
        """The area to show, and the town picker kept in step with it.

        The picker is both an input and an output here; when it reports the
        town the area is already in (its own echo of a drill, which can arrive
        after the drill), nothing changes, so an echo never undoes a drill."""
        trigger = ctx.triggered_id
        cells = dict(zip(CLICKABLE, cells_rows_area[: len(CLICKABLE)], strict=True))
        rows = dict(zip(CLICKABLE, cells_rows_area[len(CLICKABLE) + 1 : -1], strict=True))
        current = cells_rows_area[-1] or {"level": "city", "code": None}
        shown_town = area_town(units(store), current)
        code = None
        if trigger == ids.REVIEW_TOWN:
            if (town or None) == shown_town:
                return no_update, no_update
            return (
                {"level": "town", "code": town} if town else {"level": "city", "code": None},
                no_update,
            )
        if trigger in (MAP_LAYERS["grids"], MAP_LAYERS["hot"]):
            code = area_from_click(click if trigger == MAP_LAYERS["grids"] else hot_click)
        elif trigger in CLICKABLE:
            code = row_code(cells[trigger], rows[trigger])
        elif isinstance(trigger, dict) and trigger.get("type") == ids.REVIEW_CRUMB:
            if not ctx.triggered[0].get("value"):
                return no_update, no_update  # the breadcrumb was just drawn
            level, code = trigger["level"], trigger["code"] or None
            new_town = code if level == "town" else (None if level == "city" else shown_town)
            return (
                {"level": level, "code": code},
                no_update if new_town == shown_town else new_town or "",
            )
        found = locate(units(store), code) if code else None
        if found is None:
            return no_update, no_update
        level, town_code = found
        return {"level": level, "code": code}, (no_update if town_code == shown_town else town_code)
