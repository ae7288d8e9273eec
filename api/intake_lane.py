"""The Open311 report intake, served ahead of Flask: the one hot write path.

A report POSTed to ``/open311/v2/requests.json`` (or ``.xml``) goes through
the same checks as through Flask (the API key and its permission, the
jurisdiction, every field, the intake rate limit) and the same use case
(``api.open311.store_report``), and gets the same answer with the same
headers, without the request machinery that Flask runs for every request of
the dashboard (request context, session, sign-in, CSRF, Dash's and our
before- and after-request hooks): about 40 % of the CPU a report cost.

The lane answers only what it is sure to answer as Flask would: a form body
of ordinary size, a live API key with the REPORT permission, no cookie (a
cookie-carried caller needs the CSRF check), no Idempotency-Key (its claim
and replay stay in Flask's view), a report that passes every check, under
the rate limit. Anything else (a refusal, a bad field, an error of the
store) is handed to Flask with the body as it came, and Flask answers it
with its usual checks, messages and error format. A report the lane refused
for a bad field is counted by the limiter only once, in Flask; a report the
rate limit refused is counted again there, which keeps it refused. The one
error the lane answers itself is a report whose writer process went away
after taking it (``services.intake.OutcomeUnknown``, 503): it may be
stored, so it must not be written a second time.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers the "werkzeug.url_quote" error handler

from api.open311 import JURISDICTIONS, store_report
from api.open311_format import FORMATS, errors_body, render
from domain.access import REPORT, for_key
from domain.errors import GridCommandError
from services.intake import OutcomeUnknown
from web.headers import SECURITY_HEADERS
from web.limits import INTAKE_LIMIT, ViewLimit, intake_caller

log = logging.getLogger(__name__)
PATHS = {"/open311/v2/requests.json": "json", "/open311/v2/requests.xml": "xml"}
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 16_384  # a report's form is well under 2 kB; larger bodies take Flask's limits
_DROPPED = ("api_key", "jurisdiction_id")  # the caller's, not the report's


def install_intake_lane(server, store) -> None:
    """Serve plain reports to ``server`` ahead of it (after its limits and
    headers are installed: the lane uses them)."""
    server.wsgi_app = IntakeLane(
        server.wsgi_app, store, server.extensions[INTAKE_LIMIT], server.extensions[SECURITY_HEADERS]
    )


class IntakeLane:
    """WSGI middleware: serves plain Open311 reports itself, passes on the rest.

    ``app`` is the Flask ``wsgi_app`` it wraps; ``store``, ``limit`` (the
    intake's ``ViewLimit``) and ``headers`` (the security headers) are the
    ones Flask's path uses.
    """

    def __init__(self, app, store, limit: ViewLimit, headers: list[tuple[str, str]]):
        self.app, self.store, self.limit = app, store, limit
        self.headers = [*headers, ("Vary", "Accept-Encoding, Cookie")]

    def __call__(self, environ, start_response):
        fmt = PATHS.get(environ.get("PATH_INFO", ""))
        if fmt is None or not self._plain(environ):
            return self.app(environ, start_response)
        body = _read_body(environ)
        if body is None:
            return self.app(environ, start_response)
        try:
            answer = self._answer(environ, body, fmt)
        except _Refused:
            answer = None
        except OutcomeUnknown as unknown:  # maybe stored: never written again, refused
            return self._respond(
                start_response,
                "503 Service Unavailable",
                fmt,
                errors_body(503, str(unknown), fmt),
                [("Retry-After", "5")],
            )
        except Exception:  # a write that raises has stored nothing: Flask tries it, and answers
            log.warning("the intake lane handed a report to Flask after an error", exc_info=True)
            answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it as it came
            return self.app(environ, start_response)
        return self._respond(start_response, "200 OK", fmt, answer)

    def _respond(self, start_response, status: str, fmt: str, body: str, extra=()) -> list:
        data = body.encode("utf-8")
        start_response(
            status,
            [
                ("Content-Type", FORMATS[fmt]),
                ("Content-Length", str(len(data))),
                *self.headers,
                *extra,
            ],
        )
        return [data]

    @staticmethod
    def _plain(environ) -> bool:
        """A request of the kind the lane serves, judged by its head alone."""
        return (
            environ.get("REQUEST_METHOD") == "POST"
            and environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == FORM
            and "HTTP_COOKIE" not in environ
            and "HTTP_IDEMPOTENCY_KEY" not in environ
            and "HTTP_TRANSFER_ENCODING" not in environ
            and not environ.get("QUERY_STRING")
        )

    def _answer(self, environ, body: bytes, fmt: str) -> str | None:
        """The body of the answer to a report the lane stored; None to hand it to Flask."""
        form = _form(body)
        if form is None:
            return None
        key = environ.get("HTTP_X_API_KEY")
        if key is None:
            key = form.get("api_key")
        client = self.store.client_for_key(key, cached=True) if key else None
        if client is None or not for_key(client.id, client.name, client.scopes).can(REPORT):
            return None  # Flask says who may do what, and how to send the key
        if form.get("jurisdiction_id") not in (None, "", *JURISDICTIONS):
            return None
        fields = {k: v for k, v in form.items() if k not in _DROPPED}
        caller = intake_caller(form.get("api_key"), environ.get("REMOTE_ADDR"))

        def admit() -> None:
            if self.limit.refusal(caller) is not None:
                raise _Refused

        try:
            notice, public_id = store_report(self.store, fields, client, None, fmt, admit=admit)
        except OutcomeUnknown:
            raise  # maybe stored: answered 503 by __call__, never handed on to be written again
        except GridCommandError:
            return None  # nothing stored: Flask answers it, with its message
        body = [{"service_request_id": public_id, "service_notice": notice, "account_id": None}]
        return render(body, fmt, "service_requests")


class _Refused(Exception):
    """The rate limit refused the report (raised by ``store_report``'s ``admit``)."""


def _read_body(environ) -> bytes | None:
    """The whole body of a request that says its length, or None to leave it to Flask."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    if len(body) != length:  # the client went away mid-body: Flask says so
        environ["wsgi.input"] = io.BytesIO(body)
        return None
    return body


def _form(body: bytes) -> dict[str, str] | None:
    """The form as Werkzeug parses it, the first value of each name; None if not UTF-8."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None
    form: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        form.setdefault(name, value)
    return form
