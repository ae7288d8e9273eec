"""The dispatch console's layout: the queue, the map, the plan for all open
work, the chosen incident and whom to send."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import field_invite_panel, ids, proactive_panel
from dashboard.console_map import DEFAULT_SOURCES, MAP_REVISION, dispatch_map
from dashboard.console_view import grid_words, plan_columns, queue_columns
from dashboard.i18n import t
from services.dispatch import MAX_TRAVEL_LIMIT_MIN
from web.guard import current_principal

QUEUE_REFRESH_MS = 15_000


def layout(lang: str, sources: dict | None = None) -> html.Div:
    """The console in ``lang``: queue, map and plan, the chosen incident and whom to send.

    ``sources`` holds the town and grid GeoJSON URLs (versioned) and the
    optional tile URL (``command_map.map_sources``)."""
    return html.Div(
        [
            dcc.Store(id=ids.MOVED, data=0),
            dcc.Store(id=ids.RECOMMENDED),
            dcc.Store(id=ids.PICKED_INCIDENT),
            dcc.Store(id=ids.CONSOLE_SCREEN),
            dcc.Store(id=MAP_REVISION),
            dcc.Interval(id=ids.QUEUE_REFRESH, interval=QUEUE_REFRESH_MS),
            html.Div(
                [queue_panel(lang), proactive_panel.panel(lang, sources or DEFAULT_SOURCES)],
                className="gc-left",
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
                            field_invite_panel.panel(lang, revoke=False),
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


def queue_panel(lang: str) -> html.Div:
    """The incidents: open work or the last week's, with their breach risk."""
    return html.Div(
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
            html.Div(id=ids.RISK_NOTE, className="gc-risk-note"),
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


def signed_in_as(lang: str) -> str:
    principal = current_principal()
    return f"{t('console.operator', lang)}：{principal.name}" if principal.signed_in else ""
