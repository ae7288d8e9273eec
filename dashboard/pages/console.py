"""The dispatch console at /dispatch: the incident queue, one incident, its legal moves."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.console_view import incident_detail, move_details, queue_rows
from dashboard.i18n import t
from domain.categories import PRIORITIES, category_name
from domain.errors import GridCommandError
from domain.lifecycle import ACTIONS

QUEUE_REFRESH_MS = 15_000


def _columns(lang: str) -> list[dict]:
    zh = lang == "zh"
    col = lambda field, zh_name, en_name, **kw: {  # noqa: E731
        "field": field,
        "headerName": zh_name if zh else en_name,
        **kw,
    }
    return [
        col("public_id", "编号", "No.", width=150),
        col("category", "类别", "Category", width=130),
        col("priority_name", "优先级", "Priority", width=90,
            cellClassRules={"gc-urgent": "params.data.priority == 1"}),
        col("status", "状态", "Status", width=90),
        col("sla", "时限", "SLA", width=90,
            cellClassRules={"gc-breached": "params.data.sla_state == 'breached'",
                            "gc-near": "params.data.sla_state == 'near'"}),
        col("grid", "网格", "Grid", width=170),
        col("reported", "上报", "Reported", width=110, sort="desc"),
        col("due", "办结时限", "Due", width=110),
        col("description", "内容", "Description", flex=1, minWidth=200),
    ]  # fmt: skip


def layout(lang: str) -> html.Div:
    """The console in ``lang``: queue on the left, the chosen incident on the right."""
    return html.Div([
        dcc.Store(id=ids.MOVED, data=0),
        dcc.Interval(id=ids.QUEUE_REFRESH, interval=QUEUE_REFRESH_MS),
        html.Div([
            html.Div([
                html.H2(t("console.queue", lang)),
                dcc.RadioItems(
                    id=ids.QUEUE_SCOPE, value="open", inline=True, className="gc-scope",
                    options=[{"label": t("console.open", lang), "value": "open"},
                             {"label": t("console.week", lang), "value": "week"}],
                ),
                dcc.Input(id=ids.OPERATOR, placeholder=t("console.operator", lang),
                          persistence=True, persistence_type="local", className="gc-input"),
            ], className="gc-toolbar"),
            html.Div(dag.AgGrid(
                id=ids.QUEUE, columnDefs=_columns(lang), rowData=[],
                getRowId="params.data.id",
                defaultColDef={"sortable": True, "filter": True, "resizable": True},
                dashGridOptions={"pagination": True, "paginationPageSize": 50,
                                 "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "animateRows": False},
                style={"height": "100%"},
            ), className="gc-grid", **{"data-ag-theme-mode": "dark-blue"}),
        ], className="gc-panel gc-queue"),
        html.Div([
            html.Div(t("console.pick", lang), id=ids.DETAIL),
            html.Div(id=ids.ACTION_RESULT, className="gc-result"),
        ], className="gc-panel gc-detail"),
    ], className="gc-console")  # fmt: skip


def _detail(detail: dict | None, lang: str):
    if detail is None:
        return t("console.pick", lang)
    row, zh = detail["row"], lang == "zh"
    fields = [
        (t("console.number", lang), row["public_id"]),
        (t("console.priority", lang), PRIORITIES.get(int(row["priority"]), ("", ""))[0 if zh else 1]),
        (t("console.grid", lang), row.get("grid_name") or "—"),
        (t("console.address", lang), row.get("address") or "—"),
        (t("console.reporter", lang), row.get("reporter_name") or "—"),
    ]  # fmt: skip
    buttons = [
        html.Button(ACTIONS[a].zh if zh else a.replace("_", " "),
                    id={"type": ids.ACTION_BUTTON, "action": a}, className="gc-button")
        for a in detail["actions"]
    ]  # fmt: skip
    return [
        html.H2(f"{row['public_id']} · {category_name(row['category'], lang)}"),
        html.P(row["description"], className="gc-description"),
        html.Dl([item for name, value in fields for item in (html.Dt(name), html.Dd(value))]),
        html.H3(t("console.timeline", lang)),
        html.Ol([html.Li(f"{e['at']} {e['action']} {e['actor']}"
                         + (f"：{e['note']}" if e["note"] else "")) for e in detail["timeline"]]
                or [html.Li(t("console.no_moves", lang))], className="gc-timeline"),
        html.H3(t("console.moves", lang)),
        dcc.Textarea(id=ids.ACTION_NOTE, placeholder=t("console.note", lang),
                     className="gc-input gc-note"),
        dcc.Input(id=ids.ACTION_PROOF, placeholder=t("console.proof", lang), className="gc-input"),
        dcc.Input(id=ids.ACTION_EXTRA, placeholder=t("console.extra", lang), className="gc-input"),
        html.Div(buttons or t("console.final", lang), className="gc-buttons"),
    ]  # fmt: skip


def register(app, context) -> None:
    """The console's callbacks: load the queue, show an incident, make a move."""
    store = context.store

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
        if not selected:
            return no_update
        return _detail(incident_detail(store, int(selected[0]["id"]), lang or "zh"), lang or "zh")

    @app.callback(
        Output(ids.ACTION_RESULT, "children"),
        Output(ids.MOVED, "data"),
        Input({"type": ids.ACTION_BUTTON, "action": ALL}, "n_clicks"),
        State(ids.QUEUE, "selectedRows"),
        State(ids.OPERATOR, "value"),
        State(ids.ACTION_NOTE, "value"),
        State(ids.ACTION_PROOF, "value"),
        State(ids.ACTION_EXTRA, "value"),
        State(ids.MOVED, "data"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def make_move(clicks, selected, operator, note, proof, extra, moved, lang):
        if not ctx.triggered_id or not any(clicks) or not selected:
            return no_update, no_update
        lang = lang or "zh"
        if not (operator or "").strip():
            return html.Span(t("console.who", lang), className="gc-error"), no_update
        action = ctx.triggered_id["action"]
        try:
            details = move_details(store, action, note, proof, extra)
            store.apply_action(int(selected[0]["id"]), action, actor=operator.strip(), **details)
        except GridCommandError as error:
            return html.Span(error.message(lang), className="gc-error"), no_update
        done = ACTIONS[action].zh if lang == "zh" else action
        return html.Span(f"{t('console.done', lang)}: {done}", className="gc-ok"), (moved or 0) + 1
