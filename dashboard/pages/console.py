"""The dispatch console at /dispatch: the queue, one incident, whom to send, the plan for all."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.console_view import (
    detail_children,
    grid_words,
    incident_detail,
    move_details,
    plan_columns,
    queue_columns,
    queue_rows,
)
from dashboard.dispatch_view import (
    confirm,
    console_map,
    map_size,
    picked,
    plan,
    plan_rows,
    plan_summary,
    send,
    town_options,
)
from dashboard.i18n import t
from dashboard.leaflet_parts import canvas_map, empty, js
from domain.errors import Conflict, GridCommandError
from domain.lifecycle import ACTIONS
from layers.dispatch_lines import (
    BACKDROP,
    BEST,
    INCIDENT,
    LAYERS,
    OTHER,
    PLAN_KINDS,
    SENT,
    fit_bounds,
)
from services.dispatch import MAX_TRAVEL_LIMIT_MIN
from web.guard import current_principal

QUEUE_REFRESH_MS = 15_000
MAP_REVISION = "console-map-revision"  # what the map was last fitted to


def layout(lang: str, sources: dict | None = None) -> html.Div:
    """The console in ``lang``: queue, map and plan, the chosen incident and whom to send.

    ``sources`` holds the town and grid GeoJSON URLs (versioned) and the
    optional tile URL (``command_map.map_sources``)."""
    return html.Div(
        [
            dcc.Store(id=ids.MOVED, data=0),
            dcc.Store(id=ids.RECOMMENDED),
            dcc.Store(id=ids.CONSOLE_SCREEN),
            dcc.Store(id=MAP_REVISION),
            dcc.Interval(id=ids.QUEUE_REFRESH, interval=QUEUE_REFRESH_MS),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(t("console.queue", lang)),
                            html.Div(
                                dcc.RadioItems(
                                    id=ids.QUEUE_SCOPE,
                                    value="open",
                                    inline=True,
                                    className="gc-scope",
                                    options=[
                                        {"label": t("console.open", lang), "value": "open"},
                                        {"label": t("console.week", lang), "value": "week"},
                                    ],
                                ),
                                title=t("console.queue", lang),
                            ),  # names the choice (dashboard/assets/gc_a11y.js)
                            html.Span(signed_in_as(lang), id=ids.OPERATOR, className="gc-operator"),
                        ],
                        className="gc-toolbar",
                    ),
                    html.Div(
                        dag.AgGrid(
                            id=ids.QUEUE,
                            columnDefs=queue_columns(lang),
                            rowData=[],
                            getRowId="params.data.row_id",  # AG Grid wants a string (its warning #25)
                            defaultColDef={"sortable": True, "filter": True, "resizable": True},
                            dashGridOptions={
                                "pagination": True,
                                "paginationPageSize": 50,
                                "rowSelection": {
                                    "mode": "singleRow",
                                    "checkboxes": False,
                                    "enableClickSelection": True,
                                },
                                "animateRows": False,
                                "localeText": grid_words(lang),
                            },
                            style={"height": "100%"},
                        ),
                        className="gc-grid",
                        **{"data-ag-theme-mode": "dark-blue"},
                    ),
                ],
                className="gc-panel gc-queue",
            ),
            dispatch_map(lang, sources),
            plan_panel(lang),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2(t("console.recommend", lang)),
                            html.Div(t("console.recommend_pick", lang), id=ids.RECOMMENDATIONS),
                            html.Div(id=ids.SEND_RESULT, className="gc-result"),
                        ],
                        className="gc-panel gc-recs",
                    ),
                    html.Div(
                        [
                            html.Div(t("console.pick", lang), id=ids.DETAIL),
                            html.Div(id=ids.ACTION_RESULT, className="gc-result"),
                        ],
                        className="gc-panel gc-detail",
                    ),
                ],
                className="gc-right",
            ),
        ],
        className="gc-console",
    )


# The console's map: town and grid outlines by URL, the rest as small collections.
DEFAULT_SOURCES = {"grids": "/api/v1/grids.geojson", "towns": "/api/v1/towns.geojson"}
GRID_OUTLINE = {"color": "#4d7fb3", "weight": 0.8, "opacity": 0.35}


SELECT_ON_MAP_JS = """function (clicked) {
    if (!clicked || clicked.id === undefined || clicked.id === null) {
        return window.dash_clientside.no_update;
    }
    return {ids: [String(clicked.id)]};
}"""


def map_targets(**options) -> list[Output]:
    """The console map's outputs: its view, each layer's data, the revision shown."""
    return [
        Output(ids.DISPATCH_MAP, "viewport", **options),
        *[Output(_layer_id(name), "data", **options) for name in (*LAYERS, "labels")],
        Output(MAP_REVISION, "data", **options),
    ]


def fit_room(scale: float) -> dict:
    """Room around what the map is fitted to, in CSS px at the screen's
    ``scale``: for the cadres' number tags above their dots, and for the
    legend along the bottom."""
    return {
        "paddingTopLeft": [48 * scale, 56 * scale],
        "paddingBottomRight": [48 * scale, 72 * scale],
    }


def _layer_id(name: str) -> str:
    return f"console-{name}"


def dispatch_map(lang: str, sources: dict | None = None) -> html.Div:
    """The map of the chosen incident or of the plan, with its legend."""
    sources = sources or DEFAULT_SOURCES
    marks = [
        ("dot", INCIDENT, t("map.incident", lang)),
        ("line", BEST, t("map.best", lang)),
        ("line", OTHER, t("map.other", lang)),
        ("line", SENT, t("map.sent", lang)),
        ("dot", BACKDROP, t("map.open", lang)),
    ] + [("line", colour, zh if lang == "zh" else en) for _, _, colour, zh, en in PLAN_KINDS]
    legend = html.Div(
        [
            html.Span(
                [html.Span(className=f"gc-key-{shape}", style={"background": colour}), label],
                className="gc-key",
            )
            for shape, colour, label in marks
        ],
        className="gc-map-legend",
    )
    drawn = {"lines": {"style": js("lineStyle"), "onEachFeature": js("each")}}
    points = {"pointToLayer": js("point"), "onEachFeature": js("pointEach")}
    layers = [
        dl.GeoJSON(
            id=_layer_id("grids"),
            url=sources["grids"],
            style=js("outlineStyle"),
            onEachFeature=js("each"),
            hideout=GRID_OUTLINE,
        ),
        dl.GeoJSON(
            id=_layer_id("towns"),
            url=sources["towns"],
            style=js("townStyle"),
            onEachFeature=js("areaEach"),
            hideout={},
        ),
        *[
            dl.GeoJSON(id=_layer_id(name), data=empty(), **drawn.get(name, points))
            for name in LAYERS
        ],
        dl.GeoJSON(
            id=_layer_id("labels"),
            data=empty(),
            pointToLayer=js("label"),
            onEachFeature=js("labelEach"),
        ),
    ]
    return html.Div(
        [
            canvas_map(ids.DISPATCH_MAP, layers, fit_bounds([]), sources),
            legend,
        ],
        className="gc-map-frame gc-console-map",
    )


def plan_panel(lang: str) -> html.Div:
    """The plan for all open work: how to plan, what it gives, which rows to send."""
    return html.Div(
        [
            html.Div(
                [
                    html.H2(t("plan.title", lang)),
                    html.Button(t("plan.button", lang), id=ids.PLAN_BUTTON, className="gc-button"),
                    dcc.Input(
                        id=ids.PLAN_MINUTES,
                        type="number",
                        min=1,
                        max=MAX_TRAVEL_LIMIT_MIN,
                        placeholder=t("plan.minutes", lang),
                        className="gc-input gc-minutes",
                    ),
                    dcc.Dropdown(
                        id=ids.PLAN_TOWN,
                        options=[],
                        placeholder=t("plan.all_towns", lang),
                        className="gc-town",
                        searchable=False,
                    ),
                    html.Button(
                        t("plan.confirm", lang),
                        id=ids.PLAN_CONFIRM,
                        className="gc-button gc-confirm",
                    ),
                ],
                className="gc-toolbar",
            ),
            html.Div(t("plan.hint", lang), id=ids.PLAN_SUMMARY, className="gc-plan-summary"),
            html.Div(id=ids.PLAN_RESULT, className="gc-result"),
            html.Div(
                dag.AgGrid(
                    id=ids.PLAN_GRID,
                    columnDefs=plan_columns(lang),
                    rowData=[],
                    getRowId="params.data.id",  # a string (dispatch_view.plan_rows): AG Grid wants one
                    defaultColDef={"sortable": True, "resizable": True},
                    dashGridOptions={
                        "rowSelection": {
                            "mode": "multiRow",
                            "checkboxes": True,
                            "headerCheckbox": True,
                            "enableClickSelection": False,
                        },
                        "animateRows": False,
                        "localeText": grid_words(lang),
                    },
                    style={"height": "100%"},
                ),
                className="gc-grid",
                **{"data-ag-theme-mode": "dark-blue"},
            ),
        ],
        className="gc-panel gc-plan",
    )


def _recommendations(chosen: dict | None, lang: str):
    if chosen is None:
        return t("console.recommend_pick", lang)
    incident = chosen["incident"]
    head = html.Div(f"{incident['public_id']} · {incident['label']}", className="gc-rec-for")
    sent = chosen["sent"]
    already = (
        html.Div(
            f"{t('console.already', lang)}：" + "、".join(c["name"] for c in sent),
            className="gc-rec-sent",
        )
        if sent
        else None
    )
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


def _summary(summary: dict):
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


# The map's size is that of its frame on this screen: the view is fitted to it.
SCREEN_JS = """
function (_) {
    const frame = document.querySelector('.gc-console-map');
    const box = frame ? frame.getBoundingClientRect() : {width: 0, height: 0};
    return {width: window.innerWidth, height: window.innerHeight,
            mapWidth: box.width, mapHeight: box.height};
}
"""


def _selected_id(selected) -> int | None:
    """The incident chosen in the queue: its selected rows, or the row ids the
    map asked it to select (``{"ids": [...]}``, as dash-ag-grid takes them)."""
    if isinstance(selected, dict):
        chosen = selected.get("ids") or []
        return int(chosen[0]) if chosen else None
    return int(selected[0]["id"]) if selected else None


def _actor() -> str:
    """Who the audit log says did it: the signed-in person, never a typed name."""
    return current_principal().actor


def signed_in_as(lang: str) -> str:
    principal = current_principal()
    return f"{t('console.operator', lang)}：{principal.name}" if principal.signed_in else ""


def _error(error: GridCommandError, lang: str, *, again: bool = False) -> html.Span:
    text = error.message(lang)
    if again and isinstance(error, Conflict):
        text += "。" + t("plan.again", lang) if lang == "zh" else ". " + t("plan.again", lang)
    return html.Span(text, className="gc-error")


def register(app, context) -> None:
    """The console's callbacks: the queue, an incident, its moves, whom to send, the plan."""
    store = context.store

    app.clientside_callback(
        SCREEN_JS, Output(ids.CONSOLE_SCREEN, "data"), Input(ids.DISPATCH_MAP, "id")
    )

    @app.callback(
        Output(ids.QUEUE, "columnDefs"),
        Output(ids.PLAN_GRID, "columnDefs"),
        Output(ids.PLAN_TOWN, "options"),
        Input(ids.CONSOLE_SCREEN, "data"),
        State(ids.LANG, "data"),
    )
    def fit_screen(screen, lang):
        lang, scale = lang or "zh", map_size(screen)[2]
        return (
            queue_columns(lang, scale),
            plan_columns(lang, scale),
            town_options(store, lang),
        )

    @app.callback(
        Output(ids.QUEUE, "rowData"),
        Input(ids.QUEUE_SCOPE, "value"),
        Input(ids.QUEUE_REFRESH, "n_intervals"),
        Input(ids.MOVED, "data"),
        State(ids.LANG, "data"),
    )
    def load_queue(scope, _tick, _moved, lang):
        return queue_rows(store, scope or "open", lang or "zh", dt.datetime.now(dt.UTC))

    @app.callback(
        Output(ids.DETAIL, "children"),
        Input(ids.QUEUE, "selectedRows"),
        Input(ids.MOVED, "data"),
        State(ids.LANG, "data"),
    )
    def show_incident(selected, _moved, lang):
        incident_id = _selected_id(selected)
        if incident_id is None:
            return no_update
        detail = incident_detail(store, incident_id, lang or "zh")
        return detail_children(detail, lang or "zh", current_principal())

    def map_outputs(screen, shown, lang, *, chosen=None, planned=None, token="") -> list:
        """The console map's outputs (``MAP_OUTPUTS``) for what is to be shown."""
        drawn = console_map(
            store,
            lang=lang or "zh",
            screen=screen,
            chosen=chosen,
            planned=planned,
            plan_token=token,
        )
        # Fitted anew only for something else to show: zoom and pan stay the operator's.
        viewport = (
            no_update
            if drawn["revision"] == shown
            else {"bounds": drawn["bounds"], "options": fit_room(map_size(screen)[2])}
        )
        return [
            viewport,
            *[drawn["layers"][name] for name in (*LAYERS, "labels")],
            drawn["revision"],
        ]

    @app.callback(
        Output(ids.RECOMMENDED, "data"),
        Output(ids.RECOMMENDATIONS, "children"),
        Output(ids.SEND_RESULT, "children", allow_duplicate=True),
        *map_targets(allow_duplicate=True),
        Input(ids.QUEUE, "selectedRows"),
        Input(ids.MOVED, "data"),
        State(ids.RECOMMENDED, "data"),
        State(ids.CONSOLE_SCREEN, "data"),
        State(MAP_REVISION, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def recommend_cadres(selected, moved, shown, screen, revision, lang):
        """Whom to send to the incident picked, and the map with their lines:
        in one answer, so a pick is drawn after one round trip, not two."""
        incident_id, lang = _selected_id(selected), lang or "zh"
        unchanged = [no_update] * (3 + len(LAYERS) + 3)
        if incident_id is None:
            return unchanged
        same = shown is not None and shown["incident"]["id"] == incident_id
        # The queue reloads every few seconds and reports its selection again: keep
        # what is shown (and the plan on the map) unless the pick or the data moved.
        if same and shown.get("moved") == moved:
            return unchanged
        chosen = picked(store, incident_id, lang)
        if chosen is not None:
            chosen["moved"] = moved
        return [
            chosen,
            _recommendations(chosen, lang),
            no_update if same else None,
            *map_outputs(screen, revision, lang, chosen=chosen),
        ]

    @app.callback(
        Output(ids.SEND_RESULT, "children"),
        Output(ids.MOVED, "data", allow_duplicate=True),
        Input({"type": ids.SEND_BUTTON, "cadre": ALL}, "n_clicks"),
        State(ids.RECOMMENDED, "data"),
        State(ids.MOVED, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def send_cadre(clicks, chosen, moved, lang):
        if not ctx.triggered_id or not any(clicks) or not chosen:
            return no_update, no_update
        lang = lang or "zh"
        try:
            done = send(store, chosen, int(ctx.triggered_id["cadre"]), _actor(), lang)
        except GridCommandError as error:
            return _error(error, lang), no_update
        return html.Span(done, className="gc-ok"), (moved or 0) + 1

    @app.callback(
        *map_targets(),
        Input(ids.PLAN_GRID, "selectedRows"),
        Input(ids.CONSOLE_SCREEN, "data"),
        State(ids.RECOMMENDED, "data"),
        State(ids.PLAN_GRID, "rowData"),
        State(MAP_REVISION, "data"),
        State(ids.LANG, "data"),
    )
    def draw_map(ticked, screen, chosen, planned, shown, lang):
        """The map for the plan, or for the screen's size (a pick draws it with
        its recommendations, ``recommend_cadres``)."""
        # The plan is on the map while it has rows and was touched last.
        show_plan = bool(planned) and ctx.triggered_id == ids.PLAN_GRID
        if show_plan and not isinstance(ticked, list):
            return (no_update,) * (len(LAYERS) + 3)  # "select all": the grid answers with rows
        return map_outputs(
            screen,
            shown,
            lang,
            chosen=chosen,
            planned=(ticked or []) if show_plan else None,
            token=planned[0]["plan"] if show_plan else "",
        )

    # A click on an open incident selects its row of the queue, as a click
    # there does; in the browser, without a round trip to the server.
    app.clientside_callback(
        SELECT_ON_MAP_JS,
        Output(ids.QUEUE, "selectedRows"),
        Input(_layer_id("backdrop"), "clickData"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.PLAN_GRID, "rowData"),
        Output(ids.PLAN_GRID, "selectedRows"),
        Output(ids.PLAN_SUMMARY, "children"),
        Output(ids.PLAN_RESULT, "children"),
        Input(ids.PLAN_BUTTON, "n_clicks"),
        State(ids.PLAN_MINUTES, "value"),
        State(ids.PLAN_TOWN, "value"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def make_plan(n, minutes, town, lang):
        lang = lang or "zh"
        try:
            payload = plan(store, town=town, minutes=minutes)
        except GridCommandError as error:
            return no_update, no_update, no_update, _error(error, lang)
        rows = plan_rows(payload, lang, token=n)
        note = None if rows else html.Span(t("plan.nothing", lang), className="gc-warn")
        return rows, {"function": "true"}, _summary(plan_summary(payload, lang)), note

    @app.callback(
        Output(ids.PLAN_RESULT, "children", allow_duplicate=True),
        Output(ids.PLAN_GRID, "rowData", allow_duplicate=True),
        Output(ids.PLAN_SUMMARY, "children", allow_duplicate=True),
        Output(ids.MOVED, "data", allow_duplicate=True),
        Input(ids.PLAN_CONFIRM, "n_clicks"),
        State(ids.PLAN_GRID, "selectedRows"),
        State(ids.MOVED, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def confirm_plan(n, ticked, moved, lang):
        lang = lang or "zh"
        if not n:
            return no_update, no_update, no_update, no_update
        try:
            done = confirm(store, ticked, _actor(), lang)
        except GridCommandError as error:
            return _error(error, lang, again=True), no_update, no_update, no_update
        return html.Span(done, className="gc-ok"), [], None, (moved or 0) + 1

    @app.callback(
        Output(ids.ACTION_RESULT, "children"),
        Output(ids.MOVED, "data"),
        Input({"type": ids.ACTION_BUTTON, "action": ALL}, "n_clicks"),
        State(ids.QUEUE, "selectedRows"),
        State(ids.ACTION_NOTE, "value"),
        State(ids.ACTION_PROOF, "value"),
        State(ids.ACTION_EXTRA, "value"),
        State(ids.MOVED, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def make_move(clicks, selected, note, proof, extra, moved, lang):
        incident_id = _selected_id(selected)
        if not ctx.triggered_id or not any(clicks) or incident_id is None:
            return no_update, no_update
        lang = lang or "zh"
        action = ctx.triggered_id["action"]
        try:
            details = move_details(store, action, note, proof, extra)
            store.apply_action(incident_id, action, actor=_actor(), **details)
        except GridCommandError as error:
            return html.Span(error.message(lang), className="gc-error"), no_update
        done = ACTIONS[action].zh if lang == "zh" else action
        return html.Span(f"{t('console.done', lang)}: {done}", className="gc-ok"), (moved or 0) + 1
