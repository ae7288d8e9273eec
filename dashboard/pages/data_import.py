"""A city's own data at /data (administrators): upload a boundary file, a
roster or a pairing table; choose its columns with a preview; see the checks
on a map and as a list, and what importing would change; import with a
progress bar; undo from the log; export any layer back to a file.

The steps run on whichever worker answers: the upload is kept in a job
folder (``data.import_jobs``) and the import runs in a thread that writes its
progress there (``services.import_runs``).
"""

from __future__ import annotations

import base64
import contextlib
import tempfile
from pathlib import Path

import dash_ag_grid as dag
import dash_leaflet as dl
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.i18n import t
from dashboard.import_view import (
    KIND_NAMES,
    PROBLEM_NAMES,
    can_import,
    chosen_mapping,
    counts_text,
    crs_options,
    field_pickers,
    gcj02_choice,
    history_rows,
    kind_options,
    name_of,
    problem_rows,
    problem_text,
    progress_view,
    summary,
)
from dashboard.leaflet_parts import FIT, canvas_map, empty, js, towns_layer
from domain.errors import GridCommandError
from layers.dispatch_lines import fit_bounds
from layers.import_map import import_map_layers
from layers.review_map import PAPER
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
MAP_LAYERS = {name: f"import-map-{name}" for name in ("towns", "shapes", "problems")}
# The towns as land on paper, their borders grey.
TOWNS = {"color": "#64748b", "weight": 1.2, "fill": "#ffffff"}
DEFAULT_SOURCES = {"towns": "/api/v1/towns.geojson"}
EXPORT_FORMATS = {
    "geojson": ".geojson",
    "gpkg": ".gpkg",
    "shp": ".zip",
    "xlsx": ".xlsx",
    "csv": ".csv",
}


def _grid(grid_id: str, columns: list[tuple[str, str]], lang: str, *, select: bool = False):
    options = {"localeText": grid_words(lang)}
    if select:
        options["rowSelection"] = {
            "mode": "singleRow",
            "checkboxes": False,
            "enableClickSelection": True,
        }
    return html.Div(
        dag.AgGrid(
            id=grid_id,
            rowData=[],
            style={"height": "100%"},
            dashGridOptions=options,
            columnDefs=[
                {
                    "field": f,
                    "headerName": name,
                    "flex": 3 if f in ("message", "counts") else 1,
                    "tooltipField": f,
                }
                for f, name in columns
            ],
            getRowId="params.data.row_id" if select else None,
        ),
        className="gc-grid gc-data-grid",
        **{"data-ag-theme-mode": "dark-blue"},
    )


def file_map(sources: dict) -> dl.MapContainer:
    """The file's shapes and problems over the city's towns, on paper colours."""
    layers = [
        towns_layer(MAP_LAYERS["towns"], sources["towns"], TOWNS),
        dl.GeoJSON(
            id=MAP_LAYERS["shapes"], data=empty(), style=js("lineStyle"), onEachFeature=js("each")
        ),
        dl.GeoJSON(
            id=MAP_LAYERS["problems"],
            data=empty(),
            style=js("fillStyle"),
            onEachFeature=js("areaEach"),
        ),
    ]
    return canvas_map(ids.IMPORT_MAP, layers, fit_bounds([]), sources, background=PAPER)


