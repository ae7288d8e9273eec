"""Domain errors and HTTP errors as JSON bodies, mapped in one place."""

from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from domain.errors import Conflict, GridCommandError, InvalidInput, NotFound, Unavailable

log = logging.getLogger(__name__)

STATUS_OF: tuple[tuple[type[GridCommandError], int], ...] = (
    (InvalidInput, 400),
    (NotFound, 404),
    (Conflict, 409),
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
    @server.route(f"{prefix}<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def _no_such_endpoint(_rest):
        abort(404, description=f"no API endpoint at {request.path}")

    @server.errorhandler(GridCommandError)
    def _domain_error(error: GridCommandError):
        status = status_for(error)
        response = jsonify(error={"code": status, "message": str(error)})
        if status == 503:
            response.headers["Retry-After"] = "5"
        return response, status

    @server.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if not request.path.startswith(prefix):
            return error
        return jsonify(error={"code": error.code, "message": error.description}), error.code

    @server.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify(error={"code": 500, "message": "internal error; see the server log"}), 500
