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
from dataclasses import dataclass
from functools import wraps

from flask import Flask, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

INTAKE_LIMIT = "gridcommand.intake_limit"  # server.extensions: the ViewLimit of the intake


def _address() -> str:
    return request.remote_addr or "127.0.0.1"


def intake_caller(api_key: str | None, address: str | None) -> str:
    """Whom the intake limit counts: the key (from the form or query) and the
    address, so one noisy client does not starve the others."""
    return f"{(api_key or '-')[:16]}|{address or '127.0.0.1'}"


def _intake_key() -> str:
    key = request.form.get("api_key") or request.args.get("api_key")
    return intake_caller(key, request.remote_addr)


@dataclass(frozen=True)
class ViewLimit:
    """The rate limit of one view: refused once any of ``items`` is spent for a caller."""

    limiter: FixedWindowRateLimiter
    items: tuple[RateLimitItem, ...]
    scope: str  # the view's name: its counters are apart from other views'

    def refusal(self, caller: str) -> tuple[RateLimitItem, int] | None:
        """Count one request of ``caller``: None if it may go on, else the
        limit that refuses it and the whole seconds until its window resets."""
        for item in self.items:
            if not self.limiter.hit(item, self.scope, caller):
                reset = self.limiter.get_window_stats(item, self.scope, caller).reset_time
                return item, max(1, int(reset - time.time() + 0.999))
        return None


# The residents' page's writes (api.resident), limited per address and per phone.
RESIDENT_WRITES = ("resident_api.submit", "resident_api.lookup", "resident_api.me_too")
DEVICE_HEADER = "X-GC-Device"


def _device() -> str:
    return "device:" + (request.headers.get(DEVICE_HEADER) or "-")[:64]


def _resident_address() -> str:
    return "address:" + _address()


def install_limits(
    server: Flask,
    *,
    storage_uri: str,
    sign_in: str,
    intake: str,
    resident: str | None = None,
    resident_device: str | None = None,
) -> None:
    """Limit sign-in attempts per address and Open311 reports per key and address.

    Over the limit the answer is HTTP 429 with Retry-After (seconds until the
    fixed window resets). With several worker processes the counters must be
    shared: use redis:// storage. The intake's limit is kept in
    ``server.extensions[INTAKE_LIMIT]`` for the intake lane (``api.intake_lane``),
    which counts on the same counters. The residents' page's writes are
    limited per address (``resident``) and per phone (``resident_device``).
    """
    storage = WindowCounters() if storage_uri == "memory://" else storage_from_string(storage_uri)
    limiter = FixedWindowRateLimiter(storage)
    views = server.view_functions
    for endpoint, rate, key, methods in (
        ("signin.sign_in", sign_in, _address, {"POST"}),
        ("open311.create_request", intake, _intake_key, None),
    ):
        view = views[endpoint]
        limit = ViewLimit(limiter, tuple(parse_many(rate)), view.__name__)
        views[endpoint] = _limited(view, limit, key, methods)
        if endpoint == "open311.create_request":
            server.extensions[INTAKE_LIMIT] = limit
    for endpoint in RESIDENT_WRITES if endpoint_known(views, RESIDENT_WRITES) else ():
        for rate, key in ((resident, _resident_address), (resident_device, _device)):
            if rate:
                view = views[endpoint]
                limit = ViewLimit(limiter, tuple(parse_many(rate)), endpoint)
                views[endpoint] = _limited(view, limit, key, {"POST"})

    @server.after_request
    def _retry_after(response):
        wait = g.pop("retry_after", None)
        if wait is not None and response.status_code == 429:
            response.headers["Retry-After"] = str(wait)  # error handlers build their own answer
        return response


def endpoint_known(views, endpoints) -> bool:
    """Whether every one of ``endpoints`` is served (an app without the API has none)."""
    return all(endpoint in views for endpoint in endpoints)


def _limited(view, limit: ViewLimit, key: Callable[[], str], methods: set[str] | None):
    """``view``, refusing with 429 once ``limit`` is spent for this caller."""

    @wraps(view)
    def limited(*args, **kwargs):
        if methods is None or request.method in methods:
            refused = limit.refusal(key())
            if refused is not None:
                item, g.retry_after = refused
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
