"""Time until the wall at / is drawn, against the same layers as a folium page, in one run.

    .venv/bin/python bench/map_draw.py [--scale county[,region]] [--repeat N]
        [--viewport 1920x1080,3840x2160] [--busy N] [--database-url URL] [--json]

Starts `python app.py serve` (scripts.app_process) on a seeded database (a
temporary SQLite file seeded first, not timed, unless --database-url names a
seeded one), writes the same layers as a folium page (bench/folium_map.py:
Leaflet from dash-leaflet, SVG, folium's default) from the same database and serves it
on 127.0.0.1. Then, per viewport, it times the two pages interleaved (wall,
folium, folium, wall, ...), each in a fresh browser context (empty cache; the
wall signed in with a display key first, untimed), --repeat times; and the
same again with the CPU kept busy by the benchmark itself: --busy processes
spinning from just before page.goto until the page is drawn (each also stops
by itself after --timeout seconds).

"Drawn" is the same for both pages, whatever draws them: the map area (the
``.leaflet-container`` box) is captured again and again (JPEG screenshots
clipped to it, as fast as the browser gives them); the page is drawn at the
first capture identical to the final picture. The final picture is the one
that held still for --quiet seconds after the page said its layers were all
on the map (the wall: scripts.chromium.MAP_STATE_JS; folium: every vector
layer added). The resolution is one capture (about 0.1 s at 1080p, more at 4K).

At county scale, on the same server, it then also times (skip with 0):

- report POST → on screen (--screens, default 20: --browser-screens real
  Chromium walls, the rest protocol screens; bench/screens.py's live run):
  p50 and p95, --reports reports one every --every seconds; with the CPU
  kept busy by --live-busy spinning processes if given;
- click → redrawn (--clicks runs each, bench/map_clicks.py): a review drill,
  a console selection, an event area drawn.

and, through the whole run, the browser's peak memory (PSS of its processes).

Prints the medians, the ratio wall / folium, and requests that left 127.0.0.1
(must be 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, scales_arg, seed, table  # noqa: E402
from scripts.app_process import app_process  # noqa: E402
from scripts.chromium import MAP_STATE_JS, launch, wait_for_map  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1"}


def viewports_arg(value: str) -> list[tuple[int, int]]:
    """Parse ``1920x1080,3840x2160`` for argparse."""
    return [tuple(int(n) for n in v.lower().split("x")) for v in value.split(",") if v.strip()]


def leaves_host(url: str) -> bool:
    """True for a request to anything but this machine (data: and blob: stay local)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS


def display_key(url: str, name: str = "bench wall") -> str:
    """A new display key (a read-only wall, the whole city) in the database at ``url``."""
    from data.store import Store

    store = Store.open(url)
    try:
        return store.create_api_key(name, actor="bench", scopes="display")
    finally:
        store.close()


def revoke_key(url: str, key: str) -> None:
    """Revoke ``key`` (by its prefix) in the database at ``url``."""
    from data.store import Store

    store = Store.open(url)
    try:
        store.revoke_api_keys(key[:10], actor="bench")
    finally:
        store.close()