def layout(lang: str, sources: dict | None = None) -> html.Div:
    """Steps on the left, the map and the problems on the right.

    ``sources``: the towns' GeoJSON URL (versioned) and the optional tile URL
    (``command_map.map_sources``)."""
    return html.Div(
        [
            dcc.Store(id=ids.IMPORT_JOB),
            dcc.Store(id=ids.IMPORT_LOG_CHANGED, data=0),
            dcc.Interval(id=ids.IMPORT_POLL, interval=500, disabled=True),
            dcc.Download(id=ids.IMPORT_DOWNLOAD),
            html.Div(
                [
                    html.H2(t("data.title", lang)),
                    html.Div(
                        [
                            html.H3(t("data.step_file", lang)),
                            dcc.Dropdown(
                                id=ids.IMPORT_KIND,
                                options=kind_options(lang),
                                value="grids",
                                clearable=False,
                                className="gc-dropdown",
                            ),
                            dcc.Upload(
                                html.Div(t("data.drop", lang)),
                                id=ids.IMPORT_UPLOAD,
                                className="gc-upload",
                                multiple=False,
                            ),
                            html.Div(id=ids.IMPORT_FILE_NAME, className="gc-data-file"),
                            html.Div(
                                [
                                    dcc.Dropdown(
                                        id=ids.IMPORT_CRS,
                                        options=[],
                                        placeholder=t("data.crs", lang),
                                        className="gc-dropdown gc-crs",
                                    ),
                                    dcc.Checklist(
                                        id=ids.IMPORT_GCJ02,
                                        value=[],
                                        className="gc-toggles",
                                        options=[
                                            {"label": t("data.gcj02", lang), "value": "gcj02"},
                                            {
                                                "label": t("data.not_gcj02", lang),
                                                "value": "not_gcj02",
                                            },
                                        ],
                                    ),
                                    dcc.Input(
                                        id=ids.IMPORT_LAYER,
                                        placeholder=t("data.layer", lang),
                                        className="gc-input",
                                        debounce=True,
                                        maxLength=80,
                                    ),
                                ],
                                className="gc-admin-form",
                            ),
                        ],
                        className="gc-data-step",
                    ),
                    html.Div(
                        [
                            html.H3(t("data.step_columns", lang)),
                            html.Div(id=ids.IMPORT_FIELDS, className="gc-fields"),
                            _grid(ids.IMPORT_PREVIEW, [("_", t("data.preview", lang))], lang),
                        ],
                        className="gc-data-step",
                    ),
                    html.Div(
                        [
                            html.H3(t("data.step_check", lang)),
                            dcc.Loading(
                                html.Div(id=ids.IMPORT_SUMMARY, className="gc-data-summary"),
                                type="dot",
                                color="#38bdf8",
                            ),
                            dcc.Checklist(
                                id=ids.IMPORT_ACCEPT_REPAIRS,
                                value=[],
                                className="gc-toggles",
                                options=[{"label": t("data.accept_repairs", lang), "value": "yes"}],
                            ),
                            html.Div(
                                [
                                    html.Button(
                                        t("data.import", lang),
                                        id=ids.IMPORT_APPLY,
                                        disabled=True,
                                        className="gc-button gc-button-primary",
                                    ),
                                    html.Button(
                                        t("data.cancel", lang),
                                        id=ids.IMPORT_CANCEL,
                                        className="gc-button",
                                    ),
                                ],
                                className="gc-admin-form",
                            ),
                            html.Div(id=ids.IMPORT_PROGRESS, className="gc-data-progress"),
                        ],
                        className="gc-data-step",
                    ),
                    html.Div(
                        [
                            html.H3(t("data.log", lang)),
                            _grid(
                                ids.IMPORT_LOG,
                                [
                                    ("id", "#"),
                                    ("at", t("data.at", lang)),
                                    ("kind", t("data.kind", lang)),
                                    ("source", t("data.file", lang)),
                                    ("counts", t("data.changes", lang)),
                                    ("state", ""),
                                ],
                                lang,
                                select=True,
                            ),
                            html.Div(
                                [
                                    html.Button(
                                        t("data.undo", lang),
                                        id=ids.IMPORT_UNDO,
                                        className="gc-button",
                                    ),
                                    html.Span(id=ids.IMPORT_UNDO_RESULT),
                                ],
                                className="gc-admin-form",
                            ),
                            html.Div(
                                [
                                    dcc.Dropdown(
                                        id=ids.IMPORT_EXPORT_KIND,
                                        options=kind_options(lang),
                                        value="grids",
                                        clearable=False,
                                        className="gc-dropdown",
                                    ),
                                    dcc.Dropdown(
                                        id=ids.IMPORT_EXPORT_FORMAT,
                                        clearable=False,
                                        value="gpkg",
                                        options=[
                                            {
                                                "label": k.upper()
                                                if k != "shp"
                                                else "Shapefile (.zip)",
                                                "value": k,
                                            }
                                            for k in EXPORT_FORMATS
                                        ],
                                        className="gc-dropdown",
                                    ),
                                    html.Button(
                                        t("data.export", lang),
                                        id=ids.IMPORT_EXPORT,
                                        className="gc-button",
                                    ),
                                    html.Span(id=ids.IMPORT_EXPORT_RESULT),
                                ],
                                className="gc-admin-form",
                            ),
                        ],
                        className="gc-data-step",
                    ),
                ],
                className="gc-panel gc-data-steps",
            ),
            html.Div(
                [
                    html.Div(file_map(sources or DEFAULT_SOURCES), className="gc-data-map"),
                    _grid(
                        ids.IMPORT_PROBLEMS,
                        [
                            ("kind", t("data.problem", lang)),
                            ("where", t("data.where", lang)),
                            ("area", t("data.area", lang)),
                            ("message", t("data.message", lang)),
                            ("blocking", ""),
                        ],
                        lang,
                    ),
                ],
                className="gc-panel gc-data-right",
            ),
        ],
        className="gc-data",
    )


def _error(error: GridCommandError, lang: str) -> html.Span:
    return html.Span(error.message(lang), className="gc-error")


def _columns(names: list[str]) -> list[dict]:
    return [{"field": n, "headerName": n, "minWidth": 90, "flex": 1} for n in names]


