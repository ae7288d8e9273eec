"""Rate limits (the ``limits`` library) on sign-in and on the public intake.

Only the two limited views pay for a limit: they are wrapped in place, and
every other request passes untouched. (Flask-Limiter, used here before, ran
its bookkeeping before and after every request of the app, which cost the
intake about as much CPU as storing the report.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests


def _address() -> str:
    return request.remote_addr or "127.0.0.1"


def _intake_key() -> str:
    """Per API key and address: one noisy client does not starve the others."""
    key = request.form.get("api_key") or request.args.get("api_key") or "-"
    return f"{key[:16]}|{_address()}"


def install_limits(server: Flask, *, storage_uri: str, sign_in: str, intake: str) -> None:
    """Limit sign-in attempts per address and Open311 reports per key and address.

    Over the limit the answer is HTTP 429 with Retry-After (seconds until the
    fixed window resets). With several worker processes the counters must be
    shared: use redis:// storage.
    """
    limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))
    views = server.view_functions
    for endpoint, rate, key, methods in (
        ("signin.sign_in", sign_in, _address, {"POST"}),
        ("open311.create_request", intake, _intake_key, None),
    ):
        views[endpoint] = _limited(views[endpoint], limiter, parse_many(rate), key, methods)

    @server.after_request
    def _retry_after(response):
        wait = g.pop("retry_after", None)
        if wait is not None and response.status_code == 429:
            response.headers["Retry-After"] = str(wait)  # error handlers build their own answer
        return response


def _limited(view, limiter: FixedWindowRateLimiter, items: list[RateLimitItem],
             key: Callable[[], str], methods: set[str] | None):  # fmt: skip
    """``view``, refusing with 429 once any of ``items`` is spent for this caller."""
    scope = view.__name__

    @wraps(view)
    def limited(*args, **kwargs):
        if methods is None or request.method in methods:
            caller = key()
            for item in items:
                if not limiter.hit(item, scope, caller):
                    reset = limiter.get_window_stats(item, scope, caller).reset_time
                    g.retry_after = max(1, int(reset - time.time() + 0.999))
                    raise TooManyRequests(f"rate limit exceeded: {item}")
        return view(*args, **kwargs)

    return limited