def wall_context(browser, base: str, key: str, viewport: tuple[int, int], **options):
    """A fresh browser context (empty cache) signed in as a video wall.

    The display key is exchanged for the wall's session cookie the way a wall
    does it once (GET /?key=..., answered by a redirect that sets the cookie),
    through the context's own request client, so the browser cache stays empty
    and no page is loaded. Raises RuntimeError when the server refuses the key.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **options)
    answer = context.request.get(f"{base}/?key={key}", max_redirects=0)
    if answer.status != 302 or not context.cookies():
        context.close()
        raise RuntimeError(
            f"the display key was refused: HTTP {answer.status} {answer.text()[:200]}"
        )
    return context


def health(base: str) -> dict:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{base}/api/v1/health", timeout=60) as response:
        return json.loads(response.read())


def wait_drawn(page, grids: int, timeout: float) -> tuple[dict, float]:
    """scripts.chromium.wait_for_map: the state, and seconds until every layer was on the map."""
    return wait_for_map(page, min_grids=grids, timeout_s=timeout)


WALL_READY_JS = f"""(grids) => {{
    const s = ({MAP_STATE_JS})();
    return Boolean(s && s.grids >= grids && s.gridsDrawn >= grids && s.incidentsDrawn > 0
                   && s.cadresDrawn > 0 && s.townLabelsDrawn > 0);
}}"""
MAP_BOX_JS = """() => {
    const m = document.querySelector('.leaflet-container');
    const r = m && m.getBoundingClientRect();
    return r && r.width > 0 ? {x: r.x, y: r.y, width: r.width, height: r.height} : null;
}"""


def visually_drawn(page, started: float, ready_js: str, arg, timeout: float, quiet: float):
    """Seconds from ``started`` until the map area first looked as it finally does.

    Captures the ``.leaflet-container`` box until ``ready_js(arg)`` holds and
    the picture then stays the same for ``quiet`` seconds; returns the time
    of the first capture equal to that final picture (see the module doc).
    """
    deadline = started + timeout
    captures: list[tuple[float, bytes]] = []
    ready_at = None
    while time.perf_counter() < deadline:
        box = page.evaluate(MAP_BOX_JS)
        if box is None:
            page.wait_for_timeout(20)
            continue
        at = time.perf_counter()
        shot = page.screenshot(clip=box, type="jpeg", quality=50, animations="allow")
        if captures and shot != captures[-1][1] and ready_at is not None:
            ready_at = time.perf_counter()  # it moved after being ready: wait for quiet again
        captures.append((at, shot))
        if ready_at is None and page.evaluate(ready_js, arg):
            ready_at = time.perf_counter()
        if ready_at is not None and time.perf_counter() - ready_at >= quiet:
            final = captures[-1][1]
            first = len(captures) - 1
            while first > 0 and captures[first - 1][1] == final:
                first -= 1
            return captures[first][0] - started, len(captures)
    raise TimeoutError(f"not drawn within {timeout} s")


@contextlib.contextmanager
def busy_cpu(processes: int, seconds: float):
    """``processes`` spinning Python processes, each ending by itself after ``seconds``."""
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    spinning = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(processes)]
    try:
        yield
    finally:
        for process in spinning:
            process.kill()
            process.wait()


def time_page(
    browser, page_url: str, viewport, ready_js, arg, args, *, wall_login=None, busy: int = 0
) -> dict:
    """One fresh-context load of ``page_url`` timed until visually drawn."""
    if wall_login:
        context = wall_context(browser, *wall_login, viewport)
    else:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with busy_cpu(busy, args.timeout):
            started = time.perf_counter()
            page.goto(page_url, timeout=args.timeout * 1000)
            drawn, captures = visually_drawn(page, started, ready_js, arg, args.timeout, args.quiet)
    finally:
        context.close()
    return {
        "drawn_s": drawn,
        "captures": captures,
        "errors": errors,
        "external_requests": sum(leaves_host(u) for u in requests),
    }


def bench_scale(browser, args, scale: str, workdir: Path) -> dict:
    """Seed if needed, serve the wall and the folium page, time both interleaved."""
    from bench.folium_map import (  # it imports this module: here, not at the top
        LAYERS_ADDED_JS,
        build_folium_page,
        expected_paths,
        serve_directory,
    )
    from data.store import Store
    from web.leaflet_files import leaflet_assets

    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(fresh_database(None))
        seed(url, scale)  # only when the database is empty
        key = display_key(url)
        if args.database_url:  # a database that outlives the benchmark keeps no live key
            stack.callback(revoke_key, url, key)
        store = Store.open(url)
        try:
            build_folium_page(store, workdir / scale, leaflet_assets())
            paths = expected_paths(store)
        finally:
            store.close()
        folium_base = stack.enter_context(serve_directory(workdir))
        log = workdir / f"server-{scale}.log"
        base = stack.enter_context(
            app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(log)}, timeout=600)
        )
        grids = health(base)["counts"]["grids"]
        print(f"serving {scale} at {base} ({grids:,} grids; log {log})", flush=True)
        pages = {
            "wall": (base + "/", WALL_READY_JS, grids, (base, key)),
            "folium": (f"{folium_base}/{scale}/index.html", LAYERS_ADDED_JS, paths, None),
        }
        results: dict = {}
        if scale == "county" and args.screens:
            results["live"] = live_run(browser, base, url, key, grids, args)
        if scale == "county" and args.clicks:
            from bench.map_clicks import clicks_run

            results["clicks"] = clicks_run(browser, base, url, args.clicks)
        for viewport in args.viewport if args.repeat else ():  # --repeat 0: no draws timed
            size = f"{viewport[0]}x{viewport[1]}"
            for load, busy in (("quiet", 0), ("busy", args.busy)):
                runs: dict[str, list] = {"wall": [], "folium": []}
                for i in range(args.repeat):
                    for name in ("wall", "folium") if i % 2 == 0 else ("folium", "wall"):
                        page_url, ready, arg, login = pages[name]
                        run = time_page(
                            browser,
                            page_url,
                            viewport,
                            ready,
                            arg,
                            args,
                            wall_login=login,
                            busy=busy,
                        )
                        runs[name].append(run)
                        print(
                            f"  {scale} {size} {load} {name}: {run['drawn_s']:.2f} s "
                            f"({run['captures']} captures)",
                            flush=True,
                        )
                results[f"{size} {load}"] = {
                    name: {
                        "drawn_s": statistics.median(r["drawn_s"] for r in rs),
                        "max_s": max(r["drawn_s"] for r in rs),
                        "external_requests": sum(r["external_requests"] for r in rs),
                        "errors": sorted({e for r in rs for e in r["errors"]}),
                        "runs": rs,
                    }
                    for name, rs in runs.items()
                }
        return results


def live_run(browser, base: str, url: str, wall_key: str, grids: int, args) -> dict:
    """Report POST → on screen at --screens screens (bench/screens.py's live run)."""
    from bench.screens import screens_run
    from data.store import Store

    store = Store.open(url)
    try:
        key = store.create_api_key("bench reports", actor="bench", scopes="open311")
        frame = store.grids(geometry=False)
        points = list(zip(frame["lon"], frame["lat"], strict=True))[:: max(1, len(frame) // 50)]
    finally:
        store.close()
    try:
        with busy_cpu(args.live_busy, args.timeout + args.reports * args.every):
            return screens_run(browser, base, wall_key, key, points, grids, args)
    finally:
        revoke_key(url, key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=scales_arg, default=["county"])
    parser.add_argument("--viewport", type=viewports_arg, default=[(1920, 1080), (3840, 2160)])
    parser.add_argument("--database-url", help="an already seeded database (one scale)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--busy", type=int, default=4, help="busy processes in the busy runs")
    parser.add_argument("--quiet", type=float, default=1.5, help="seconds the picture holds still")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per page")
    parser.add_argument("--screens", type=int, default=20, help="screens for report→screen")
    parser.add_argument("--browser-screens", type=int, default=1, help="of them real Chromium")
    parser.add_argument("--reports", type=int, default=10, help="reports posted, one per --every")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between reports")
    parser.add_argument(
        "--refresh",
        type=float,
        default=1.0,
        help="the screens' refresh, s (the wall's default, GC_REFRESH_S)",
    )
    parser.add_argument(
        "--live-busy",
        type=int,
        default=0,
        help="busy processes through the report→screen run (0: none)",
    )
    parser.add_argument(
        "--no-listen",
        action="store_true",
        help="protocol screens only check every --refresh (no long poll, as gc_live.js does)",
    )
    parser.add_argument("--clicks", type=int, default=3, help="runs of each click (0: none)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.database_url and len(args.scale) != 1:
        parser.error("--database-url holds one city: give its --scale (county or region)")

    from playwright.sync_api import sync_playwright

    from bench.map_clicks import peak_memory

    results = {}
    with (
        tempfile.TemporaryDirectory(prefix="gc-draw-") as tmp,
        sync_playwright() as pw,
        peak_memory(os.getpid()) as memory,
    ):
        browser = launch(pw)
        try:
            for scale in args.scale:
                results[scale] = bench_scale(browser, args, scale, Path(tmp))
        finally:
            browser.close()

    rows, extra = [], []
    for scale, per_case in results.items():
        live, clicks = per_case.pop("live", None), per_case.pop("clicks", None)
        if live:
            who = f"{live['browser_screens']} browser + {live['protocol_screens']} protocol screens"
            extra += [
                [f"report POST → drawn on a browser wall, {k} s ({who})", f"{live[f'{k}_s']:.2f}"]
                for k in ("p50", "p95")
            ]
            extra += [
                [
                    f"report POST → answer at a protocol screen, {k} s",
                    f"{live[f'protocol_{k}_s']:.2f}",
                ]
                for k in ("p50", "p95")
            ]
            extra += [
                [
                    "  (report, screen) pairs seen / missing",
                    f"{live['pairs'] + live['protocol_pairs']} / "
                    f"{live['missing'] + live['protocol_missing']}",
                ]
            ]
            per_case["live"] = live
        for name, r in (clicks or {}).items():
            extra.append(
                [
                    f"{name}: click → redrawn, median ms (max), {scale}",
                    f"{r['median_ms']:.0f} ({r['max_ms']:.0f})",
                ]
            )
        if clicks:
            per_case["clicks"] = clicks
        for case, r in per_case.items():
            if case in ("live", "clicks"):
                continue
            wall, peer = r["wall"], r["folium"]
            rows.append(
                [
                    scale,
                    case,
                    wall["drawn_s"],
                    peer["drawn_s"],
                    f"{wall['drawn_s'] / peer['drawn_s']:.2f}",
                    wall["max_s"],
                    peer["max_s"],
                    wall["external_requests"] + peer["external_requests"],
                    len(wall["errors"]) + len(peer["errors"]),
                ]
            )
    headers = ["scale", "viewport, CPU", "wall med s", "folium med s", "wall/folium"]
    headers += ["wall max s", "folium max s", "external", "JS errors"]
    print(
        f"\nmap_draw: drawn = the map area stops changing; {args.repeat} run(s) each, "
        f"interleaved, fresh context per run; busy = {args.busy} spinning processes\n"
    )
    print(table(rows, headers))
    extra.append(
        [
            "browser peak memory through the run (PSS of its processes), MiB",
            f"{memory['peak_mib']:.0f}",
        ]
    )
    print()
    print(table(extra, ["figure", "value"]))
    if args.json:
        emit_json(
            {
                "benchmark": "map_draw",
                "repeat": args.repeat,
                "busy": args.busy,
                "scales": results,
                "peak_mib": memory["peak_mib"],
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
