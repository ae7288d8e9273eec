"""The wartime desk's layout: the map with the event picker, and the panels
to declare, add tasks, mobilise and review. The forms are in every caller's
page, hidden from those who may not act (their callbacks need the
components; the server refuses their writes anyway)."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import ids
from dashboard.console_view import grid_words
from dashboard.events_map import desk_map
from dashboard.events_view import (
    NO_EVENT_KIND,
    event_options,
    kind_options,
    proposal_columns,
    severity_options,
    task_columns,
)
from dashboard.i18n import t
from domain.access import EVENTS
from domain.checkins import DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES
from domain.event_tasks import MEASURES, measures_of
from web.guard import current_principal

REFRESH_MS = 15_000
MAX_UPLOAD_BYTES = 5_000_000


def field(label: str, control) -> html.Label:
    return html.Label([label, control], className="gc-event-field")


def target_fields(kind: str, lang: str) -> list[html.Label]:
    """A box for each figure a task of an event of ``kind`` may aim at, with its unit."""
    return [
        field(
            f"{MEASURES[code].label(lang)}（{MEASURES[code].unit(lang)}）",
            dcc.Input(
                id={"type": ids.TASK_TARGET, "measure": code},
                type="number",
                min=0,
                className="gc-event-input gc-event-short",
            ),
        )
        for code in measures_of(kind)
    ]


def _table(grid_id: str, lang: str, *, selectable: bool, height: str, columns: list) -> html.Div:
    """A grid, with its columns from the start (a grid with none has a header
    row with no cells, which assistive technology reads as broken)."""
    selection = (
        {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": True,
            "enableClickSelection": False,
        }
        if selectable
        else {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    )
    return html.Div(
        dag.AgGrid(
            id=grid_id,
            columnDefs=columns,
            rowData=[],
            getRowId="params.data.row_id",
            defaultColDef={"sortable": True, "resizable": True},
            dashGridOptions={
                "rowSelection": selection,
                "animateRows": False,
                "localeText": grid_words(lang),
            },
            className="ag-theme-alpine gc-review-table",
            style={"height": height},
        )
    )


def declare_panel(lang: str, can: bool) -> html.Div:
    """Name, kind, level, check-in interval and the area: picked grids or a file.

    The forms of this page are in every caller's page, hidden from those who
    may not act: the callbacks need their components, and the server refuses
    their writes anyway (``dashboard.access_rules``)."""
    return html.Div(
        [
            html.H2(t("events.declare", lang)),
            html.Div(
                [
                    field(
                        t("events.name", lang),
                        dcc.Input(
                            id=ids.EVENT_NAME,
                            type="text",
                            maxLength=120,
                            className="gc-event-input",
                        ),
                    ),
                    field(
                        t("events.kind", lang),
                        dcc.Dropdown(
                            id=ids.EVENT_KIND,
                            value="flood",
                            options=kind_options(lang),
                            clearable=False,
                        ),
                    ),
                    field(
                        t("events.level", lang),
                        dcc.Dropdown(
                            id=ids.EVENT_SEVERITY,
                            value=3,
                            options=severity_options(lang),
                            clearable=False,
                        ),
                    ),
                    field(
                        t("events.checkin", lang),
                        dcc.Input(
                            id=ids.EVENT_CHECKIN,
                            type="number",
                            value=DEFAULT_MINUTES,
                            min=MIN_MINUTES,
                            max=MAX_MINUTES,
                            step=1,
                            className="gc-event-input gc-event-short",
                        ),
                    ),
                ],
                className="gc-event-form",
            ),
            html.Div(
                [
                    html.Span(t("events.area_hint", lang), id=ids.EVENT_AREA_NOTE),
                    dcc.Upload(
                        html.A(t("events.upload", lang), className="gc-link"),
                        id=ids.EVENT_UPLOAD,
                        accept=".geojson,.json,application/geo+json",
                        max_size=MAX_UPLOAD_BYTES,
                        className="gc-event-upload",
                    ),
                ],
                className="gc-event-area",
            ),
            html.Button(
                t("events.declare_button", lang),
                id=ids.EVENT_DECLARE,
                className="gc-button gc-declare",
            ),
            html.Div(id=ids.EVENT_RESULT, className="gc-result"),
        ],
        className="gc-review-card",
        hidden=not can,
    )


def task_panel(lang: str, can: bool) -> html.Div:
    """The event's figures and tasks; a commander adds tasks at a place clicked on the map."""
    form = html.Div(
        [
            field(
                t("events.task_title", lang),
                dcc.Input(
                    id=ids.TASK_TITLE, type="text", maxLength=200, className="gc-event-input"
                ),
            ),
            field(
                t("events.task_hands", lang),
                dcc.Input(
                    id=ids.TASK_HEADCOUNT,
                    type="number",
                    value=10,
                    min=1,
                    max=500,
                    step=1,
                    className="gc-event-input gc-event-short",
                ),
            ),
            html.Div(id=ids.TASK_TARGETS, className="gc-event-targets"),
            html.Span(
                t("events.task_place_hint", lang), id=ids.TASK_PLACE_NOTE, className="gc-muted"
            ),
            html.Button(t("events.task_add", lang), id=ids.TASK_ADD, className="gc-button"),
            html.Div(id=ids.TASK_RESULT, className="gc-result"),
        ],
        className="gc-event-form",
        hidden=not can,
    )
    return html.Div(
        [
            html.H2(t("events.tasks", lang)),
            html.Div(id=ids.EVENT_FIGURES, className="gc-event-figures"),
            _table(
                ids.EVENT_TASKS,
                lang,
                selectable=False,
                height="16em",
                columns=task_columns(NO_EVENT_KIND, lang),
            ),
            form,
        ],
        className="gc-review-card",
    )


