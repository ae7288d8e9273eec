"""A city's own data at /data (administrators): upload a boundary file, a
roster or a pairing table; choose its columns with a preview; see the checks
on a map and as a list, and what importing would change; import with a
progress bar; undo from the log; export any layer back to a file.

The steps run on whichever worker answers: the upload is kept in a job
folder (``data.import_jobs``) and the import runs in a thread that writes its
progress there (``services.import_runs``). Callbacks are thin: each reads its
inputs, calls the service, and shows what it gives (``dashboard.import_view``,
``import_map``); the layout is in ``dashboard.import_layout``.
"""

from __future__ import annotations

import base64
import contextlib
import tempfile
from pathlib import Path

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.i18n import t
from dashboard.import_layout import EXPORT_FORMATS, layout  # noqa: F401  (the router calls layout)
from dashboard.import_map import MAP_LAYERS, checked_map
from dashboard.import_view import (
    KIND_NAMES,
    can_import,
    chosen_mapping,
    counts_text,
    crs_options,
    field_pickers,
    gcj02_choice,
    history_rows,
    name_of,
    problem_rows,
    progress_view,
    summary,
)
from dashboard.wiring import Callbacks
from domain.errors import GridCommandError
from services import import_runs
from services.exports import export_kind
from services.import_runs import Choices, check_job, start_import
from services.imports import peek
from web.guard import current_principal

# CRSs a Chinese surveying bureau delivers in, offered beside the guesses.
COMMON_CRS = (
    "EPSG:4326",
    "EPSG:4490",
    "EPSG:4549",
    "EPSG:4528",
    "EPSG:4548",
    "EPSG:32650",
    "EPSG:32651",
    "EPSG:3857",
)

callbacks = Callbacks()


def register(app, context) -> None:
    """Attach the page's callbacks to ``app``; ``context`` holds the store."""
    callbacks.register(app, context)


def _error(error: GridCommandError, lang: str) -> html.Span:
    return html.Span(error.message(lang), className="gc-error")


def _columns(names: list[str]) -> list[dict]:
    return [{"field": n, "headerName": n, "minWidth": 90, "flex": 1} for n in names]


def kept_upload(contents: str | None, filename: str | None, job: str | None) -> str | None:
    """The job that keeps a new upload (the previous job removed), or ``job`` as it was."""
    if not contents:
        return job
    if job:
        import_runs.remove_job(job)
    return import_runs.new_job(filename, base64.b64decode(contents.split(",", 1)[1]))


def import_choices(kind, values, pickers, crs, gcj02, layer, *, accept_repairs=False) -> Choices:
    """What was chosen on the page (the kind, a column for each field, the
    CRS, GCJ-02 or not, the layer), as the check and the import take it."""
    mapping = chosen_mapping(values, pickers)
    return Choices(
        kind,
        mapping,
        crs or None,
        gcj02_choice(gcj02),
        layer or None,
        accept_repairs=accept_repairs,
    )


def undone(store, selected: list | None, lang: str) -> html.Span:
    """Undo the import picked in the log: what was undone, or why not."""
    if not selected:
        return html.Span(t("data.pick_import", lang), className="gc-error")
    try:
        counts = store.undo_import(int(selected[0]["id"]), actor=current_principal().actor)
        text = t("data.undid", lang).format(id=selected[0]["id"]) + counts_text(counts, lang)
    except GridCommandError as error:
        return _error(error, lang)
    return html.Span(text, className="gc-ok")


