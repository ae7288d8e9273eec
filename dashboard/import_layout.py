"""The /data page's layout: the steps on the left (file, columns, check,
log and export), the map and the problems on the right."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.i18n import t
from dashboard.import_map import DEFAULT_SOURCES, file_map
from dashboard.import_view import kind_options

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