def mobilise_panel(lang: str, can: bool) -> html.Div:
    """The proposal to tick and confirm (commanders), and the missed check-ins (all)."""
    body = [
        html.Div(
            [
                html.Button(t("events.propose", lang), id=ids.EVENT_PROPOSE, className="gc-button"),
                dcc.Checklist(
                    id=ids.EVENT_REST,
                    value=[],
                    className="gc-event-rest",
                    options=[{"label": t("events.include_rest", lang), "value": "rest"}],
                ),
                html.Button(
                    t("events.confirm", lang),
                    id=ids.EVENT_CONFIRM,
                    className="gc-button gc-confirm",
                ),
            ],
            className="gc-toolbar",
        ),
        html.Div(t("events.propose_hint", lang), id=ids.EVENT_PROPOSAL_SUMMARY),
        html.Div(id=ids.EVENT_MOBILISE_RESULT, className="gc-result"),
        _table(
            ids.EVENT_PROPOSAL, lang, selectable=True, height="16em", columns=proposal_columns(lang)
        ),
    ]
    return html.Div(
        [
            html.H2(t("events.mobilise", lang)) if can else None,
            html.Div(body, hidden=not can),
            html.H2(t("events.checkins", lang), className="gc-event-sub"),
            html.Div(id=ids.EVENT_OVERDUE),
        ],
        className="gc-review-card",
    )


def report_panel(lang: str) -> html.Div:
    """The after-action review: the replay's slider and the report's key figures."""
    return html.Div(
        [
            html.H2(t("report.title", lang)),
            html.Div(
                [
                    dcc.Checklist(
                        id=ids.EVENT_REPLAY_ON,
                        value=[],
                        className="gc-event-rest",
                        options=[{"label": t("report.replay", lang), "value": "on"}],
                    ),
                    html.Span(
                        t("report.replay_hint", lang),
                        id=ids.EVENT_REPLAY_TIME,
                        className="gc-muted",
                    ),
                ],
                className="gc-toolbar",
            ),
            # No box to type seconds into: the time under the handle is shown above.
            # A named group: its name is the slider thumb's (dashboard/assets/gc_a11y.js).
            html.Div(
                dcc.Slider(
                    id=ids.EVENT_REPLAY,
                    min=0,
                    max=1,
                    step=1,
                    value=1,
                    marks=None,
                    updatemode="mouseup",
                    allow_direct_input=False,
                    className="gc-event-slider",
                ),
                role="group",
                **{"aria-label": t("report.replay_name", lang)},
            ),
            html.Div(id=ids.EVENT_REPORT),
        ],
        className="gc-review-card",
    )


def layout(lang: str, store, sources: dict) -> html.Div:
    """The map with the event picker on the left; declaring, tasks and mobilising on the right.

    ``sources``: the grids' and towns' GeoJSON URLs (versioned) and the
    optional tile URL (``command_map.map_sources``)."""
    principal = current_principal()
    can = principal.can(EVENTS)
    options = event_options(store, lang)
    first = options[0]["value"] if options else None
    return html.Div(
        [
            dcc.Store(id=ids.EVENT_PICKED, data=[]),
            dcc.Store(id=ids.EVENT_MAP_SHOWN),
            dcc.Store(id=ids.EVENT_UPLOADED),
            dcc.Store(id=ids.TASK_PLACE),
            dcc.Store(id=ids.EVENT_CHANGED, data=0),
            dcc.Store(id=ids.EVENT_REPLAY_START),
            dcc.Interval(id=ids.EVENT_REFRESH, interval=REFRESH_MS),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    dcc.Dropdown(
                                        id=ids.EVENT_PICK,
                                        options=options,
                                        value=first,
                                        placeholder=t("events.none", lang),
                                        clearable=True,
                                        className="gc-event-pick",
                                    ),
                                    html.Div(id=ids.EVENT_BANNER, className="gc-event-banner"),
                                    html.Div(
                                        [
                                            dcc.ConfirmDialogProvider(
                                                html.Button(
                                                    t("events.end", lang),
                                                    className="gc-button gc-end",
                                                ),
                                                id=ids.EVENT_END,
                                                message=t("events.end_confirm", lang),
                                            ),
                                            html.Span(id=ids.EVENT_END_RESULT),
                                        ],
                                        className="gc-event-end",
                                    )
                                    if can
                                    else html.Div(id=ids.EVENT_END_RESULT),
                                ],
                                className="gc-event-head",
                            ),
                            html.Div(desk_map(sources, can), className="gc-event-map"),
                        ],
                        className="gc-review-card gc-event-left",
                    ),
                    html.Div(
                        [
                            declare_panel(lang, can),
                            task_panel(lang, can),
                            mobilise_panel(lang, can),
                            report_panel(lang),
                        ],
                        className="gc-event-side",
                    ),
                ],
                className="gc-event-main",
            ),
        ],
        className="gc-review gc-events",
        id=ids.EVENTS_SCREEN,
    )
