"""The wartime desk at /events: declare an event over an area drawn on the
map (polygons and rectangles) or an uploaded polygon, add its tasks, mobilise
cadres from the proposal (paired departments first, then neighbours), watch
its figures and missed check-ins, replay it, end it.

Everyone who may view sees the events; declaring, tasks, mobilising and ending
need the events permission (a commander). Callbacks are thin: each reads its
inputs, calls ``services.events`` as the JSON API does (or a view function of
``dashboard.events_view``, ``events_map``, ``events_forms``), and returns.
"""

from __future__ import annotations

import datetime as dt

from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard import ids
from dashboard.events_forms import (
    declaration_fields,
    mobilisation_items,
    task_fields,
    uploaded_area,
)
from dashboard.events_layout import layout, target_fields  # noqa: F401  (the router calls layout)
from dashboard.events_map import (
    MAP_LAYERS,
    MAP_OUTPUTS,
    clicked_place,
    desk_layers,
    drawn_area,
    grids_in_area,
    map_update,
)
from dashboard.events_view import (
    NO_EVENT_KIND,
    banner,
    event_options,
    figures,
    overdue_list,
    proposal_columns,
    proposal_rows,
    proposal_summary,
    replay_at,
    replay_marks,
    replay_moment,
    report_summary,
    task_columns,
    task_rows,
)
from dashboard.i18n import t
from dashboard.wiring import Callbacks
from domain.errors import GridCommandError
from domain.events import declaration
from layers.event_map import place_layer
from services import event_mobilisation, event_report
from services import events as event_service
from web.guard import current_principal

callbacks = Callbacks()


def register(app, context) -> None:
    """Attach the desk's callbacks to ``app``; ``context`` holds the store."""
    callbacks.register(app, context)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _error(error: GridCommandError, lang: str) -> html.Span:
    return html.Span(error.message(lang), className="gc-error")


def _ok(text: str) -> html.Span:
    return html.Span(text, className="gc-ok")


@callbacks(
    Output(ids.EVENT_BANNER, "children"),
    Output(ids.EVENT_FIGURES, "children"),
    Output(ids.EVENT_TASKS, "rowData"),
    Output(ids.EVENT_TASKS, "columnDefs"),
    Output(ids.EVENT_OVERDUE, "children"),
    Output(ids.TASK_TARGETS, "children"),
    Input(ids.EVENT_PICK, "value"),
    Input(ids.EVENT_CHANGED, "data"),
    Input(ids.EVENT_REFRESH, "n_intervals"),
    State(ids.LANG, "data"),
)
def show_event(context, event_id, _changed, _tick, lang):
    """The event's banner, figures, tasks, missed check-ins and the task form's targets."""
    lang, store = lang or "zh", context.store
    if not event_id:
        empty = html.Div(t("events.none_hint", lang), className="gc-muted")
        return empty, None, [], task_columns(NO_EVENT_KIND, lang), None, None
    event = store.event(int(event_id))
    shown = event_service.shown_event(event, event_service.city(store).towns)
    board = event_service.board(store, int(event_id), now=_now(), lang=lang)
    return (
        banner(shown, lang),
        figures(board, lang),
        task_rows(board, lang),
        task_columns(event["kind"], lang),
        overdue_list(board, lang),
        target_fields(event["kind"], lang),
    )


@callbacks(
    Output(ids.EVENT_MAP, "viewport"),
    *[Output(MAP_LAYERS[name], "hideout" if name == "grids" else "data") for name in MAP_OUTPUTS],
    Output(ids.EVENT_MAP_SHOWN, "data"),
    Input(ids.EVENT_PICK, "value"),
    Input(ids.EVENT_PICKED, "data"),
    Input(ids.EVENT_PROPOSAL, "selectedRows"),
    Input(ids.EVENT_CHANGED, "data"),
    Input(ids.EVENT_REFRESH, "n_intervals"),
    Input(ids.EVENT_REPLAY_ON, "value"),
    Input(ids.EVENT_REPLAY, "value"),
    State(ids.EVENT_REPLAY_START, "data"),
    State(ids.EVENT_MAP_SHOWN, "data"),
    State(MAP_LAYERS["grids"], "hideout"),
    State(ids.LANG, "data"),
)
def draw_map(
    context,
    event_id,
    picked,
    proposal,
    _changed,
    _tick,
    replay_on,
    second,
    start,
    shown,
    grids,
    lang,
):
    """The map's values, as the event is or, while replaying, as it was then."""
    lang, store = lang or "zh", context.store
    event = int(event_id) if event_id else None
    at = replay_at(replay_on, start, second) if event else None
    drawn = desk_layers(
        store,
        event_id=event,
        picked=set(picked or []),
        proposal=proposal or [],
        lang=lang,
        now=_now(),
        replay=event_report.replay_frame(store, event, at, lang) if at else None,
    )
    return map_update(drawn, event_id or "", shown, grids)


