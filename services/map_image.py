"""PNG images of maps, drawn in this process, one at a time, with a small cache.

The drawing itself (``layers.review_png``: geopandas on matplotlib's Agg
backend) needs no browser and no network; a county map takes a fraction of a
second. Drawing is CPU work and matplotlib's font cache is shared, so one
image is drawn at a time per process: a request waits for its turn at most
``wait_s`` (then Unavailable, HTTP 503 with Retry-After), and more than
``max_waiting`` requests at once are turned away at once. The same picture
asked again (a print view reloaded, an export bookmarked) is answered from a
small cache keyed by what is drawn.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from domain.errors import Unavailable

WAIT_S = 30.0  # a request waits this long for its turn to draw
MAX_WAITING = 4  # more requests than this at once are turned away at once
CACHE_SIZE = 16  # images kept (about 0.1–1 MB each)


def image_key(*parts: object) -> str:
    """A cache key of everything that decides a picture (bytes kept as they are)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


class MapImages:
    """Draws images one at a time and keeps the last few; thread-safe."""

    def __init__(
        self,
        *,
        wait_s: float = WAIT_S,
        max_waiting: int = MAX_WAITING,
        cache_size: int = CACHE_SIZE,
    ):
        self.wait_s = wait_s
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the cache
        self._drawing = threading.Lock()  # one drawing at a time
        self._waiting = threading.BoundedSemaphore(max_waiting)

    def png(self, key: str, draw: Callable[[], bytes]) -> bytes:
        """The image of ``key``: from the cache, or ``draw()`` when it is this
        request's turn. Raises Unavailable when too many wait or the turn does
        not come within ``wait_s``."""
        cached = self.cached(key)
        if cached is not None:
            return cached
        if not self._waiting.acquire(blocking=False):
            raise Unavailable(
                "too many map images are being drawn; try again shortly",
                zh="正在生成的地图图片过多，请稍后再试",
            )
        try:
            if not self._drawing.acquire(timeout=self.wait_s):
                raise Unavailable(
                    f"no map image could be drawn within {self.wait_s:g} s; try again shortly",
                    zh="地图图片生成繁忙，请稍后再试",
                )
            try:
                image = self.cached(key) or draw()  # drawn meanwhile by the request ahead
            finally:
                self._drawing.release()
        finally:
            self._waiting.release()
        with self._lock:
            self._cache[key] = image
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return image

    def cached(self, key: str) -> bytes | None:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None


MAP_IMAGES = MapImages()
