"""The wartime desk at /events: declare an event over grids picked on the map
(lasso or box) or an uploaded polygon, add its tasks, mobilise cadres from the
proposal (paired departments first, then neighbours), watch its figures and
missed check-ins, end it.

Everyone who may view sees the events; declaring, tasks, mobilising and ending
need the events permission (a commander). Callbacks are thin: they call
``api.event_service``, as the JSON API does.
"""

from __future__ import annotations

import base64
import datetime as dt

import dash_ag_grid as dag
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from api import event_report, event_service
from api.events import shown_event
from api.guard import current_principal
from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.events_view import (
    BEIJING,
    banner,
    desk_figure,
    event_options,
    figures,
    kind_options,
    overdue_list,
    proposal_columns,
    proposal_rows,
    proposal_summary,
    replay_marks,
    report_summary,
    severity_options,
    task_columns,
    task_rows,
)
from dashboard.i18n import t
from domain.access import EVENTS
from domain.checkins import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES
from domain.errors import GridCommandError, InvalidInput
from domain.event_tasks import MEASURES, measures_of
from domain.events import declaration

GRAPH_CONFIG = {"displayModeBar": True, "scrollZoom": True, "responsive": True,
                "modeBarButtons": [["lasso2d", "select2d", "pan2d"]], "displaylogo": False}  # fmt: skip
REFRESH_MS = 15_000
MAX_UPLOAD_BYTES = 5_000_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _field(label: str, control) -> html.Label:
    return html.Label([label, control], className="gc-event-field")


def _table(grid_id: str, lang: str, *, selectable: bool, height: str) -> html.Div:
    selection = ({"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                  "enableClickSelection": False} if selectable
                 else {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True})  # fmt: skip
    return html.Div(dag.AgGrid(
        id=grid_id, columnDefs=[], rowData=[], getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"rowSelection": selection, "animateRows": False,
                         "localeText": grid_words(lang)},
        className="ag-theme-alpine gc-review-table", style={"height": height},
    ))  # fmt: skip


def declare_panel(lang: str, can: bool) -> html.Div:
    """Name, kind, level, check-in interval and the area: picked grids or a file.

    The forms of this page are in every caller's page, hidden from those who
    may not act: the callbacks need their components, and the server refuses
    their writes anyway (``dashboard.access_rules``)."""
    return html.Div([
        html.H2(t("events.declare", lang)),
        html.Div([
            _field(t("events.name", lang), dcc.Input(id=ids.EVENT_NAME, type="text",
                                                     maxLength=120, className="gc-event-input")),
            _field(t("events.kind", lang), dcc.Dropdown(id=ids.EVENT_KIND, value="flood",
                                                        options=kind_options(lang),
                                                        clearable=False)),
            _field(t("events.level", lang), dcc.Dropdown(id=ids.EVENT_SEVERITY, value=3,
                                                         options=severity_options(lang),
                                                         clearable=False)),
            _field(t("events.checkin", lang), dcc.Input(
                id=ids.EVENT_CHECKIN, type="number", value=DEFAULT_MINUTES, min=MIN_MINUTES,
                max=MAX_MINUTES, step=1, className="gc-event-input gc-event-short")),
        ], className="gc-event-form"),
        html.Div([
            html.Span(t("events.area_hint", lang), id=ids.EVENT_AREA_NOTE),
            dcc.Upload(html.A(t("events.upload", lang), className="gc-link"),
                       id=ids.EVENT_UPLOAD, accept=".geojson,.json,application/geo+json",
                       max_size=MAX_UPLOAD_BYTES, className="gc-event-upload"),
        ], className="gc-event-area"),
        html.Button(t("events.declare_button", lang), id=ids.EVENT_DECLARE,
                    className="gc-button gc-declare"),
        html.Div(id=ids.EVENT_RESULT, className="gc-result"),
    ], className="gc-review-card", hidden=not can)  # fmt: skip


def task_panel(lang: str, can: bool) -> html.Div:
    """The event's figures and tasks; a commander adds tasks at a place clicked on the map."""
    form = html.Div([
        _field(t("events.task_title", lang), dcc.Input(id=ids.TASK_TITLE, type="text",
                                                       maxLength=200, className="gc-event-input")),
        _field(t("events.task_hands", lang), dcc.Input(
            id=ids.TASK_HEADCOUNT, type="number", value=10, min=1, max=500, step=1,
            className="gc-event-input gc-event-short")),
        html.Div(id=ids.TASK_TARGETS, className="gc-event-targets"),
        html.Span(t("events.task_place_hint", lang), id=ids.TASK_PLACE_NOTE,
                  className="gc-muted"),
        html.Button(t("events.task_add", lang), id=ids.TASK_ADD, className="gc-button"),
        html.Div(id=ids.TASK_RESULT, className="gc-result"),
    ], className="gc-event-form", hidden=not can)  # fmt: skip
    return html.Div([
        html.H2(t("events.tasks", lang)),
        html.Div(id=ids.EVENT_FIGURES, className="gc-event-figures"),
        _table(ids.EVENT_TASKS, lang, selectable=False, height="16em"),
        form,
    ], className="gc-review-card")  # fmt: skip


