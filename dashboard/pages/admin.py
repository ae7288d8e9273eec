"""Administration at /admin: people who sign in, and the keys of walls, apps and systems.

A new password or key is shown once, in the answer to the click that made
it; the store keeps only hashes.
"""

from __future__ import annotations

import dash_ag_grid as dag
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboard import field_invite_panel, ids
from dashboard.console_view import grid_words
from dashboard.i18n import t
from dashboard.wiring import Callbacks
from domain.access import KEY_SCOPES, ROLES
from domain.errors import GridCommandError
from domain.passwords import random_password
from web.guard import current_principal


def _grid(grid_id: str, columns: list[tuple[str, str]], lang: str) -> html.Div:
    return html.Div(
        dag.AgGrid(
            id=grid_id,
            rowData=[],
            style={"height": "100%"},
            columnDefs=[{"field": f, "headerName": name, "flex": 1} for f, name in columns],
            dashGridOptions={
                "rowSelection": {
                    "mode": "singleRow",
                    "checkboxes": False,
                    "enableClickSelection": True,
                },
                "localeText": grid_words(lang),
            },
            getRowId="params.data.row_id",
        ),
        className="gc-grid gc-admin-grid",
        **{"data-ag-theme-mode": "dark-blue"},
    )


# Aligned by hand: this table reads better laid out as a table.
SCOPE_NAMES = {"open311": ("上报", "reports"), "field": ("外勤 App", "field app"),
               "display": ("大屏", "wall"), "dispatch": ("调度对接", "dispatch system"),
               "events": ("事件对接", "events system")}  # fmt: skip


def layout(lang: str) -> html.Div:
    """Two panels: users and API keys, each a list and a form."""
    zh = lang == "zh"
    roles = [{"label": names[0 if zh else 1], "value": role} for role, names in ROLES.items()]
    scopes = [{"label": f"{SCOPE_NAMES[s][0 if zh else 1]} ({s})", "value": s} for s in KEY_SCOPES]
    return html.Div(
        [
            dcc.Store(id=ids.ADMIN_CHANGED, data=0),
            html.Div(id=ids.ADMIN_CALENDAR, className="gc-admin-calendar gc-error", role="alert"),
            html.Div(
                [
                    html.H2(t("admin.users", lang)),
                    _grid(
                        ids.ADMIN_USERS,
                        [
                            ("username", t("admin.username", lang)),
                            ("display_name", t("admin.display_name", lang)),
                            ("role_name", t("admin.role", lang)),
                            ("town_code", t("admin.town", lang)),
                            ("state", t("admin.state", lang)),
                        ],
                        lang,
                    ),
                    html.Div(
                        [
                            dcc.Input(
                                id=ids.ADMIN_USERNAME,
                                placeholder=t("admin.username", lang),
                                className="gc-input",
                                maxLength=40,
                            ),
                            dcc.Input(
                                id=ids.ADMIN_DISPLAY_NAME,
                                placeholder=t("admin.display_name", lang),
                                className="gc-input",
                                maxLength=60,
                            ),
                            dcc.Dropdown(
                                id=ids.ADMIN_ROLE,
                                options=roles,
                                placeholder=t("admin.role", lang),
                                className="gc-dropdown",
                            ),
                            dcc.Input(
                                id=ids.ADMIN_TOWN,
                                placeholder=t("admin.town_code", lang),
                                className="gc-input",
                                maxLength=12,
                            ),
                            html.Button(
                                t("admin.add_user", lang),
                                id=ids.ADMIN_ADD_USER,
                                className="gc-button",
                            ),
                            html.Button(
                                t("admin.toggle_user", lang),
                                id=ids.ADMIN_TOGGLE_USER,
                                className="gc-button",
                            ),
                            html.Button(
                                t("admin.new_password", lang),
                                id=ids.ADMIN_RESET_PASSWORD,
                                className="gc-button",
                            ),
                        ],
                        className="gc-admin-form",
                    ),
                    html.Div(id=ids.ADMIN_USER_RESULT, className="gc-admin-result"),
                ],
                className="gc-panel gc-admin-panel",
            ),
            html.Div(
                [
                    html.H2(t("admin.keys", lang)),
                    _grid(
                        ids.ADMIN_KEYS,
                        [
                            ("prefix", t("admin.prefix", lang)),
                            ("name", t("admin.key_name", lang)),
                            ("scopes", t("admin.scopes", lang)),
                            ("town_code", t("admin.town", lang)),
                            ("state", t("admin.state", lang)),
                        ],
                        lang,
                    ),
                    html.Div(
                        [
                            dcc.Input(
                                id=ids.ADMIN_KEY_NAME,
                                placeholder=t("admin.key_name", lang),
                                className="gc-input",
                                maxLength=80,
                            ),
                            dcc.Checklist(
                                id=ids.ADMIN_SCOPES,
                                options=scopes,
                                value=["display"],
                                inline=True,
                                className="gc-toggles gc-scopes",
                            ),
                            dcc.Input(
                                id=ids.ADMIN_KEY_TOWN,
                                placeholder=t("admin.town_code", lang),
                                className="gc-input",
                                maxLength=12,
                            ),
                            html.Button(
                                t("admin.add_key", lang),
                                id=ids.ADMIN_ADD_KEY,
                                className="gc-button",
                            ),
                            html.Button(
                                t("admin.revoke_key", lang),
                                id=ids.ADMIN_REVOKE_KEY,
                                className="gc-button",
                            ),
                            html.Button(
                                t("admin.set_scopes", lang),
                                id=ids.ADMIN_SET_SCOPES,
                                className="gc-button",
                            ),
                        ],
                        className="gc-admin-form",
                    ),
                    html.P(id=ids.ADMIN_KEY_NOTE, className="gc-admin-result gc-error"),
                    html.Div(id=ids.ADMIN_KEY_RESULT, className="gc-admin-result"),
                ],
                className="gc-panel gc-admin-panel",
            ),
            html.Div(
                field_invite_panel.panel(lang, revoke=True), className="gc-panel gc-admin-panel"
            ),
        ],
        className="gc-admin",
    )


