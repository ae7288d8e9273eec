"""The dispatch console at /dispatch: the queue, one incident, whom to send, the plan for all.

Callbacks are thin: each reads its inputs, calls one function of
``dashboard.dispatch_view`` (the dispatch use cases), ``console_view`` or
``console_panels``, and returns what it gives; the layout is in
``dashboard.console_layout``, the map's parts in ``dashboard.console_map``.
"""

from __future__ import annotations

import datetime as dt

from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import ids, proactive_panel
from dashboard.console_layout import layout  # noqa: F401  (the router calls layout)
from dashboard.console_map import MAP_REVISION, layer_id, map_update
from dashboard.console_panels import plan_summary_view, recommendations_view
from dashboard.console_view import (
    detail_children,
    incident_detail,
    move_details,
    plan_columns,
    queue_columns,
    queue_rows,
)
from dashboard.dispatch_view import (
    acknowledged,
    confirm,
    map_size,
    picked,
    plan,
    plan_rows,
    plan_summary,
    send,
    town_options,
)
from dashboard.i18n import t
from dashboard.wiring import Callbacks
from domain.errors import Conflict, GridCommandError
from domain.lifecycle import ACTIONS
from layers.dispatch_lines import LAYERS
from web.guard import current_principal

callbacks = Callbacks()


def register(app, context) -> None:
    """Attach the console's callbacks to ``app``: the queue, an incident, its
    moves, whom to send, the plan, the proactive cases; ``context`` holds the store."""
    callbacks.register(app, context)
    proactive_panel.register(app, context)


def map_targets(**options) -> list[Output]:
    """The console map's outputs: its view, each layer's data, the revision shown."""
    return [
        Output(ids.DISPATCH_MAP, "viewport", **options),
        *[Output(layer_id(name), "data", **options) for name in (*LAYERS, "labels")],
        Output(MAP_REVISION, "data", **options),
    ]


SELECT_ON_MAP_JS = """function (clicked) {
    if (!clicked || clicked.id === undefined || clicked.id === null) {
        return window.dash_clientside.no_update;
    }
    return {ids: [String(clicked.id)]};
}"""


# The incident picked, once per pick: the queue's selected rows, or the ids a
# click on the map asked it to select, which the queue then reports again as
# rows. The server's answers to a pick (its detail, whom to send and the map)
# follow this, so they run once and not twice, side by side, per pick.
PICK_JS = """function (selected, held) {
    let picked = null;
    if (Array.isArray(selected)) {
        picked = selected.length ? String(selected[0].id) : null;
    } else if (selected && Array.isArray(selected.ids)) {
        picked = selected.ids.length ? String(selected.ids[0]) : null;
    }
    return picked === (held === undefined ? null : held)
        ? window.dash_clientside.no_update : picked;
}"""


# The map's size is that of its frame on this screen: the view is fitted to it.
SCREEN_JS = """
function (_) {
    const frame = document.querySelector('.gc-console-map');
    const box = frame ? frame.getBoundingClientRect() : {width: 0, height: 0};
    return {width: window.innerWidth, height: window.innerHeight,
            mapWidth: box.width, mapHeight: box.height};
}
"""


def _picked_id(pick) -> int | None:
    """The incident in the pick's store (``PICK_JS``): a row id as text, or none."""
    return int(pick) if pick not in (None, "") else None


def _actor() -> str:
    """Who the audit log says did it: the signed-in person, never a typed name."""
    return current_principal().actor


def _error(error: GridCommandError, lang: str, *, again: bool = False) -> html.Span:
    text = error.message(lang)
    if again and isinstance(error, Conflict):
        text += "。" + t("plan.again", lang) if lang == "zh" else ". " + t("plan.again", lang)
    return html.Span(text, className="gc-error")


