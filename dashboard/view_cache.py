"""The wall's pictures, built once and shared by every screen that asks.

Twenty screens at one feed position ask for the same ``CommandView``: it is
built once per key (``shared_view``), its derived values once per view
(``memo``), and a screen's shown layers are found again by digest
(``shown_layer``) so an update can be sent as point edits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import OrderedDict

from dashboard import map_view
from dashboard.live import layer_digests
from dashboard.map_view import CommandView, current_minute, database_of, map_area
from dashboard.view_share import current_share

_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16
_BUILDING: dict = {}  # key -> the lock held by the thread building that view
FLASH_REBUILD_S = 1.0


def shared_view(store, *, lang: str, screen: dict | None, prepare=None, **options) -> CommandView:
    """``command_view``, built once per change-feed position for all screens alike.

    Twenty screens ticking every second or two ask for the same picture: it
    is built once per (feed position, language, screen size, focus) and
    handed out until the feed moves. Screens that ask while it is being
    built wait for that build instead of starting their own: the threads of
    a worker on a lock of the worker, the workers of ``serve`` on a lock file
    of their shared directory (``dashboard.view_share``), where the first
    leaves the picture for the others. While a new urgent incident's ring is
    up the picture is rebuilt at most once every ``FLASH_REBUILD_S``, so the
    ring goes out on time.

    ``prepare(view)``, if given, runs once on a new picture before the other
    workers may read it: what it memoises (``memo``) goes to them with it.
    """
    width, height, _ = map_area(screen)
    key = (
        database_of(store),
        store.latest_seq(),
        current_minute(),
        lang,
        round(width),
        round(height),
        tuple(sorted(options.items())),
    )
    with _CACHE_LOCK:
        view = _fresh(key)
        if view is not None:
            return view
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _CACHE_LOCK:
            view = _fresh(key)  # built while this screen waited
        if view is None:
            view, built = _built_once(key, lambda: _build(store, lang, screen, options, prepare))
            with _CACHE_LOCK:
                _CACHE[key] = (view, built)
                while len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
    with _CACHE_LOCK:
        _BUILDING.pop(key, None)
    return view


def _build(store, lang: str, screen: dict | None, options: dict, prepare=None) -> CommandView:
    now = dt.datetime.now(dt.UTC)
    view = map_view.command_view(store, lang=lang, screen=screen, now=now, **options)
    view = dataclasses.replace(view, digests=layer_digests(view.layers))
    if prepare is not None:
        prepare(view)
    return view


def _built_once(key, build) -> tuple[CommandView, float]:
    """The view for ``key`` and when it was built: another worker's, if it
    built it already (and its ring is not due a rebuild), else ``build()``'s,
    left for the others."""
    share = current_share()
    if share is None:
        return build(), time.time()
    with share.building(key):
        held = share.get(key)
        if held is not None and not _due_again(*held):
            return held
        view, built = build(), time.time()
        share.put(key, view, built)
        return view, built


def _due_again(view: CommandView, built: float) -> bool:
    """A flash ring is up and the picture is older than ``FLASH_REBUILD_S``."""
    return view.flash_until is not None and time.time() - built >= FLASH_REBUILD_S


def _fresh(key) -> CommandView | None:
    """The cached view for ``key`` unless a flash ring means it is due a rebuild."""
    entry = _CACHE.get(key)
    if entry is None or _due_again(*entry):
        return None
    _CACHE.move_to_end(key)
    return entry[0]


_MEMO_LOCK = threading.RLock()  # one computation of a shared value at a time


def memo(view, key, make):
    """``make()`` computed once per view and ``key``: twenty screens at the same
    feed position get the same panels and the same layer edits, so they are
    built once, not once per screen. Screens that ask while it is computed
    wait for it: they come together when the feed moves, and each computing
    its own copy cost a worker several times the work (the panels were 43 %
    of the workers' CPU in bench/screens.py). A view without ``shared``
    computes it."""
    shared = getattr(view, "shared", None)
    if shared is None:
        return make()
    try:
        return shared[key]
    except KeyError:
        pass
    with _MEMO_LOCK:
        try:
            return shared[key]
        except KeyError:
            value = shared[key] = make()
            return value


def shown_layer(name: str, digest: str | None) -> dict | None:
    """Layer ``name`` as a screen shows it (by its digest), if this worker still holds it.

    A screen keeps the digests of what it shows; with that value at hand the
    next update can be sent as point edits (``dashboard.live``).
    """
    if digest is None:
        return None
    with _CACHE_LOCK:
        for view, _ in reversed(_CACHE.values()):
            if (view.digests or {}).get(name) == digest:
                return view.layers[name]
    return None
