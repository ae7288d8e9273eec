"""Every incident's review columns, kept in memory and brought up to date
from the change feed.

A filter change on the review screen must answer in well under a second at
region scale (300,000 incidents), and reading that many rows takes seconds.
So each worker keeps one frame of all incidents and, before each use, asks
the change feed what changed since it last looked: changed incidents are read
again by id, a change to the city's boundaries (or more changes than are
worth patching) reads everything again. Each use therefore sees every commit
made before it started, the same on every worker: no state a second worker
would not see.
"""

from __future__ import annotations

import threading
import time
import weakref

import pandas as pd

# Entities whose changes can move incidents between grids, or remove them.
_RELOAD_ENTITIES = frozenset({"city", "town", "community", "grid"})
MAX_PATCHED = 5_000  # more changed incidents than this: read everything again


class IncidentCache:
    """All incidents of one store as ``Store.review_rows`` returns them,
    sorted by reported_at (then id)."""

    def __init__(self, store):
        self._store = weakref.ref(store)
        self._lock = threading.Lock()
        self._frame: pd.DataFrame | None = None
        self._seq = -1
        self.loads = 0  # full reads, for tests and benchmarks
        self.patches = 0
        self.last_refresh_s = 0.0

    def frame(self) -> pd.DataFrame:
        """The incidents as of now (do not modify the frame)."""
        store = self._store()
        if store is None:
            raise RuntimeError("the store of this cache is closed")
        with self._lock:
            started = time.perf_counter()
            latest = store.latest_seq()
            if self._frame is None or latest < self._seq:
                self._reload(store, latest)
            elif latest > self._seq:
                self._catch_up(store, latest)
            self.last_refresh_s = time.perf_counter() - started
            return self._frame

    def _reload(self, store, latest: int) -> None:
        self._frame = _sorted(store.review_rows())
        self._seq = latest
        self.loads += 1

    def _catch_up(self, store, latest: int) -> None:
        changes = store.changed_entities(self._seq, MAX_PATCHED + 1)
        if len(changes) > MAX_PATCHED or changes["entity"].isin(_RELOAD_ENTITIES).any():
            self._reload(store, latest)
            return
        incident_ids = (
            pd.to_numeric(
                changes.loc[changes["entity"] == "incident", "entity_id"], errors="coerce"
            )
            .dropna()
            .astype("int64")
            .unique()
        )
        # The feed is in commit order: reading these rows now sees at least
        # the state of every change up to ``latest``.
        seen = int(changes["seq"].max()) if len(changes) else latest
        if len(incident_ids):
            fresh = store.review_rows(incident_ids.tolist())
            kept = self._frame[~self._frame["id"].isin(fresh["id"])]
            self._frame = _sorted(pd.concat([kept, fresh], ignore_index=True))
            self.patches += 1
        self._seq = max(seen, self._seq)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["reported_at", "id"], kind="stable").reset_index(drop=True)


_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def incident_cache(store) -> IncidentCache:
    """The one cache of ``store`` in this process."""
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = IncidentCache(store)
        return cache
