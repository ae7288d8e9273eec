"""Inviting a cadre's phone to the field app, on /admin and on the dispatch desk.

The desk or the administrator types the cadre's mobile number; the answer
shows the one-time link and its QR code for the cadre to scan. Only an
administrator may sign phones out.
"""

from __future__ import annotations

import base64

from dash import Input, Output, State, ctx, dcc, html, no_update
from flask import request

from dashboard import ids
from dashboard.i18n import t
from dashboard.wiring import Callbacks
from domain.access import ADMIN
from domain.errors import GridCommandError
from services.field_invites import invite
from web.guard import current_principal

callbacks = Callbacks()


def panel(lang: str, *, revoke: bool) -> html.Div:
    """The phone number, the invite button (and, for an administrator, sign-out),
    and where the link and its QR code appear."""
    buttons = [
        html.Button(t("field_invite.button", lang), id=ids.FIELD_INVITE, className="gc-button")
    ]
    if revoke:
        buttons.append(
            html.Button(t("field_invite.revoke", lang), id=ids.FIELD_REVOKE, className="gc-button")
        )
    else:  # the callback names it: present, never shown, never clicked
        buttons.append(html.Button(id=ids.FIELD_REVOKE, hidden=True, **{"aria-hidden": "true"}))
    form = [
        html.Div(
            [
                dcc.Input(
                    id=ids.FIELD_INVITE_PHONE,
                    type="tel",
                    placeholder=t("field_invite.phone", lang),
                    className="gc-input",
                    maxLength=20,
                ),
                *buttons,
            ],
            className="gc-admin-form",
        ),
        html.Div(id=ids.FIELD_INVITE_RESULT, className="gc-admin-result gc-invite"),
    ]
    title = html.Label(t("field_invite.title", lang), htmlFor=ids.FIELD_INVITE_PHONE)
    if revoke:  # the administrator's page: a panel of its own
        return html.Div([html.H3(title), *form], className="gc-field-invite")
    # The desk: folded away under the recommendations until someone needs it.
    phone = html.Label(t("field_invite.phone", lang), htmlFor=ids.FIELD_INVITE_PHONE)
    return html.Details(
        [html.Summary(t("field_invite.title", lang)), phone, *form], className="gc-field-invite"
    )


def register(app, context) -> None:
    callbacks.register(app, context)


@callbacks(
    Output(ids.FIELD_INVITE_RESULT, "children"),
    Input(ids.FIELD_INVITE, "n_clicks"),
    Input(ids.FIELD_REVOKE, "n_clicks"),
    State(ids.FIELD_INVITE_PHONE, "value"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def invite_or_revoke(context, _invite, _revoke, phone, lang):
    lang = lang or "zh"
    principal = current_principal()
    try:
        if ctx.triggered_id == ids.FIELD_REVOKE:
            if not principal.can(ADMIN):
                return html.Span(t("field_invite.admin_only", lang), className="gc-error")
            ended = context.store.revoke_field_sessions(phone or "", actor=principal.actor)
            return html.Span(t("field_invite.revoked", lang).format(n=ended), className="gc-ok")
        if not ctx.triggered_id:
            return no_update
        # The address the desk reached us at, unless GC_PUBLIC_URL names the phones' one.
        base = context.settings.public_url or request.host_url
        made = invite(context.store, phone or "", actor=principal.actor, base_url=base)
        return shown_invite(made, lang)
    except GridCommandError as error:
        return html.Span(error.message(lang), className="gc-error", role="alert")


def shown_invite(made: dict, lang: str) -> list:
    """The link, whom it is for, until when, and its QR code."""
    cadre = made["cadre"]
    qr = base64.b64encode(made["qr_svg"].encode("utf-8")).decode("ascii")
    return [
        html.P(
            t("field_invite.made", lang).format(
                name=cadre["name"], until=made["expires_at"].strftime("%Y-%m-%d %H:%M UTC")
            ),
            className="gc-ok",
        ),
        html.Img(
            src=f"data:image/svg+xml;base64,{qr}",
            alt=t("field_invite.qr_alt", lang).format(name=cadre["name"]),
            className="gc-qr",
        ),
        html.Code(made["url"], className="gc-key"),
    ]
