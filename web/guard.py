"""Who is calling, and may they: every request passes here before its view.

Each Flask endpoint has a rule in ``web.route_rules``; each Dash callback a rule
from the dashboard (``dashboard.access_rules``), looked up by the callback's
output key, which is what Dash itself dispatches on. An endpoint or callback
without a rule is refused, so a new route must say who may use it (a test
walks the app's own url_map and callback_map).

Callers are, in this order: an API key (``X-API-Key``; under /open311/ also
the spec's ``api_key`` field), a signed-in person (session cookie, via
Flask-Login), a wall shown with a display key (``/?key=…`` once, then the
session cookie), or nobody. State-changing requests that ride on a cookie
must carry the CSRF token (Flask-WTF; dash-renderer sends it from the
``_csrf_token`` cookie) and must not come from another site.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, g, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from domain.access import (
    ADMIN,
    ANONYMOUS,
    Principal,
    for_key,
    require,
)
from domain.errors import Forbidden, InvalidInput, Unauthenticated
from web.key_help import SAFE_METHODS, where_the_key_goes
from web.route_rules import CALLBACK, CLIENTSIDE, PAGE, ROUTE_RULES, Rule

CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads
DISPLAY_KEY = "display_key_id"  # in the session of a wall shown with a display key
FIELD_COOKIE = "gc_field"  # a cadre's session on their phone (fieldapp, api.field_app)
FIELD_HEADER = "X-GC-Field"  # sent by the field app with every change: forces a CORS preflight
RESIDENT_API = "resident_api."  # the residents' page's public API (api.resident)
RESIDENT_UPLOAD = "resident_api.submit"  # a resident's report with its photos
PHOTO_UPLOADS = frozenset({"field_app.task_photo"})  # may be as large as GC_PHOTO_MAX_BYTES
FORM_ROOM = 64 * 1024  # a multipart form's own bytes around a photo
# Paths where the field cookie says who is calling; elsewhere it is ignored.
FIELD_PATHS = ("/api/v1/field/", "/media/")
# Forms that change who is signed in: checked even without a session (login CSRF).
CSRF_ALWAYS = frozenset({"signin.sign_in", "signin.sign_out", "fieldapp.join"})


class SessionUser(UserMixin):
    """A signed-in person as Flask-Login holds them: the session token is the id,
    so signing out on one worker ends the session on all."""

    def __init__(self, token: str, principal: Principal):
        self.token, self.principal = token, principal

    def get_id(self) -> str:
        return self.token


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request without a session cookie
    (an API key's: every report of the intake) gets its empty session without
    building the signing serializer first, which Flask does per request."""

    def open_session(self, app: Flask, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def current_principal() -> Principal:
    """The caller of the request being served."""
    return g.get("principal", ANONYMOUS)


def install(
    server: Flask,
    store,
    callback_rules_for,
    *,
    secure_cookies: bool = False,
    upload_bytes: int | None = None,
    photo_bytes: int | None = None,
) -> None:
    """Guard every request to ``server``.

    ``callback_rules_for(output_key)`` gives the Rule of a Dash callback
    (CLIENTSIDE or None for none). A signed-in administrator's requests may
    be up to ``upload_bytes`` (a city's boundary file at /data); everyone
    else's keep the server's limit.
    """
    server.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked here, only where a cookie carries the caller
        WTF_CSRF_TIME_LIMIT=None,  # a wall runs for days: the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # Origin and Sec-Fetch-Site are checked below instead
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
    )
    server.session_interface = CookieSessions()
    csrf = CSRFProtect(server)
    logins = LoginManager(server)
    logins.session_protection = "basic"

    @logins.user_loader
    def _load(token: str):
        principal = store.session_principal(token)
        return SessionUser(token, principal) if principal else None

    @server.before_request
    def _guard():
        rule = ROUTE_RULES.get(request.endpoint or "")
        principal, via_cookie = _caller(store)
        g.principal = principal
        if upload_bytes and via_cookie and principal.can(ADMIN) and principal.kind == "user":
            request.max_content_length = upload_bytes  # before the body is read
        if photo_bytes and principal.kind == "cadre" and request.endpoint in PHOTO_UPLOADS:
            # A phone camera's JPEG is 2-6 MB: the photo's own limit, with room for the form.
            request.max_content_length = photo_bytes + FORM_ROOM
        if photo_bytes and request.endpoint == RESIDENT_UPLOAD:  # up to three photos
            request.max_content_length = 3 * photo_bytes + FORM_ROOM
        if rule is None:
            raise Forbidden(f"no access rule for {request.endpoint or request.path}")
        if rule is CALLBACK:
            rule = _callback_rule(callback_rules_for)
        if request.method not in SAFE_METHODS and principal.kind == "cadre":
            _same_site()
            if request.headers.get(FIELD_HEADER) != "1":
                raise Forbidden(
                    f"a change from the field app must carry the {FIELD_HEADER}: 1 header",
                    zh="请求缺少外勤应用标识，已拒绝",
                )
        elif (
            request.method not in SAFE_METHODS
            and (via_cookie or request.endpoint in CSRF_ALWAYS)
            and not (request.endpoint or "").startswith(RESIDENT_API)
        ):  # the residents' API acts for nobody: a signed-in browser's cookie lends it nothing
            _same_site()
            csrf.protect()
        if rule.public:
            return None
        if rule.page and not principal.signed_in:
            if request.args.get("key"):
                return None  # handled by _display_key below
            query = urlencode({"next": request.full_path.rstrip("?")})
            return redirect(f"/login?{query}")
        if rule.page and request.args.get("key"):
            return None
        if not any(principal.can(p) for p in rule.any_of):
            if not principal.signed_in:
                message, zh = where_the_key_goes(request.method, request.path)
                raise Unauthenticated(message, zh=zh)
            require(principal, rule.any_of[0])  # raises 403 with a clear message
        if rule.city_wide and principal.town is not None:
            raise Forbidden(
                f"{principal.actor} may only read town {principal.town}",
                zh="您只能查看本镇街的数据",
            )
        return None

    @server.before_request
    def _display_key():
        """``/?key=…`` on a page: a wall's display key becomes its session."""
        key = request.args.get("key")
        if not key or ROUTE_RULES.get(request.endpoint or "") is not PAGE:
            return None
        client = store.client_for_key(key)
        if client is None or "display" not in client.scopes:
            raise Forbidden(
                "this display key is wrong, revoked, or not a display key",
                zh="大屏密钥无效、已吊销或不是大屏密钥",
            )
        session.clear()
        session[DISPLAY_KEY] = client.id
        session.permanent = True
        args = {k: v for k, v in request.args.items() if k != "key"}
        return redirect(request.path + (f"?{urlencode(args)}" if args else ""))

    @server.after_request
    def _csrf_cookie(response):
        principal = current_principal()
        if (principal.signed_in and principal.kind == "user") or session.get(DISPLAY_KEY):
            response.set_cookie(
                CSRF_COOKIE,
                generate_csrf(),
                samesite="Strict",
                secure=secure_cookies,
                httponly=False,
            )
        return response

    @server.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        body = {"code": 400, "message": f"CSRF check failed: {error.description}"}
        return current_app.response_class(
            json.dumps({"error": body}), status=400, mimetype="application/json"
        )