def register(app, context) -> None:
    store = context.store

    @app.callback(
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
    def receive(contents, kind, layer, filename, job, lang):
        """Keep the uploaded file, and show its columns and first rows."""
        lang = lang or "zh"
        try:
            if contents:
                if job:
                    import_runs.remove_job(job)
                job = import_runs.new_job(filename, base64.b64decode(contents.split(",", 1)[1]))
            if not job:
                return no_update, [], [], [], [], "", None
            path = import_runs.job_file(job)
            seen = peek(kind, path, layer=layer or None)
        except GridCommandError as error:
            return None, [], [], [], [], _error(error, lang), None
        common = [{"label": c, "value": c} for c in COMMON_CRS]
        name = t("data.file_rows", lang).format(
            name=path.name, n=seen.count, kind=name_of(KIND_NAMES, kind, lang)
        )
        return (
            job,
            field_pickers(kind, seen.columns, seen.mapping, lang),
            seen.rows,
            _columns(seen.columns),
            crs_options(seen, lang) + common,
            name,
            None,
        )

    @app.callback(
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
    def check(job, values, crs, gcj02, pickers, kind, layer, lang):
        """Check the file with the columns chosen; show what importing would do."""
        lang = lang or "zh"
        unchanged = [no_update] * 4
        if not job:
            return [], [], *unchanged, True
        try:
            choices = Choices(
                kind,
                chosen_mapping(values, pickers),
                crs or None,
                gcj02_choice(gcj02),
                layer or None,
            )
            found, preview = check_job(store, job, choices)
        except GridCommandError as error:
            return [_error(error, lang)], [], *unchanged, True
        drawn = unchanged
        if getattr(found, "result", None) is not None:
            shown = import_map_layers(
                found.result.features,
                found.result.problems,
                names={k: name_of(PROBLEM_NAMES, k, lang) for k in PROBLEM_NAMES},
                texts=[problem_text(p, lang, found.kind) for p in found.result.problems],
            )
            drawn = [
                shown["shapes"],
                shown["problems"],
                f"/api/v1/towns.geojson?v={store.geometry_version()}",
                {"bounds": shown["bounds"], "options": FIT},
            ]
        return (
            summary(found, preview, lang),
            problem_rows(found, lang),
            *drawn,
            not can_import(found, preview),
        )

    @app.callback(
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
    def apply(_n, job, values, pickers, kind, crs, gcj02, layer, repairs, lang):
        """Start the import; the poll shows its progress."""
        lang = lang or "zh"
        try:
            choices = Choices(
                kind,
                chosen_mapping(values, pickers),
                crs or None,
                gcj02_choice(gcj02),
                layer or None,
                accept_repairs=bool(repairs),
            )
            start_import(store, job, choices, actor=current_principal().actor)
        except GridCommandError as error:
            return [_error(error, lang)], True
        return progress_view({"state": "running", "stage": "check"}, lang), False

    @app.callback(
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
    def poll(_n, job, changed, lang):
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

    @app.callback(
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
    def cancel(_n, job, lang):
        """Forget the upload; nothing was written."""
        if job:
            with contextlib.suppress(GridCommandError):
                import_runs.remove_job(job)
        return None, [], [], "", t("data.cancelled", lang or "zh")

    @app.callback(
        Output(ids.IMPORT_LOG, "rowData"),
        Output(ids.IMPORT_UNDO_RESULT, "children"),
        Input(ids.IMPORT_LOG_CHANGED, "data"),
        Input(ids.IMPORT_UNDO, "n_clicks"),
        State(ids.IMPORT_LOG, "selectedRows"),
        State(ids.LANG, "data"),
    )
    def log(_changed, _undo, selected, lang):
        """The import log; undo the import picked in it."""
        lang, message = lang or "zh", ""
        if ctx.triggered_id == ids.IMPORT_UNDO:
            if not selected:
                message = html.Span(t("data.pick_import", lang), className="gc-error")
            else:
                try:
                    counts = store.undo_import(
                        int(selected[0]["id"]), actor=current_principal().actor
                    )
                    message = html.Span(
                        t("data.undid", lang).format(id=selected[0]["id"])
                        + counts_text(counts, lang),
                        className="gc-ok",
                    )
                except GridCommandError as error:
                    message = _error(error, lang)
        return history_rows(store.imports(), lang), message

    @app.callback(
        Output(ids.IMPORT_DOWNLOAD, "data"),
        Output(ids.IMPORT_EXPORT_RESULT, "children"),
        Input(ids.IMPORT_EXPORT, "n_clicks"),
        State(ids.IMPORT_EXPORT_KIND, "value"),
        State(ids.IMPORT_EXPORT_FORMAT, "value"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def export(_n, kind, fmt, lang):
        """Write the layer or table to a file and hand it to the browser."""
        lang = lang or "zh"
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{kind}{EXPORT_FORMATS.get(fmt, '.x')}"
                export_kind(store, kind, path)
                return dcc.send_bytes(path.read_bytes(), path.name), ""
        except GridCommandError as error:
            return no_update, _error(error, lang)
