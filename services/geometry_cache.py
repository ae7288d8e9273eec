"""What a worker derives from the city's boundaries, kept per store until a
boundary changes.

A value is held against the store object itself (weakly: it goes with its
store) and the store's geometry version, never against ``id(store)``: Python
gives a freed store's id to the next object, so a store opened later on
another database could be handed the first one's city.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerGeometry(Generic[T]):
    """One value per store, built again when its geometry version moves on."""

    def __init__(self, build: Callable[[object], T]):
        self._build = build
        self._held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # one build at a time, not one per request thread

    def __call__(self, store) -> T:
        version = store.geometry_version()
        with self._lock:
            found = self._held.get(store)
            if found is None or found[0] != version:
                found = self._held[store] = (version, self._build(store))
            return found[1]