@callbacks(
    Output(ids.EVENT_REPORT, "children"),
    Output(ids.EVENT_REPLAY, "max"),
    Output(ids.EVENT_REPLAY, "step"),
    Output(ids.EVENT_REPLAY, "marks"),
    Output(ids.EVENT_REPLAY, "value"),
    Output(ids.EVENT_REPLAY_START, "data"),
    Input(ids.EVENT_PICK, "value"),
    Input(ids.EVENT_CHANGED, "data"),
    State(ids.LANG, "data"),
)
def show_report(context, event_id, _changed, lang):
    """The after-action report's figures, and the replay's slider over the event's span."""
    lang = lang or "zh"
    if not event_id:
        return None, 1, 1, None, 1, None
    report = event_report.after_action(context.store, int(event_id), _now(), lang)
    frame = event_report.replay_frame(context.store, int(event_id), None, lang)
    length, step, marks = replay_marks(frame["start"], frame["end"])
    summary = report_summary(report, int(event_id), lang)
    return summary, length, step, marks, length, frame["start"]


@callbacks(
    Output(ids.EVENT_REPLAY_TIME, "children"),
    Input(ids.EVENT_REPLAY, "value"),
    Input(ids.EVENT_REPLAY_ON, "value"),
    State(ids.EVENT_REPLAY_START, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def replay_time(_context, second, replay_on, start, lang):
    return replay_moment(replay_at(replay_on, start, second), lang or "zh")


@callbacks(
    Output(ids.EVENT_PICKED, "data"),
    Output(ids.EVENT_UPLOADED, "data"),
    Output(ids.EVENT_AREA_NOTE, "children"),
    Input(ids.EVENT_DRAW, "geojson"),
    Input(ids.EVENT_UPLOAD, "contents"),
    State(ids.EVENT_UPLOAD, "filename"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def pick_area(context, drawn, contents, filename, lang):
    """The area drawn on the map (polygons and rectangles, united) or
    uploaded, and the grids inside it, shown before declaring."""
    lang, uploaded = lang or "zh", ctx.triggered_id == ids.EVENT_UPLOAD
    try:
        text = uploaded_area(contents) if uploaded else drawn_area(drawn)
        if text is None:
            return [], None, t("events.area_hint", lang)
        codes = grids_in_area(context.store, text)
    except GridCommandError as error:
        return [], None, _error(error, lang)
    if uploaded:
        return codes, text, t("events.area_file", lang).format(name=filename or "")
    return codes, text, t("events.area_grids", lang).format(n=len(codes))


@callbacks(
    Output(ids.TASK_PLACE, "data"),
    Output(ids.TASK_PLACE_NOTE, "children"),
    Output(MAP_LAYERS["place"], "data"),
    Input(ids.EVENT_MAP, "clickData"),
    State(ids.EVENT_PICK, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def place_task(_context, click, event_id, lang):
    """A click on the map places the next task of the event shown (a
    click while no event is shown, as when drawing a new one, does not)."""
    lang = lang or "zh"
    place = clicked_place(click)
    if place is None or not event_id:
        return no_update, no_update, no_update
    note = t("events.task_place", lang).format(**place)
    return place, note, place_layer(place, lang)


@callbacks(
    Output(ids.EVENT_RESULT, "children"),
    Output(ids.EVENT_PICK, "options"),
    Output(ids.EVENT_PICK, "value"),
    Output(ids.EVENT_PICKED, "data", allow_duplicate=True),
    Output(ids.EVENT_DRAW, "editToolbar"),
    Input(ids.EVENT_DECLARE, "n_clicks"),
    State(ids.EVENT_NAME, "value"),
    State(ids.EVENT_KIND, "value"),
    State(ids.EVENT_SEVERITY, "value"),
    State(ids.EVENT_CHECKIN, "value"),
    State(ids.EVENT_PICKED, "data"),
    State(ids.EVENT_UPLOADED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def declare(context, n, name, kind, severity, checkin, picked, uploaded, lang):
    lang, store = lang or "zh", context.store
    if not n:
        return no_update, no_update, no_update, no_update, no_update
    fields = declaration_fields(name, kind, severity, checkin, picked, uploaded)
    here = event_service.city(store)
    try:
        event = declaration(fields, city_outline=here.outline, grids=here.grids, now=_now())
        new_id = store.declare_event(event, actor=current_principal().actor)
    except GridCommandError as error:
        return _error(error, lang), no_update, no_update, no_update, no_update
    done = t("events.declared", lang).format(name=event.name, n=len(event.grid_codes))
    cleared = {"mode": "remove", "action": "clear all", "n_clicks": n}  # the drawing: declared
    return _ok(done), event_options(store, lang), new_id, [], cleared


@callbacks(
    Output(ids.EVENT_END_RESULT, "children"),
    Output(ids.EVENT_CHANGED, "data", allow_duplicate=True),
    Output(ids.EVENT_PICK, "options", allow_duplicate=True),
    Input(ids.EVENT_END, "submit_n_clicks"),
    State(ids.EVENT_PICK, "value"),
    State(ids.EVENT_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def end(context, n, event_id, changed, lang):
    lang, store = lang or "zh", context.store
    if not n or not event_id:
        return no_update, no_update, no_update
    try:
        store.end_event(int(event_id), actor=current_principal().actor)
    except GridCommandError as error:
        return _error(error, lang), no_update, no_update
    return _ok(t("events.ended_now", lang)), (changed or 0) + 1, event_options(store, lang)


@callbacks(
    Output(ids.TASK_RESULT, "children"),
    Output(ids.EVENT_CHANGED, "data", allow_duplicate=True),
    Input(ids.TASK_ADD, "n_clicks"),
    State(ids.EVENT_PICK, "value"),
    State(ids.TASK_TITLE, "value"),
    State(ids.TASK_HEADCOUNT, "value"),
    State({"type": ids.TASK_TARGET, "measure": ALL}, "value"),
    State({"type": ids.TASK_TARGET, "measure": ALL}, "id"),
    State(ids.TASK_PLACE, "data"),
    State(ids.EVENT_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def add_task(context, n, event_id, title, headcount, values, target_ids, place, changed, lang):
    lang = lang or "zh"
    if not n:
        return no_update, no_update
    if not event_id:
        return html.Span(t("events.pick_first", lang), className="gc-error"), no_update
    fields = task_fields(title, headcount, values, target_ids, place)
    try:
        actor = current_principal().actor
        task = event_service.add_task(context.store, int(event_id), fields, actor=actor)
    except GridCommandError as error:
        return _error(error, lang), no_update
    return _ok(t("events.task_added", lang).format(id=task["public_id"])), (changed or 0) + 1


@callbacks(
    Output(ids.EVENT_PROPOSAL, "rowData"),
    Output(ids.EVENT_PROPOSAL, "selectedRows"),
    Output(ids.EVENT_PROPOSAL, "columnDefs"),
    Output(ids.EVENT_PROPOSAL_SUMMARY, "children"),
    Output(ids.EVENT_MOBILISE_RESULT, "children"),
    Input(ids.EVENT_PROPOSE, "n_clicks"),
    State(ids.EVENT_PICK, "value"),
    State(ids.EVENT_REST, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def propose(context, n, event_id, rest, lang):
    lang, store = lang or "zh", context.store
    if not n or not event_id:
        return no_update, no_update, no_update, no_update, no_update
    try:
        found = event_mobilisation.propose(
            store, int(event_id), include_rest="rest" in (rest or [])
        )
    except GridCommandError as error:
        return [], [], no_update, no_update, _error(error, lang)
    payload = event_mobilisation.proposal_payload(found, store, lang)
    rows = proposal_rows(payload, n)
    note = None if rows else html.Span(t("events.nobody", lang), className="gc-warn")
    return rows, rows, proposal_columns(lang), proposal_summary(payload, lang), note


@callbacks(
    Output(ids.EVENT_MOBILISE_RESULT, "children", allow_duplicate=True),
    Output(ids.EVENT_PROPOSAL, "rowData", allow_duplicate=True),
    Output(ids.EVENT_PROPOSAL, "selectedRows", allow_duplicate=True),
    Output(ids.EVENT_CHANGED, "data", allow_duplicate=True),
    Input(ids.EVENT_CONFIRM, "n_clicks"),
    State(ids.EVENT_PICK, "value"),
    State(ids.EVENT_PROPOSAL, "selectedRows"),
    State(ids.EVENT_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def confirm(context, n, event_id, ticked, changed, lang):
    lang = lang or "zh"
    if not n or not event_id:
        return no_update, no_update, no_update, no_update
    if not ticked:
        warning = html.Span(t("events.tick_first", lang), className="gc-error")
        return warning, no_update, no_update, no_update
    items = mobilisation_items(ticked)
    try:
        actor = current_principal().actor
        sent = event_mobilisation.mobilise(context.store, int(event_id), items, actor=actor)
    except GridCommandError as error:
        text = error.message(lang) + ("。" if lang == "zh" else ". ") + t("plan.again", lang)
        return html.Span(text, className="gc-error"), no_update, no_update, no_update
    return _ok(t("events.sent", lang).format(n=len(sent))), [], [], (changed or 0) + 1
