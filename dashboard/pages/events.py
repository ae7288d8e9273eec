"""The wartime desk at /events: declare an event over grids picked on the map
(lasso or box) or an uploaded polygon, add its tasks, mobilise cadres from the
proposal (paired departments first, then neighbours), watch its figures and
missed check-ins, end it.

Everyone who may view sees the events; declaring, tasks, mobilising and ending
need the events permission (a commander). Callbacks are thin: they call
``services.events``, as the JSON API does.
"""

from __future__ import annotations

import base64
import datetime as dt

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.events_layout import MAP_LAYERS, field, layout  # noqa: F401  (the router calls layout)
from dashboard.events_view import (
    BEIJING,
    NO_EVENT_KIND,
    banner,
    clicked_place,
    desk_layers,
    drawn_area,
    event_options,
    figures,
    overdue_list,
    proposal_columns,
    proposal_rows,
    proposal_summary,
    replay_marks,
    report_summary,
    task_columns,
    task_rows,
)
from dashboard.i18n import t
from dashboard.leaflet_parts import FIT
from domain.errors import GridCommandError, InvalidInput
from domain.event_tasks import MEASURES, measures_of
from domain.events import declaration, polygon_from_geojson
from layers.event_map import place_layer
from services import event_report
from services import events as event_service
from web.guard import current_principal


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _error(error: GridCommandError, lang: str) -> html.Span:
    return html.Span(error.message(lang), className="gc-error")


def _ok(text: str) -> html.Span:
    return html.Span(text, className="gc-ok")


def uploaded_area(contents: str | None) -> str | None:
    """The uploaded file's text (GeoJSON expected); InvalidInput when it is not text."""
    if not contents:
        return None
    try:
        data = base64.b64decode(contents.split(",", 1)[1])
        return data.decode("utf-8-sig")
    except (IndexError, ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "the file is not a GeoJSON text file", zh="文件不是 GeoJSON 文本文件"
        ) from None