def mobilise_panel(lang: str, can: bool) -> html.Div:
    """The proposal to tick and confirm (commanders), and the missed check-ins (all)."""
    body = [
        html.Div([
            html.Button(t("events.propose", lang), id=ids.EVENT_PROPOSE, className="gc-button"),
            dcc.Checklist(id=ids.EVENT_REST, value=[], className="gc-event-rest",
                          options=[{"label": t("events.include_rest", lang), "value": "rest"}]),
            html.Button(t("events.confirm", lang), id=ids.EVENT_CONFIRM,
                        className="gc-button gc-confirm"),
        ], className="gc-toolbar"),
        html.Div(t("events.propose_hint", lang), id=ids.EVENT_PROPOSAL_SUMMARY),
        html.Div(id=ids.EVENT_MOBILISE_RESULT, className="gc-result"),
        _table(ids.EVENT_PROPOSAL, lang, selectable=True, height="16em"),
    ]  # fmt: skip
    return html.Div([
        html.H2(t("events.mobilise", lang)) if can else None,
        html.Div(body, hidden=not can),
        html.H2(t("events.checkins", lang), className="gc-event-sub"),
        html.Div(id=ids.EVENT_OVERDUE),
    ], className="gc-review-card")  # fmt: skip


def report_panel(lang: str) -> html.Div:
    """The after-action review: the replay's slider and the report's key figures."""
    return html.Div([
        html.H2(t("report.title", lang)),
        html.Div([
            dcc.Checklist(id=ids.EVENT_REPLAY_ON, value=[], className="gc-event-rest",
                          options=[{"label": t("report.replay", lang), "value": "on"}]),
            html.Span(t("report.replay_hint", lang), id=ids.EVENT_REPLAY_TIME,
                      className="gc-muted"),
        ], className="gc-toolbar"),
        dcc.Slider(id=ids.EVENT_REPLAY, min=0, max=1, step=1, value=1, marks=None,
                   updatemode="mouseup", className="gc-event-slider"),
        html.Div(id=ids.EVENT_REPORT),
    ], className="gc-review-card")  # fmt: skip