callbacks.clientside(SCREEN_JS, Output(ids.CONSOLE_SCREEN, "data"), Input(ids.DISPATCH_MAP, "id"))
callbacks.clientside(
    PICK_JS,
    Output(ids.PICKED_INCIDENT, "data"),
    Input(ids.QUEUE, "selectedRows"),
    State(ids.PICKED_INCIDENT, "data"),
)


@callbacks(
    Output(ids.QUEUE, "columnDefs"),
    Output(ids.PLAN_GRID, "columnDefs"),
    Output(ids.PLAN_TOWN, "options"),
    Input(ids.CONSOLE_SCREEN, "data"),
    State(ids.LANG, "data"),
)
def fit_screen(context, screen, lang):
    lang, scale = lang or "zh", map_size(screen)[2]
    return (
        queue_columns(lang, scale),
        plan_columns(lang, scale),
        town_options(context.store, lang),
    )


@callbacks(
    Output(ids.QUEUE, "rowData"),
    Output(ids.RISK_NOTE, "children"),
    Input(ids.QUEUE_SCOPE, "value"),
    Input(ids.QUEUE_REFRESH, "n_intervals"),
    Input(ids.MOVED, "data"),
    State(ids.LANG, "data"),
)
def load_queue(context, scope, _tick, _moved, lang):
    """The queue's rows, each open one with its breach risk, and the line
    saying which model gave the figures or why there are none."""
    return queue_rows(context.store, scope or "open", lang or "zh", dt.datetime.now(dt.UTC))


@callbacks(
    Output(ids.DETAIL, "children"),
    Input(ids.PICKED_INCIDENT, "data"),
    Input(ids.MOVED, "data"),
    Input(ids.QUEUE_REFRESH, "n_intervals"),  # what others did to it meanwhile
    State(ids.LANG, "data"),
)
def show_incident(context, pick, _moved, _tick, lang):
    incident_id = _picked_id(pick)
    if incident_id is None:
        return no_update
    detail = incident_detail(context.store, incident_id, lang or "zh")
    return detail_children(detail, lang or "zh", current_principal())


