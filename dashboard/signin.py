"""The sign-in page and sign-out: plain HTML forms, no script, in both languages.

Kept out of Dash on purpose: the page must work before anyone is allowed to
load the dashboard's callbacks, and under a Content-Security-Policy that
allows no inline script.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, request, session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from domain.errors import TooManyAttempts, Unauthenticated
from web.guard import SessionUser

blueprint = Blueprint("signin", __name__)

# Aligned by hand: this table reads better laid out as a table.
WORDS = {
    "zh": {"title": "网格化服务管理指挥中心", "heading": "登录", "user": "用户名",
           "password": "密码", "submit": "登录", "switch": "EN", "other": "en",
           "hint": "大屏请使用管理员发放的大屏链接，无需登录。"},
    "en": {"title": "Grid Command", "heading": "Sign in", "user": "User name",
           "password": "Password", "submit": "Sign in", "switch": "中文", "other": "zh",
           "hint": "Video walls use the display link an administrator issues: no sign-in."},
}  # fmt: skip


def _store():
    return current_app.extensions["gridcommand.store"]


def _lang() -> str:
    asked = request.values.get("lang")
    return asked if asked in WORDS else current_app.config.get("GC_LANG", "zh")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def page(lang: str, *, error: str = "", next_url: str = "/", username: str = "") -> str:
    """The sign-in form (every value escaped)."""
    w = WORDS[lang]
    message = f'<p class="gc-signin-error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{escape(w["heading"])} · {escape(w["title"])}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="gc-signin-page"><main class="gc-signin">
<h1>{escape(w["title"])}</h1><h2>{escape(w["heading"])}</h2>{message}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">
<input type="hidden" name="next" value="{escape(next_url)}">
<input type="hidden" name="lang" value="{lang}">
<label>{escape(w["user"])}<input name="username" autocomplete="username" required
 maxlength="40" value="{escape(username)}" autofocus></label>
<label>{escape(w["password"])}<input name="password" type="password" required
 maxlength="200" autocomplete="current-password"></label>
<button type="submit">{escape(w["submit"])}</button></form>
<p class="gc-signin-hint">{escape(w["hint"])}</p>
<a class="gc-lang" href="/login?lang={w["other"]}">{escape(w["switch"])}</a>
</main></body></html>"""


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/html")


@blueprint.route("/login", methods=["GET", "POST"])
def sign_in():
    lang = _lang()
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url)
        return _html(page(lang, next_url=next_url))
    username = request.form.get("username", "")[:40]
    client = f"{request.remote_addr} {request.user_agent.string[:50]}"
    try:
        token, principal = _store().sign_in(
            username, request.form.get("password", ""), client=client
        )
    except (Unauthenticated, TooManyAttempts) as error:
        status = 429 if isinstance(error, TooManyAttempts) else 401
        return _html(
            page(lang, error=error.message(lang), next_url=next_url, username=username), status
        )
    session.clear()  # no session fixation: a fresh session for the signed-in person
    login_user(SessionUser(token, principal))
    return redirect(next_url)


@blueprint.post("/logout")
def sign_out():
    if current_user.is_authenticated:
        _store().sign_out(current_user.token)
    logout_user()
    session.clear()
    return redirect("/login")
