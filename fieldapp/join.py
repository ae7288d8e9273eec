"""Signing a phone in: the one-time invite link a cadre receives.

GET shows whose invite it is and a button; POST redeems it and sets the
phone's session cookie. Opening the link does not use it up, because chat
apps fetch links to preview them: only the cadre's tap on the button does.
"""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request

from domain.errors import Gone
from fieldapp import blueprint
from web.guard import FIELD_COOKIE

SESSION_DAYS = 180  # a phone stays signed in for a season; an administrator can end it sooner


def _store():
    return current_app.extensions["gridcommand.store"]


@blueprint.route("/field/join/<token>", methods=["GET", "POST"])
def join(token: str):
    store = _store()
    try:
        if request.method == "GET":
            cadre = store.field_invite_cadre(token)
            return _page("fieldapp/join.html", 200, cadre=cadre, token=token)
        session_token, _ = store.redeem_field_invite(
            token, device=request.headers.get("User-Agent", "")
        )
    except Gone as gone:
        return _page("fieldapp/join.html", 410, error=gone)
    response = redirect("/field", code=303)
    response.set_cookie(
        FIELD_COOKIE,
        session_token,
        max_age=SESSION_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _page(template: str, status: int, **values) -> Response:
    from fieldapp.pages import static_url

    html = render_template(template, static=static_url, **values)
    return Response(
        html,
        status=status,
        mimetype="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