def register(app, context) -> None:
    store = context.store

    @app.callback(
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
    def show_event(event_id, _changed, _tick, lang):
        lang = lang or "zh"
        if not event_id:
            empty = html.Div(t("events.none_hint", lang), className="gc-muted")
            return empty, None, [], task_columns(NO_EVENT_KIND, lang), None, None
        event = store.event(int(event_id))
        shown = event_service.shown_event(event, event_service.city(store).towns)
        board = event_service.board(store, int(event_id), now=_now(), lang=lang)
        targets = [
            field(
                f"{MEASURES[code].label(lang)}（{MEASURES[code].unit(lang)}）",
                dcc.Input(
                    id={"type": ids.TASK_TARGET, "measure": code},
                    type="number",
                    min=0,
                    className="gc-event-input gc-event-short",
                ),
            )
            for code in measures_of(event["kind"])
        ]
        return (
            banner(shown, lang),
            figures(board, lang),
            task_rows(board, lang),
            task_columns(event["kind"], lang),
            overdue_list(board, lang),
            targets,
        )

    map_outputs = ("grids", "area", "proposal", "cadres", "tasks")

    @app.callback(
        Output(ids.EVENT_MAP, "viewport"),
        *[
            Output(MAP_LAYERS[name], "hideout" if name == "grids" else "data")
            for name in map_outputs
        ],
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
        event_id,
        picked,
        proposal,
        _changed,
        _tick,
        replay_on,
        second,
        start,
        shown,
        grids_before,
        lang,
    ):
        """The map's values; fitted anew only for another event (zoom and pan
        stay the commander's), the grids restyled only when their marks change."""
        here, lang = event_service.city(store), lang or "zh"
        replay = None
        if event_id and "on" in (replay_on or []) and start:
            at = dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second or 0)
            replay = event_report.replay_frame(store, int(event_id), at, lang)
        drawn = desk_layers(
            store,
            here.grids,
            event_id=int(event_id) if event_id else None,
            picked=set(picked or []),
            proposal=proposal or [],
            lang=lang,
            now=_now(),
            replay=replay,
        )
        showing = event_id or ""
        viewport = no_update if showing == shown else {"bounds": drawn["bounds"], "options": FIT}
        values = [
            no_update if name == "grids" and drawn[name] == grids_before else drawn[name]
            for name in map_outputs
        ]
        return viewport, *values, showing

    @app.callback(
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
    def show_report(event_id, _changed, lang):
        lang = lang or "zh"
        if not event_id:
            return None, 1, 1, None, 1, None
        report = event_report.after_action(store, int(event_id), _now(), lang)
        frame = event_report.replay_frame(store, int(event_id), None, lang)
        length, step, marks = replay_marks(frame["start"], frame["end"])
        return (
            report_summary(report, int(event_id), lang),
            length,
            step,
            marks,
            length,
            frame["start"],
        )

    @app.callback(
        Output(ids.EVENT_REPLAY_TIME, "children"),
        Input(ids.EVENT_REPLAY, "value"),
        Input(ids.EVENT_REPLAY_ON, "value"),
        State(ids.EVENT_REPLAY_START, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def replay_time(second, replay_on, start, lang):
        lang = lang or "zh"
        if "on" not in (replay_on or []) or not start:
            return t("report.replay_hint", lang)
        at = dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second or 0)
        return t("report.at", lang).format(at=at.astimezone(BEIJING).strftime("%m-%d %H:%M:%S"))

    @app.callback(
        Output(ids.EVENT_PICKED, "data"),
        Output(ids.EVENT_UPLOADED, "data"),
        Output(ids.EVENT_AREA_NOTE, "children"),
        Input(ids.EVENT_DRAW, "geojson"),
        Input(ids.EVENT_UPLOAD, "contents"),
        State(ids.EVENT_UPLOAD, "filename"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def pick_area(drawn, contents, filename, lang):
        """The area drawn on the map (polygons and rectangles, united) or
        uploaded, and the grids inside it, shown before declaring."""
        lang = lang or "zh"
        try:
            if ctx.triggered_id == ids.EVENT_UPLOAD:
                text = uploaded_area(contents)
                note = t("events.area_file", lang).format(name=filename or "")
            else:
                text = drawn_area(drawn)
                note = None
            if text is None:
                return [], None, t("events.area_hint", lang)
            codes = sorted(
                event_service.grids_in(polygon_from_geojson(text), event_service.city(store).grids)
            )
        except GridCommandError as error:
            return [], None, _error(error, lang)
        return codes, text, note or t("events.area_grids", lang).format(n=len(codes))

    @app.callback(
        Output(ids.TASK_PLACE, "data"),
        Output(ids.TASK_PLACE_NOTE, "children"),
        Output(MAP_LAYERS["place"], "data"),
        Input(ids.EVENT_MAP, "clickData"),
        State(ids.EVENT_PICK, "value"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def place_task(click, event_id, lang):
        """A click on the map places the next task of the event shown (a
        click while no event is shown, as when drawing a new one, does not)."""
        lang = lang or "zh"
        place = clicked_place(click)
        if place is None or not event_id:
            return no_update, no_update, no_update
        note = t("events.task_place", lang).format(**place)
        return place, note, place_layer(place, lang)

    @app.callback(
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
    def declare(n, name, kind, severity, checkin, picked, uploaded, lang):
        lang = lang or "zh"
        if not n:
            return no_update, no_update, no_update, no_update, no_update
        # The area as drawn or uploaded; the grids inside it were only shown.
        fields = {
            "name": name,
            "kind": kind,
            "severity": severity,
            "checkin_minutes": checkin,
            "grids": None if uploaded else picked or None,
            "area": uploaded or None,
        }
        here = event_service.city(store)
        try:
            event = declaration(fields, city_outline=here.outline, grids=here.grids, now=_now())
            new_id = store.declare_event(event, actor=current_principal().actor)
        except GridCommandError as error:
            return _error(error, lang), no_update, no_update, no_update, no_update
        done = t("events.declared", lang).format(name=event.name, n=len(event.grid_codes))
        cleared = {"mode": "remove", "action": "clear all", "n_clicks": n}  # the drawing: declared
        return _ok(done), event_options(store, lang), new_id, [], cleared

    @app.callback(
        Output(ids.EVENT_END_RESULT, "children"),
        Output(ids.EVENT_CHANGED, "data", allow_duplicate=True),
        Output(ids.EVENT_PICK, "options", allow_duplicate=True),
        Input(ids.EVENT_END, "submit_n_clicks"),
        State(ids.EVENT_PICK, "value"),
        State(ids.EVENT_CHANGED, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def end(n, event_id, changed, lang):
        lang = lang or "zh"
        if not n or not event_id:
            return no_update, no_update, no_update
        try:
            store.end_event(int(event_id), actor=current_principal().actor)
        except GridCommandError as error:
            return _error(error, lang), no_update, no_update
        return _ok(t("events.ended_now", lang)), (changed or 0) + 1, event_options(store, lang)

    @app.callback(
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
    def add_task(n, event_id, title, headcount, values, target_ids, place, changed, lang):
        lang = lang or "zh"
        if not n:
            return no_update, no_update
        if not event_id:
            return html.Span(t("events.pick_first", lang), className="gc-error"), no_update
        targets = {
            i["measure"]: v for i, v in zip(target_ids, values, strict=True) if v not in (None, "")
        }
        fields = {
            "title": title,
            "headcount": headcount if headcount is not None else 1,
            "targets": targets,
            **(place or {}),
        }
        try:
            task = event_service.add_task(
                store, int(event_id), fields, actor=current_principal().actor
            )
        except GridCommandError as error:
            return _error(error, lang), no_update
        return _ok(t("events.task_added", lang).format(id=task["public_id"])), (changed or 0) + 1

    @app.callback(
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
    def propose(n, event_id, rest, lang):
        lang = lang or "zh"
        if not n or not event_id:
            return no_update, no_update, no_update, no_update, no_update
        try:
            found = event_service.propose(store, int(event_id), include_rest="rest" in (rest or []))
        except GridCommandError as error:
            return [], [], no_update, no_update, _error(error, lang)
        payload = event_service.proposal_payload(found, store, lang)
        rows = proposal_rows(payload, n)
        note = None if rows else html.Span(t("events.nobody", lang), className="gc-warn")
        return rows, rows, proposal_columns(lang), proposal_summary(payload, lang), note

    @app.callback(
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
    def confirm(n, event_id, ticked, changed, lang):
        lang = lang or "zh"
        if not n or not event_id:
            return no_update, no_update, no_update, no_update
        if not ticked:
            return (
                html.Span(t("events.tick_first", lang), className="gc-error"),
                no_update,
                no_update,
                no_update,
            )
        items = [
            {k: row[k] for k in ("incident", "cadre_id", "eta_s", "position_at")} for row in ticked
        ]
        try:
            sent = event_service.mobilise(
                store, int(event_id), items, actor=current_principal().actor
            )
        except GridCommandError as error:
            text = error.message(lang) + ("。" if lang == "zh" else ". ") + t("plan.again", lang)
            return html.Span(text, className="gc-error"), no_update, no_update, no_update
        return _ok(t("events.sent", lang).format(n=len(sent))), [], [], (changed or 0) + 1