def _caller(store) -> tuple[Principal, bool]:
    """(who is calling, whether a cookie says so)."""
    key, name = request.headers.get("X-API-Key"), "X-API-Key"
    if key is None and request.path.startswith("/open311/"):
        key, name = request.form.get("api_key") or request.args.get("api_key"), "api_key"
    if key is not None:
        client = store.client_for_key(key, cached=True)  # revoked: refused within seconds
        if client is None:
            raise Forbidden(f"{name} is wrong or revoked", zh="API 密钥无效或已吊销")
        return for_key(client.id, client.name, client.scopes, client.town), False
    field_token = request.cookies.get(FIELD_COOKIE)
    if field_token and request.path.startswith(FIELD_PATHS):
        principal = store.field_principal(field_token)
        if principal is not None:
            return principal, True
    if current_user.is_authenticated:
        return current_user.principal, True
    display = session.get(DISPLAY_KEY)
    if display is not None:
        client = store.client_by_id(display)
        if client is not None and "display" in client.scopes:
            return for_key(client.id, client.name, client.scopes, client.town), True
        session.pop(DISPLAY_KEY, None)
    return ANONYMOUS, False


def _callback_rule(callback_rules_for) -> Rule:
    """The rule of the Dash callback this request asks to run."""
    try:
        output = json.loads(request.get_data(cache=True) or b"{}").get("output")
    except (ValueError, AttributeError):
        output = None
    if not isinstance(output, str):
        raise Forbidden("a callback request must name its output")
    rule = callback_rules_for(output)
    if rule is None or rule is CLIENTSIDE:
        raise Forbidden(f"no server callback may be called for {output[:80]!r}")
    return rule


def _same_site() -> None:
    """Refuse a cookie-carried change that another site's page started."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Forbidden("cross-site request refused")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise Forbidden("cross-site request refused")


def audit_actor(body: dict) -> str:
    """Who the audit log names for a write over the API.

    The caller as authenticated; an integration's key may add, in ``actor``,
    the person it acts for ("key:hotline/赵值班"). A typed name alone no
    longer counts.
    """
    principal = current_principal()
    named = body.get("actor")
    if named is None:
        return principal.actor
    if not isinstance(named, str) or not named.strip() or len(named) > 60:
        raise InvalidInput("actor, when given, must name a person (1 to 60 characters)")
    if principal.kind != "key":
        return principal.actor
    return f"{principal.actor}/{named.strip()}"[:60]