def layout(lang: str, store) -> html.Div:
    """The map with the event picker on the left; declaring, tasks and mobilising on the right."""
    principal = current_principal()
    can = principal.can(EVENTS)
    options = event_options(store, lang)
    first = options[0]["value"] if options else None
    return html.Div([
        dcc.Store(id=ids.EVENT_PICKED, data=[]),
        dcc.Store(id=ids.EVENT_UPLOADED),
        dcc.Store(id=ids.TASK_PLACE),
        dcc.Store(id=ids.EVENT_CHANGED, data=0),
        dcc.Store(id=ids.EVENT_REPLAY_START),
        dcc.Interval(id=ids.EVENT_REFRESH, interval=REFRESH_MS),
        html.Div([
            html.Div([
                html.Div([
                    dcc.Dropdown(id=ids.EVENT_PICK, options=options, value=first,
                                 placeholder=t("events.none", lang), clearable=True,
                                 className="gc-event-pick"),
                    html.Div(id=ids.EVENT_BANNER, className="gc-event-banner"),
                    html.Div([
                        dcc.ConfirmDialogProvider(
                            html.Button(t("events.end", lang), className="gc-button gc-end"),
                            id=ids.EVENT_END, message=t("events.end_confirm", lang),
                        ),
                        html.Span(id=ids.EVENT_END_RESULT),
                    ], className="gc-event-end") if can else html.Div(id=ids.EVENT_END_RESULT),
                ], className="gc-event-head"),
                dcc.Graph(id=ids.EVENT_MAP, config=GRAPH_CONFIG, className="gc-event-map",
                          style={"height": "100%", "width": "100%"}),
            ], className="gc-review-card gc-event-left"),
            html.Div([
                declare_panel(lang, can),
                task_panel(lang, can),
                mobilise_panel(lang, can),
                report_panel(lang),
            ], className="gc-event-side"),
        ], className="gc-event-main"),
    ], className="gc-review gc-events", id=ids.EVENTS_SCREEN)  # fmt: skip


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
        raise InvalidInput("the file is not a GeoJSON text file",
                           zh="文件不是 GeoJSON 文本文件") from None  # fmt: skip


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
            return empty, None, [], [], None, None
        event = store.event(int(event_id))
        shown = shown_event(event, event_service.city(store).towns)
        board = event_service.board(store, int(event_id), now=_now(), lang=lang)
        targets = [
            _field(f"{MEASURES[code].label(lang)}（{MEASURES[code].unit(lang)}）",
                   dcc.Input(id={"type": ids.TASK_TARGET, "measure": code}, type="number",
                             min=0, className="gc-event-input gc-event-short"))
            for code in measures_of(event["kind"])
        ]  # fmt: skip
        return (banner(shown, lang), figures(board, lang), task_rows(board, lang),
                task_columns(event["kind"], lang), overdue_list(board, lang), targets)  # fmt: skip

    @app.callback(
        Output(ids.EVENT_MAP, "figure"),
        Input(ids.EVENT_PICK, "value"),
        Input(ids.EVENT_PICKED, "data"),
        Input(ids.EVENT_PROPOSAL, "selectedRows"),
        Input(ids.EVENT_CHANGED, "data"),
        Input(ids.EVENT_REFRESH, "n_intervals"),
        Input(ids.EVENT_REPLAY_ON, "value"),
        Input(ids.EVENT_REPLAY, "value"),
        State(ids.EVENT_REPLAY_START, "data"),
        State(ids.LANG, "data"),
    )
    def draw_map(event_id, picked, proposal, _changed, _tick, replay_on, second, start, lang):
        here, lang = event_service.city(store), lang or "zh"
        replay = None
        if event_id and "on" in (replay_on or []) and start:
            at = dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second or 0)
            replay = event_report.replay_frame(store, int(event_id), at, lang)
        return desk_figure(store, here.grids, event_id=int(event_id) if event_id else None,
                           picked=set(picked or []), proposal=proposal or [], lang=lang,
                           version=store.geometry_version(), now=_now(), replay=replay)  # fmt: skip

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
        return (report_summary(report, int(event_id), lang), length, step, marks, length,
                frame["start"])  # fmt: skip

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
        Input(ids.EVENT_MAP, "selectedData"),
        Input(ids.EVENT_UPLOAD, "contents"),
        State(ids.EVENT_UPLOAD, "filename"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def pick_area(selected, contents, filename, lang):
        lang = lang or "zh"
        if ctx.triggered_id == ids.EVENT_UPLOAD:
            try:
                text = uploaded_area(contents)
            except GridCommandError as error:
                return [], None, _error(error, lang)
            return [], text, t("events.area_file", lang).format(name=filename or "")
        codes = sorted({p["customdata"] for p in (selected or {}).get("points", [])
                        if isinstance(p.get("customdata"), str)})  # fmt: skip
        note = (t("events.area_grids", lang).format(n=len(codes)) if codes
                else t("events.area_hint", lang))  # fmt: skip
        return codes, None, note

    @app.callback(
        Output(ids.TASK_PLACE, "data"),
        Output(ids.TASK_PLACE_NOTE, "children"),
        Input(ids.EVENT_MAP, "clickData"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def place_task(click, lang):
        point = ((click or {}).get("points") or [{}])[0]
        lon, lat = point.get("lon"), point.get("lat")
        if lon is None and point.get("location"):  # a grid polygon: its centre
            grids = event_service.city(store).grids
            row = grids[grids["code"] == point["location"]]
            lon, lat = (float(row["lon"].iloc[0]), float(row["lat"].iloc[0])) if len(row) else (
                None, None)  # fmt: skip
        if lon is None:
            return no_update, no_update
        return {"lon": lon, "lat": lat}, t("events.task_place", lang or "zh").format(
            lon=lon, lat=lat)  # fmt: skip

    @app.callback(
        Output(ids.EVENT_RESULT, "children"),
        Output(ids.EVENT_PICK, "options"),
        Output(ids.EVENT_PICK, "value"),
        Output(ids.EVENT_PICKED, "data", allow_duplicate=True),
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
            return no_update, no_update, no_update, no_update
        fields = {"name": name, "kind": kind, "severity": severity, "checkin_minutes": checkin,
                  "grids": picked or None, "area": uploaded or None}  # fmt: skip
        here = event_service.city(store)
        try:
            event = declaration(fields, city_outline=here.outline, grids=here.grids, now=_now())
            new_id = store.declare_event(event, actor=current_principal().actor)
        except GridCommandError as error:
            return _error(error, lang), no_update, no_update, no_update
        done = t("events.declared", lang).format(name=event.name, n=len(event.grid_codes))
        return _ok(done), event_options(store, lang), new_id, []

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
        targets = {i["measure"]: v for i, v in zip(target_ids, values, strict=True)
                   if v not in (None, "")}  # fmt: skip
        fields = {"title": title, "headcount": headcount if headcount is not None else 1,
                  "targets": targets, **(place or {})}  # fmt: skip
        try:
            task = event_service.add_task(store, int(event_id), fields,
                                          actor=current_principal().actor)  # fmt: skip
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
            return (html.Span(t("events.tick_first", lang), className="gc-error"), no_update,
                    no_update, no_update)  # fmt: skip
        items = [{k: row[k] for k in ("incident", "cadre_id", "eta_s", "position_at")}
                 for row in ticked]  # fmt: skip
        try:
            sent = event_service.mobilise(store, int(event_id), items,
                                          actor=current_principal().actor)  # fmt: skip
        except GridCommandError as error:
            text = error.message(lang) + ("。" if lang == "zh" else ". ") + t("plan.again", lang)
            return html.Span(text, className="gc-error"), no_update, no_update, no_update
        return _ok(t("events.sent", lang).format(n=len(sent))), [], [], (changed or 0) + 1