def user_rows(store, lang: str) -> list[dict]:
    """The users as the list shows them."""
    frame = store.users()
    zh = lang == "zh"
    return [
        {
            "row_id": str(r.id),
            "username": r.username,
            "display_name": r.display_name,
            "role_name": ROLES.get(r.role, (r.role, r.role))[0 if zh else 1],
            "town_code": r.town_code or "",
            "state": t("admin.active" if r.active else "admin.disabled", lang),
        }
        for r in frame.itertuples()
    ]


def key_rows(store, lang: str) -> list[dict]:
    """The keys ever issued (never the keys themselves); live keys with the old
    implicit scopes are flagged so that an administrator narrows them."""
    return [
        {
            "row_id": str(r.id),
            "prefix": f"{r.prefix}…",
            "name": r.name,
            "scopes": r.scopes,
            "town_code": r.town_code or "",
            "state": t(
                "admin.revoked"
                if r.revoked_at is not None
                else "admin.old_default"
                if r.old_default
                else "admin.active",
                lang,
            ),
        }
        for r in store.api_keys().itertuples()
    ]


def calendar_warnings(calendar, lang: str, today=None) -> list[html.P]:
    """One line for this year and the next if no holiday notice covers them yet."""
    return [
        html.P(t("admin.calendar_missing", lang).format(year=year))
        for year in calendar.missing_notices(today)
    ]


def _ok(text: str) -> html.Span:
    return html.Span(text, className="gc-ok")


def _failed(error: GridCommandError, lang: str) -> html.Span:
    return html.Span(error.message(lang), className="gc-error")


callbacks = Callbacks()


def register(app, context) -> None:
    callbacks.register(app, context)


@callbacks(
    Output(ids.ADMIN_USERS, "rowData"),
    Output(ids.ADMIN_KEYS, "rowData"),
    Output(ids.ADMIN_CALENDAR, "children"),
    Output(ids.ADMIN_KEY_NOTE, "children"),
    Input(ids.ADMIN_CHANGED, "data"),
    State(ids.LANG, "data"),
)
def show_lists(context, _changed, lang):
    lang = lang or "zh"
    keys = key_rows(context.store, lang)
    flagged = any(row["state"] == t("admin.old_default", lang) for row in keys)
    note = t("admin.old_default_note", lang) if flagged else ""
    warnings = calendar_warnings(context.settings.calendar, lang)
    return user_rows(context.store, lang), keys, warnings, note


