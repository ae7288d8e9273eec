"""Time until the command map is drawn in headless Chromium, against the real server.

    .venv/bin/python bench/map_draw.py [--scale county[,region]] [--repeat N]
        [--viewport 1920x1080,3840x2160] [--database-url URL] [--json]

Starts `python app.py serve` (scripts.app_process) on a seeded database: a
temporary SQLite file seeded first (not timed; the region takes minutes) unless
--database-url names a seeded one. The screen at / is for signed-in people and
video walls only, so the benchmark issues a display key (scopes "display"; in a
--database-url database it is revoked at the end). Each run opens a fresh
browser context (empty cache) as a wall: the context exchanges the key for its
session cookie (GET /?key=..., not timed, as a wall does once when it is set
up), then opens / and waits with scripts.chromium.wait_for_map until MapLibre
has drawn every grid, the incidents and the cadres. Per run it records:

- navigation_s: page.goto until the page's load event;
- load_to_drawn_s: from then until the map first reported itself drawn;
- total_s: from the start of page.goto until drawn (the figure that matters);
- requests to anything but 127.0.0.1 (must be 0).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
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
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  **options)  # fmt: skip
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
    """wait_for_map, retried while MAP_STATE_JS throws because the map is between styles.

    Returns the state and the seconds from this call until the map was drawn.
    """
    from playwright.sync_api import Error

    started = time.perf_counter()
    while True:
        attempt = time.perf_counter()
        left = max(0.1, timeout - (attempt - started))
        try:
            state, drawn = wait_for_map(page, min_grids=grids, timeout_s=left)
            return state, attempt - started + drawn
        except Error as exc:
            if "Cannot read properties of undefined" not in str(exc) or left <= 0.1:
                raise
            page.wait_for_timeout(100)


def one_run(
    browser, base: str, key: str, viewport: tuple[int, int], grids: int, timeout: float
) -> dict:
    """Open / as a wall in a fresh context and time it until the map is drawn."""
    context = wall_context(browser, base, key, viewport)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        started = time.perf_counter()
        page.goto(base + "/", timeout=timeout * 1000)
        loaded = time.perf_counter()
        try:
            state, drawn = wait_drawn(page, grids, timeout)
            timed_out = False
        except TimeoutError:
            state, drawn, timed_out = page.evaluate(MAP_STATE_JS), float("nan"), True
    finally:
        context.close()
    outside = [u for u in requests if leaves_host(u)]
    return {
        "navigation_s": loaded - started,
        "load_to_drawn_s": drawn,
        "total_s": loaded - started + drawn,
        "timed_out": timed_out,
        "state": state,
        "requests": len(requests),
        "external_requests": len(outside),
        "external_urls": outside[:10],
    }


def summarise(runs: list[dict], grids: int) -> dict:
    done = [r for r in runs if not r["timed_out"]] or runs
    last = runs[-1]["state"] or {}
    out = {"runs": runs, "timed_out": sum(r["timed_out"] for r in runs), "grids_total": grids}
    for key in ("navigation_s", "load_to_drawn_s", "total_s"):
        values = [r[key] for r in done]
        out[key] = {"median": statistics.median(values), "max": max(values)}
    out["grids_drawn"] = min((r["state"] or {}).get("grids", 0) for r in runs)
    for key in ("incidentPoints", "cadrePoints", "incidentsDrawn", "cadresDrawn"):
        out[key] = last.get(key)
    out["external_requests"] = sum(r["external_requests"] for r in runs)
    out["requests_per_load"] = statistics.median(r["requests"] for r in runs)
    return out


def bench_scale(browser, args, scale: str, workdir: Path) -> dict:
    """Seed if needed, serve, and time every viewport."""
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(fresh_database(None))
        seed(url, scale)  # only when the database is empty
        key = display_key(url)
        if args.database_url:  # a database that outlives the benchmark keeps no live key
            stack.callback(revoke_key, url, key)
        log = workdir / f"server-{scale}.log"
        env = {"DATABASE_URL": url, "GC_TEST_LOG": str(log)}
        base = stack.enter_context(app_process(env, timeout=600))
        grids = health(base)["counts"]["grids"]
        print(f"serving {scale} at {base} ({grids:,} grids; log {log})", flush=True)
        try:
            return time_viewports(browser, args, scale, base, key, grids)
        except Exception:
            tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
            print("\n".join(["server log, last lines:", *tail]), file=sys.stderr, flush=True)
            raise


def time_viewports(browser, args, scale: str, base: str, key: str, grids: int) -> dict:
    """Every viewport, --repeat fresh pages each."""
    results = {}
    for viewport in args.viewport:
        name = f"{viewport[0]}x{viewport[1]}"
        runs = []
        for i in range(args.repeat):
            run = one_run(browser, base, key, viewport, grids, args.timeout)
            runs.append(run)
            state = run["state"] or {}
            print(
                f"  {scale} {name} run {i + 1}: total {run['total_s']:.2f} s "
                f"(navigation {run['navigation_s']:.2f} s), {state.get('grids')} grids"
                + (" TIMED OUT" if run["timed_out"] else ""),
                flush=True,
            )
        results[name] = summarise(runs, grids)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=scales_arg, default=["county"])
    parser.add_argument("--viewport", type=viewports_arg, default=[(1920, 1080), (3840, 2160)])
    parser.add_argument("--database-url", help="an already seeded database (one scale)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per page")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.database_url and len(args.scale) != 1:
        parser.error("--database-url holds one city: give its --scale (county or region)")

    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory(prefix="gc-draw-") as tmp, sync_playwright() as pw:
        browser = launch(pw)
        try:
            for scale in args.scale:
                results[scale] = bench_scale(browser, args, scale, Path(tmp))
        finally:
            browser.close()

    rows = []
    for scale, per_viewport in results.items():
        for name, r in per_viewport.items():
            rows.append(
                [
                    scale,
                    name,
                    r["total_s"]["median"],
                    r["total_s"]["max"],
                    r["navigation_s"]["median"],
                    r["load_to_drawn_s"]["median"],
                    f"{r['grids_drawn']:,}/{r['grids_total']:,}",
                    r["incidentPoints"] or 0,
                    r["cadrePoints"] or 0,
                    r["external_requests"],
                    r["timed_out"],
                ]
            )
    headers = ["scale", "viewport", "total med s", "total max s", "nav med s"]
    headers += ["load→drawn med s", "grids", "incidents", "cadres", "external", "timeouts"]
    print(f"\nmap_draw: {args.repeat} run(s) each, fresh browser context per run\n")
    print(table(rows, headers))
    if args.json:
        emit_json({"benchmark": "map_draw", "repeat": args.repeat, "scales": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