@callbacks(
    Output(ids.IMPORT_JOB, "data"),
    Output(ids.IMPORT_FIELDS, "children"),
    Output(ids.IMPORT_PREVIEW, "rowData"),
    Output(ids.IMPORT_PREVIEW, "columnDefs"),
    Output(ids.IMPORT_CRS, "options"),
    Output(ids.IMPORT_FILE_NAME, "children"),
    Output(ids.IMPORT_UPLOAD, "contents"),
    Input(ids.IMPORT_UPLOAD, "contents"),
    Input(ids.IMPORT_KIND, "value"),
    Input(ids.IMPORT_LAYER, "value"),
    State(ids.IMPORT_UPLOAD, "filename"),
    State(ids.IMPORT_JOB, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def receive(_context, contents, kind, layer, filename, job, lang):
    """Keep the uploaded file, and show its columns and first rows."""
    lang = lang or "zh"
    try:
        job = kept_upload(contents, filename, job)
        if not job:
            return no_update, [], [], [], [], "", None
        path = import_runs.job_file(job)
        seen = peek(kind, path, layer=layer or None)
    except GridCommandError as error:
        return None, [], [], [], [], _error(error, lang), None
    crs = crs_options(seen, lang) + [{"label": c, "value": c} for c in COMMON_CRS]
    kind_name = name_of(KIND_NAMES, kind, lang)
    name = t("data.file_rows", lang).format(name=path.name, n=seen.count, kind=kind_name)
    fields = field_pickers(kind, seen.columns, seen.mapping, lang)
    return job, fields, seen.rows, _columns(seen.columns), crs, name, None


@callbacks(
    Output(ids.IMPORT_SUMMARY, "children"),
    Output(ids.IMPORT_PROBLEMS, "rowData"),
    Output(MAP_LAYERS["shapes"], "data"),
    Output(MAP_LAYERS["problems"], "data"),
    Output(MAP_LAYERS["towns"], "url"),
    Output(ids.IMPORT_MAP, "viewport"),
    Output(ids.IMPORT_APPLY, "disabled"),
    Input(ids.IMPORT_JOB, "data"),
    Input({"type": ids.IMPORT_FIELD, "field": ALL}, "value"),
    Input(ids.IMPORT_CRS, "value"),
    Input(ids.IMPORT_GCJ02, "value"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "id"),
    State(ids.IMPORT_KIND, "value"),
    State(ids.IMPORT_LAYER, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def check(context, job, values, crs, gcj02, pickers, kind, layer, lang):
    """Check the file with the columns chosen; show what importing would do."""
    lang, drawn = lang or "zh", [no_update] * 4
    if not job:
        return [], [], *drawn, True
    try:
        choices = import_choices(kind, values, pickers, crs, gcj02, layer)
        found, preview = check_job(context.store, job, choices)
    except GridCommandError as error:
        return [_error(error, lang)], [], *drawn, True
    if getattr(found, "result", None) is not None:  # a file of shapes: drawn on the map
        drawn = checked_map(found, lang, context.store.geometry_version())
    shown = summary(found, preview, lang), problem_rows(found, lang)
    return *shown, *drawn, not can_import(found, preview)


@callbacks(
    Output(ids.IMPORT_PROGRESS, "children"),
    Output(ids.IMPORT_POLL, "disabled"),
    Input(ids.IMPORT_APPLY, "n_clicks"),
    State(ids.IMPORT_JOB, "data"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "value"),
    State({"type": ids.IMPORT_FIELD, "field": ALL}, "id"),
    State(ids.IMPORT_KIND, "value"),
    State(ids.IMPORT_CRS, "value"),
    State(ids.IMPORT_GCJ02, "value"),
    State(ids.IMPORT_LAYER, "value"),
    State(ids.IMPORT_ACCEPT_REPAIRS, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def apply(context, _n, job, values, pickers, kind, crs, gcj02, layer, repairs, lang):
    """Start the import; the poll shows its progress."""
    lang = lang or "zh"
    try:
        choices = import_choices(
            kind, values, pickers, crs, gcj02, layer, accept_repairs=bool(repairs)
        )
        start_import(context.store, job, choices, actor=current_principal().actor)
    except GridCommandError as error:
        return [_error(error, lang)], True
    return progress_view({"state": "running", "stage": "check"}, lang), False


@callbacks(
    Output(ids.IMPORT_PROGRESS, "children", allow_duplicate=True),
    Output(ids.IMPORT_POLL, "disabled", allow_duplicate=True),
    Output(ids.IMPORT_LOG_CHANGED, "data"),
    Output(ids.IMPORT_APPLY, "disabled", allow_duplicate=True),
    Input(ids.IMPORT_POLL, "n_intervals"),
    State(ids.IMPORT_JOB, "data"),
    State(ids.IMPORT_LOG_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def poll(_context, _n, job, changed, lang):
    """The import's progress; the log is refreshed when it ends."""
    lang = lang or "zh"
    try:
        state = import_runs.read_state(job)
    except GridCommandError as error:
        return [_error(error, lang)], True, no_update, True
    finished = state.get("state") in ("done", "failed")
    return (
        progress_view(state, lang),
        finished,
        (changed or 0) + 1 if finished else no_update,
        True,
    )


@callbacks(
    Output(ids.IMPORT_JOB, "data", allow_duplicate=True),
    Output(ids.IMPORT_FIELDS, "children", allow_duplicate=True),
    Output(ids.IMPORT_PREVIEW, "rowData", allow_duplicate=True),
    Output(ids.IMPORT_FILE_NAME, "children", allow_duplicate=True),
    Output(ids.IMPORT_PROGRESS, "children", allow_duplicate=True),
    Input(ids.IMPORT_CANCEL, "n_clicks"),
    State(ids.IMPORT_JOB, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def cancel(_context, _n, job, lang):
    """Forget the upload; nothing was written."""
    if job:
        with contextlib.suppress(GridCommandError):
            import_runs.remove_job(job)
    return None, [], [], "", t("data.cancelled", lang or "zh")


@callbacks(
    Output(ids.IMPORT_LOG, "rowData"),
    Output(ids.IMPORT_UNDO_RESULT, "children"),
    Input(ids.IMPORT_LOG_CHANGED, "data"),
    Input(ids.IMPORT_UNDO, "n_clicks"),
    State(ids.IMPORT_LOG, "selectedRows"),
    State(ids.LANG, "data"),
)
def log(context, _changed, _undo, selected, lang):
    """The import log; undo the import picked in it."""
    lang = lang or "zh"
    message = undone(context.store, selected, lang) if ctx.triggered_id == ids.IMPORT_UNDO else ""
    return history_rows(context.store.imports(), lang), message


@callbacks(
    Output(ids.IMPORT_DOWNLOAD, "data"),
    Output(ids.IMPORT_EXPORT_RESULT, "children"),
    Input(ids.IMPORT_EXPORT, "n_clicks"),
    State(ids.IMPORT_EXPORT_KIND, "value"),
    State(ids.IMPORT_EXPORT_FORMAT, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def export(context, _n, kind, fmt, lang):
    """Write the layer or table to a file and hand it to the browser."""
    lang = lang or "zh"
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{kind}{EXPORT_FORMATS.get(fmt, '.x')}"
            export_kind(context.store, kind, path)
            return dcc.send_bytes(path.read_bytes(), path.name), ""
    except GridCommandError as error:
        return no_update, _error(error, lang)