@callbacks(
    Output(ids.ADMIN_USER_RESULT, "children"),
    Output(ids.ADMIN_CHANGED, "data"),
    Input(ids.ADMIN_ADD_USER, "n_clicks"),
    Input(ids.ADMIN_TOGGLE_USER, "n_clicks"),
    Input(ids.ADMIN_RESET_PASSWORD, "n_clicks"),
    State(ids.ADMIN_USERNAME, "value"),
    State(ids.ADMIN_DISPLAY_NAME, "value"),
    State(ids.ADMIN_ROLE, "value"),
    State(ids.ADMIN_TOWN, "value"),
    State(ids.ADMIN_USERS, "selectedRows"),
    State(ids.ADMIN_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def change_user(
    context, _add, _toggle, _reset, username, display_name, role, town, selected, changed, lang
):
    lang = lang or "zh"
    try:
        if ctx.triggered_id == ids.ADMIN_ADD_USER:
            fields = {"username": username, "display_name": display_name, "role": role}
            shown = add_user(context.store, fields, town, current_principal().actor, lang)
        elif not selected:
            return html.Span(t("admin.pick_user", lang), className="gc-error"), no_update
        else:
            shown = change_selected_user(
                context.store, ctx.triggered_id, selected[0], current_principal().actor, lang
            )
        return _ok(shown), (changed or 0) + 1
    except GridCommandError as error:
        return _failed(error, lang), no_update


def add_user(store, fields: dict, town, actor: str, lang: str) -> str:
    """Add a user with a random password; the message that shows it, once."""
    password = random_password()
    store.create_user(
        fields["username"] or "",
        password,
        fields["role"] or "",
        actor=actor,
        display_name=fields["display_name"] or None,
        town=town or None,
    )
    return t("admin.user_added", lang).format(user=fields["username"], pw=password)


def change_selected_user(store, button: str, row: dict, actor: str, lang: str) -> str:
    """Disable or enable the selected user, or give them a new random password."""
    name = row["username"]
    if button == ids.ADMIN_TOGGLE_USER:
        disable = row["state"] == t("admin.active", lang)
        store.set_disabled(name, disable, actor=actor)
        return t("admin.disabled" if disable else "admin.active", lang)
    password = random_password()
    store.set_password(name, password, actor=actor)
    return t("admin.password_set", lang).format(user=name, pw=password)


@callbacks(
    Output(ids.ADMIN_KEY_RESULT, "children"),
    Output(ids.ADMIN_CHANGED, "data", allow_duplicate=True),
    Input(ids.ADMIN_ADD_KEY, "n_clicks"),
    Input(ids.ADMIN_REVOKE_KEY, "n_clicks"),
    Input(ids.ADMIN_SET_SCOPES, "n_clicks"),
    State(ids.ADMIN_KEY_NAME, "value"),
    State(ids.ADMIN_SCOPES, "value"),
    State(ids.ADMIN_KEY_TOWN, "value"),
    State(ids.ADMIN_KEYS, "selectedRows"),
    State(ids.ADMIN_CHANGED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def change_key(context, _add, _revoke, _set, name, scopes, town, selected, changed, lang):
    lang, scopes = lang or "zh", tuple(scopes or ())
    try:
        if ctx.triggered_id == ids.ADMIN_ADD_KEY:
            shown = add_key(context.store, name, scopes, town, current_principal().actor, lang)
        elif not selected:
            return html.Span(t("admin.pick_key", lang), className="gc-error"), no_update
        else:
            prefix = selected[0]["prefix"].rstrip("…")
            button, principal = ctx.triggered_id, current_principal()
            shown = _ok(change_selected_key(context.store, button, prefix, scopes, principal, lang))
        return shown, (changed or 0) + 1
    except GridCommandError as error:
        return _failed(error, lang), no_update


def add_key(store, name, scopes: tuple, town, actor: str, lang: str) -> list:
    """Issue a key; the answer shows it once (and a wall's URL for a display key)."""
    key = store.create_api_key(name or "", actor=actor, scopes=scopes, town=town or None)
    shown = [_ok(t("admin.key_added", lang)), html.Code(key, className="gc-key")]
    if "display" in scopes:
        shown += [html.Br(), t("admin.wall_url", lang), html.Code(f"/?key={key}")]
    return shown


def change_selected_key(store, button: str, prefix: str, scopes: tuple, principal, lang) -> str:
    """Narrow (or widen) the selected client's keys, or revoke them."""
    if button == ids.ADMIN_SET_SCOPES:
        count = store.set_api_key_scopes(prefix, scopes, actor=principal.actor)
        return t("admin.scopes_set", lang).format(n=count, scopes=",".join(scopes))
    count = store.revoke_api_keys(prefix, actor=principal.actor)
    return t("admin.key_revoked", lang).format(n=count)
