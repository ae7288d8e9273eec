"""Rate limits (Flask-Limiter) on sign-in and on the public intake."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def _intake_key() -> str:
    """Per API key and address: one noisy client does not starve the others."""
    key = request.form.get("api_key") or request.args.get("api_key") or "-"
    return f"{key[:16]}|{get_remote_address()}"


def install_limits(server: Flask, *, storage_uri: str, sign_in: str, intake: str) -> Limiter:
    """Limit sign-in attempts per address and Open311 reports per key and address.

    Over the limit the answer is HTTP 429 with Retry-After. With several
    worker processes the counters must be shared: use redis:// storage.
    """
    limiter = Limiter(get_remote_address, app=server, storage_uri=storage_uri,
                      headers_enabled=True, retry_after="delta-seconds")  # fmt: skip
    # Decorate the registered views in place, as @limiter.limit would have.
    views = server.view_functions
    views["signin.sign_in"] = limiter.limit(sign_in, methods=["POST"])(views["signin.sign_in"])
    views["open311.create_request"] = limiter.limit(intake, key_func=_intake_key)(
        views["open311.create_request"]
    )
    return limiter