@callbacks(
    Output(ids.RECOMMENDED, "data"),
    Output(ids.RECOMMENDATIONS, "children"),
    Output(ids.SEND_RESULT, "children", allow_duplicate=True),
    *map_targets(allow_duplicate=True),
    Input(ids.PICKED_INCIDENT, "data"),
    Input(ids.MOVED, "data"),
    Input(ids.QUEUE_REFRESH, "n_intervals"),  # a cadre's phone may have acknowledged
    State(ids.RECOMMENDED, "data"),
    State(ids.CONSOLE_SCREEN, "data"),
    State(MAP_REVISION, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def recommend_cadres(context, pick, moved, _tick, shown, screen, revision, lang):
    """Whom to send to the incident picked, and the map with their lines:
    in one answer, so a pick is drawn after one round trip, not two."""
    incident_id, lang = _picked_id(pick), lang or "zh"
    unchanged = [no_update] * (3 + len(LAYERS) + 3)
    if incident_id is None:
        return unchanged
    same = shown is not None and shown["incident"]["id"] == incident_id
    # Every few seconds (the queue's reload) keep what is shown (and the plan on
    # the map) unless the pick or the data moved, or a cadre sent has seen or
    # accepted the task on their phone since.
    ack_minutes = context.settings.ack_minutes
    if (
        same
        and shown.get("moved") == moved
        and shown.get("acks") == acknowledged(context.store, incident_id, ack_minutes)
    ):
        return unchanged
    chosen = picked(context.store, incident_id, lang, ack_minutes=ack_minutes)
    if chosen is not None:
        chosen["moved"] = moved
    return [
        chosen,
        recommendations_view(chosen, lang),
        no_update if same else None,
        *map_update(context.store, screen, revision, lang, chosen=chosen),
    ]


@callbacks(
    Output(ids.SEND_RESULT, "children"),
    Output(ids.MOVED, "data", allow_duplicate=True),
    Input({"type": ids.SEND_BUTTON, "cadre": ALL}, "n_clicks"),
    State(ids.RECOMMENDED, "data"),
    State(ids.MOVED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def send_cadre(context, clicks, chosen, moved, lang):
    if not ctx.triggered_id or not any(clicks) or not chosen:
        return no_update, no_update
    lang = lang or "zh"
    try:
        done = send(context.store, chosen, int(ctx.triggered_id["cadre"]), _actor(), lang)
    except GridCommandError as error:
        return _error(error, lang), no_update
    return html.Span(done, className="gc-ok"), (moved or 0) + 1


@callbacks(
    *map_targets(),
    Input(ids.PLAN_GRID, "selectedRows"),
    Input(ids.CONSOLE_SCREEN, "data"),
    State(ids.RECOMMENDED, "data"),
    State(ids.PLAN_GRID, "rowData"),
    State(MAP_REVISION, "data"),
    State(ids.LANG, "data"),
)
def draw_map(context, ticked, screen, chosen, planned, shown, lang):
    """The map for the plan, or for the screen's size (a pick draws it with
    its recommendations, ``recommend_cadres``)."""
    # The plan is on the map while it has rows and was touched last.
    show_plan = bool(planned) and ctx.triggered_id == ids.PLAN_GRID
    if show_plan and not isinstance(ticked, list):
        return (no_update,) * (len(LAYERS) + 3)  # "select all": the grid answers with rows
    return map_update(
        context.store,
        screen,
        shown,
        lang,
        chosen=chosen,
        planned=(ticked or []) if show_plan else None,
        token=planned[0]["plan"] if show_plan else "",
    )


# A click on an open incident selects its row of the queue, as a click
# there does; in the browser, without a round trip to the server.
callbacks.clientside(
    SELECT_ON_MAP_JS,
    Output(ids.QUEUE, "selectedRows"),
    Input(layer_id("backdrop"), "clickData"),
    prevent_initial_call=True,
)


@callbacks(
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
def make_plan(context, n, minutes, town, lang):
    lang = lang or "zh"
    try:
        payload = plan(context.store, town=town, minutes=minutes)
    except GridCommandError as error:
        return no_update, no_update, no_update, _error(error, lang)
    rows = plan_rows(payload, lang, token=n)
    note = None if rows else html.Span(t("plan.nothing", lang), className="gc-warn")
    return rows, {"function": "true"}, plan_summary_view(plan_summary(payload, lang)), note


@callbacks(
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
def confirm_plan(context, n, ticked, moved, lang):
    lang = lang or "zh"
    if not n:
        return no_update, no_update, no_update, no_update
    try:
        done = confirm(context.store, ticked, _actor(), lang)
    except GridCommandError as error:
        return _error(error, lang, again=True), no_update, no_update, no_update
    return html.Span(done, className="gc-ok"), [], None, (moved or 0) + 1


@callbacks(
    Output(ids.ACTION_RESULT, "children"),
    Output(ids.MOVED, "data"),
    Input({"type": ids.ACTION_BUTTON, "action": ALL}, "n_clicks"),
    State(ids.PICKED_INCIDENT, "data"),
    State(ids.ACTION_NOTE, "value"),
    State(ids.ACTION_PROOF, "value"),
    State(ids.ACTION_EXTRA, "value"),
    State(ids.MOVED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def make_move(context, clicks, pick, note, proof, extra, moved, lang):
    incident_id = _picked_id(pick)
    if not ctx.triggered_id or not any(clicks) or incident_id is None:
        return no_update, no_update
    lang = lang or "zh"
    action = ctx.triggered_id["action"]
    try:
        details = move_details(context.store, action, note, proof, extra)
        context.store.apply_action(incident_id, action, actor=_actor(), **details)
    except GridCommandError as error:
        return html.Span(error.message(lang), className="gc-error"), no_update
    done = ACTIONS[action].zh if lang == "zh" else action
    return html.Span(f"{t('console.done', lang)}: {done}", className="gc-ok"), (moved or 0) + 1
