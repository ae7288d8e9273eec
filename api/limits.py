"""Rate limits (the ``limits`` library) on sign-in and on the public intake.

Only the two limited views pay for a limit: they are wrapped in place, and
every other request passes untouched. (Flask-Limiter, used here before, ran
its bookkeeping before and after every request of the app, which cost the
intake about as much CPU as storing the report.)

Counters kept in the worker (``memory://``, the default) live in
``WindowCounters``, not in ``limits``' own MemoryStorage: that one starts a
new ``threading.Timer`` thread to expire its keys whenever the last has run
out, i.e. every 10 ms under load, and the request waits for the thread to
start (on a busy 2-core machine, milliseconds a report). Other storages
(``redis://``) are ``limits``' own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
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
    storage = WindowCounters() if storage_uri == "memory://" else storage_from_string(storage_uri)
    limiter = FixedWindowRateLimiter(storage)
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


class WindowCounters(Storage):
    """Fixed-window counters in this process, for ``limits``' FixedWindowRateLimiter.

    A counter expires ``expiry`` seconds after its first hit. Expired counters
    are dropped as they are met, and all at once when more than ``PURGE_AT``
    are held, so no thread is needed to clean up.
    """

    STORAGE_SCHEME = None  # not registered as a URI scheme: made by install_limits
    PURGE_AT = 10_000

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._counters: dict[str, list[float]] = {}  # key: [count, expires at (time.time)]

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            counter = self._counters.get(key)
            if counter is None or counter[1] <= now:
                if len(self._counters) >= self.PURGE_AT:
                    self._purge(now)
                counter = self._counters[key] = [0, now + expiry]
            counter[0] += amount
            return int(counter[0])

    def get(self, key: str) -> int:
        counter = self._counters.get(key)
        return int(counter[0]) if counter is not None and counter[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        counter = self._counters.get(key)
        return counter[1] if counter is not None and counter[1] > time.time() else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count = len(self._counters)
            self._counters.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)

    def _purge(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._counters.items() if expires <= now]:
            del self._counters[key]
