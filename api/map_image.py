"""PNG images of plotly map figures, drawn by one headless Chromium per process.

Kaleido (1.x) drives the system Chromium through choreographer: plotly.js and
MapLibre draw the figure in a page and hand back the picture, so an exported
map is the same drawing as the screen's. MapLibre needs WebGL; with no GPU
Chromium falls back to SwiftShader (kaleido passes --enable-unsafe-swiftshader).
Nothing is fetched: plotly.js comes from the plotly package, MathJax is off,
and the review map's style has no remote sources.

Starting Chromium takes a few seconds and a county map takes several more, so
the browser is started on the first image and kept, and requests wait for it
at most ``timeout_s`` (then Unavailable, HTTP 503 with Retry-After). The same
figure at the same size is answered from a small cache.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import os
import shutil
import threading
from collections import OrderedDict

from domain.errors import Unavailable

log = logging.getLogger(__name__)

TIMEOUT_S = 90.0  # a request waits this long for its image, queueing included
START_TIMEOUT_S = 60.0  # Chromium starts in a few seconds; something is wrong past this
RENDER_TIMEOUT_S = 60.0  # one drawing, once the browser has a tab for it
MAX_WAITING = 4  # more requests than this at once are turned away at once
CACHE_SIZE = 16  # images kept (about 0.1–1 MB each)


def browser_path() -> str | None:
    """The Chromium to drive: GC_BROWSER (as the tests and scripts use) or the system's."""
    configured = os.environ.get("GC_BROWSER")
    if configured:
        return configured if os.path.exists(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def figure_key(figure: dict, width: int, height: int, scale: float = 1) -> str:
    text = json.dumps(figure, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{width}x{height}x{scale}:{text}".encode()).hexdigest()


class MapImages:
    """One kaleido browser on its own event-loop thread; thread-safe.

    ``png(figure, width, height)`` blocks the calling request thread only,
    for at most ``timeout_s``.
    """

    def __init__(self, *, timeout_s: float = TIMEOUT_S, render_timeout_s: float = RENDER_TIMEOUT_S,
                 cache_size: int = CACHE_SIZE):  # fmt: skip
        self.timeout_s, self.render_timeout_s = timeout_s, render_timeout_s
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the cache
        self._start_lock = threading.Lock()  # the browser
        self._waiting = threading.BoundedSemaphore(MAX_WAITING)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._thread: threading.Thread | None = None
        self._pid = None

    def png(self, figure: dict, width: int, height: int, scale: float = 1) -> bytes:
        """The figure laid out at ``width`` × ``height`` CSS pixels and drawn
        ``scale`` times as fine (2 for print: the text stays the size it was
        laid out at), as PNG bytes.

        Raises Unavailable when no browser can be started or the drawing
        takes longer than the timeout.
        """
        key = figure_key(figure, width, height, scale)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if not self._waiting.acquire(timeout=0.1):
            raise Unavailable("too many map images are being drawn; try again shortly",
                              zh="正在生成的地图图片过多，请稍后再试")  # fmt: skip
        try:
            image = self._draw(figure, width, height, scale)
        finally:
            self._waiting.release()
        with self._lock:
            self._cache[key] = image
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return image

    def _draw(self, figure: dict, width: int, height: int, scale: float) -> bytes:
        kaleido, loop = self._browser()
        opts = {"format": "png", "width": width, "height": height, "scale": scale}
        future = asyncio.run_coroutine_threadsafe(kaleido.calc_fig(figure, opts=opts), loop)
        try:
            return future.result(timeout=self.timeout_s)
        except TimeoutError:  # concurrent.futures.TimeoutError is this one
            future.cancel()
            raise Unavailable(f"the map image took longer than {self.timeout_s:.0f} s; "
                              "try again shortly", zh="地图图片生成超时，请稍后再试") from None  # fmt: skip
        except Exception as error:
            log.exception("drawing a map image failed; the browser is restarted next time")
            self.close()
            raise Unavailable("the map image could not be drawn; try again shortly",
                              zh="地图图片生成失败，请稍后再试") from error  # fmt: skip

    def _browser(self):
        """The open browser and its loop, started on first use (and in each forked worker)."""
        with self._start_lock:
            if self._kaleido is not None and self._pid == os.getpid():
                return self._kaleido, self._loop
            self._kaleido = self._loop = None  # a forked copy: its thread did not come along
            path = browser_path()
            if path is None:
                raise Unavailable("no Chromium to draw map images: install chromium "
                                  "(or set GC_BROWSER)", zh="服务器未安装 Chromium，无法生成地图图片")  # fmt: skip
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="map-images", daemon=True)
            thread.start()
            started: list = []
            try:
                asyncio.run_coroutine_threadsafe(self._open(path, started), loop).result(
                    timeout=START_TIMEOUT_S
                )
            except Exception as error:
                log.exception("could not start Chromium at %s for map images", path)
                self._stop(started[0] if started else None, loop, thread)
                raise Unavailable("the map image browser did not start; try again shortly",
                                  zh="地图图片服务未能启动，请稍后再试") from error  # fmt: skip
            self._kaleido, self._loop, self._pid = started[0], loop, os.getpid()
            self._thread = thread
            return self._kaleido, loop

    async def _open(self, path: str, started: list):
        import kaleido  # imported here: it registers plotly's JSON encoder on import

        browser = kaleido.Kaleido(n=1, timeout=self.render_timeout_s, mathjax=False, path=path,
                                  headless=True, enable_sandbox=False)  # fmt: skip
        started.append(browser)
        await browser.open()

    @staticmethod
    def _stop(kaleido, loop, thread) -> None:
        if kaleido is not None:
            try:
                asyncio.run_coroutine_threadsafe(kaleido.close(), loop).result(timeout=15)
            except Exception:  # closing a browser that already died
                log.warning("closing the map image browser failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=15)
        if not thread.is_alive():
            loop.close()

    def close(self) -> None:
        """Close the browser (it is started again on the next image)."""
        with self._start_lock:
            kaleido, loop, pid = self._kaleido, self._loop, self._pid
            self._kaleido = self._loop = None
            if kaleido is not None and loop is not None and pid == os.getpid():
                self._stop(kaleido, loop, self._thread)


MAP_IMAGES = MapImages()
atexit.register(MAP_IMAGES.close)
