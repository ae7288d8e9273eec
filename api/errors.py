"""Domain errors and HTTP errors as JSON bodies, mapped in one place."""

from __future__ import annotations

import logging

from flask import Flask, Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api.open311_format import FORMATS, errors_body
from domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    GridCommandError,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)

log = logging.getLogger(__name__)
OPEN311_PREFIX = "/open311/"
PUBLIC_PREFIX = "/api/v1/public/"  # the residents' page: messages in their language
PUBLIC_HTTP = {
    413: ("the photos are too large to send", "照片太大，无法提交，请减少或压缩后重试"),
    429: ("too many posts: wait a few minutes and try again", "提交太频繁，请稍等几分钟再试"),
    404: ("not found", "未找到"),
    405: ("method not allowed", "不支持该请求方式"),
}


def _wants_english() -> bool:
    """The resident's language from Accept-Language: en if it comes first, else zh."""
    first = (request.headers.get("Accept-Language") or "").split(",")[0].strip().lower()
    return first.startswith("en")


def _public_error(status: int, en: str, zh: str | None):
    """An error of the residents' API: ``message`` in their language, both kept."""
    zh = zh or en
    message = en if _wants_english() else zh
    return jsonify(error={"code": status, "message": message, "message_en": en, "message_zh": zh})


STATUS_OF: tuple[tuple[type[GridCommandError], int], ...] = (
    (Unprocessable, 422),
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (Unavailable, 503),
)


def status_for(error: GridCommandError) -> int:
    """The HTTP status of a domain error (500 for one not listed)."""
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 500


def register_error_handlers(server: Flask, prefix: str = "/api/") -> None:
    """Answer errors under ``prefix`` with ``{"error": {"code", "message"}}``.

    No stack trace ever reaches a client; unexpected errors are logged here.
    """

    # The dashboard answers every other path with its page; under the API
    # prefix an unknown path must be a plain 404.
    for base in (prefix, OPEN311_PREFIX):
        server.add_url_rule(
            f"{base}<path:_rest>",
            endpoint=f"no_such_endpoint{base.replace('/', '_')}",
            view_func=_no_such_endpoint,
            methods=list(CATCH_ALL_METHODS),
        )

    @server.errorhandler(GridCommandError)
    def _domain_error(error: GridCommandError):
        status = status_for(error)
        if request.path.startswith(OPEN311_PREFIX):
            return _open311_error(status, str(error))
        if request.path.startswith(PUBLIC_PREFIX):
            return _public_error(status, str(error), error.zh), status
        body = {"code": status, "message": str(error)}
        if error.zh:
            body["message_zh"] = error.zh
        if getattr(error, "reason", None):  # a slug a client may act on, e.g. "note_needed"
            body["reason"] = error.reason
        response = jsonify(error=body)
        if status == 503:
            response.headers["Retry-After"] = "5"
        return response, status

    @server.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if not request.path.startswith((prefix, OPEN311_PREFIX)):
            return error
        if request.path.startswith(OPEN311_PREFIX):
            response = _open311_error(error.code, error.description)
        elif request.path.startswith(PUBLIC_PREFIX) and error.code in PUBLIC_HTTP:
            response = _public_error(error.code, *PUBLIC_HTTP[error.code])
        else:
            response = jsonify(error={"code": error.code, "message": error.description})
        response.status_code = error.code
        if isinstance(error, MethodNotAllowed) and error.valid_methods:  # what may be used
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @server.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "internal error; see the server log"
        if request.path.startswith(OPEN311_PREFIX):
            return _open311_error(500, message)
        return jsonify(error={"code": 500, "message": message}), 500


CATCH_ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _no_such_endpoint(_rest):
    """404 for a path no route has; 405 with Allow for one asked with another method."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in CATCH_ALL_METHODS:
        try:
            rule, _ = adapter.match(request.path, method=method, return_rule=True)
        except HTTPException:
            continue
        if not rule.endpoint.startswith("no_such_endpoint"):
            allowed.append(method)
    if allowed:
        if "GET" in allowed:
            allowed.append("HEAD")
        raise MethodNotAllowed(
            valid_methods=allowed, description=f"{request.method} is not allowed here"
        )
    abort(404, description=f"no API endpoint at {request.path}")


def _open311_error(status: int, message: str) -> Response:
    """Errors under /open311/ in the spec's shape and in the format asked for."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    response = Response(errors_body(status, message, fmt), status=status, content_type=FORMATS[fmt])
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response
