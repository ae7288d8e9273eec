"""The big screen: time to drawn, JSON per load and update, report-to-screen delay.

    .venv/bin/python bench/screens.py [--repeat N] [--screens N] [--reports N] [--json]

Seeds the county demo into a temporary SQLite file (not timed), issues two
keys: a display key, which every screen uses as a video wall does (``/?key=``
once, then its session cookie; the exchange is not timed), and an Open311 key
(default scopes) to post reports with. Starts one real `python app.py serve`
(default workers, default GC_INTAKE_RATE: a few reports stay far below it),
then:

1. times / until drawn (scripts.chromium.wait_for_map) at 1920x1080 and
   3840x2160, --repeat fresh browser contexts each (median);
2. counts JSON bytes on load (`_dash-update-component` responses and GeoJSON)
   and per update (the first `_dash-update-component` response carrying a new
   report). Sizes are decoded bodies (response.body()); on the wire they are
   gzip-compressed and smaller (the gzip level-6 size is shown beside them);
3. the folium (Leaflet) alternative on the same data (bench/folium_map.py):
   right after step 1, before any report is posted, a folium page of the same
   seeded database (SVG paths, folium's default; --folium-renderers svg,canvas
   adds prefer_canvas), served as a static file, timed the same way at both
   viewports, --repeat fresh contexts each. A folium page is static: showing
   one change means reloading the whole page, so its cost per update is its
   time to drawn and its HTML size;
4. opens --screens screens of /?refresh=2: --browser-screens real Chromium
   pages in one browser, the rest protocol screens (each its own wall session,
   posting the page's own refresh tick with the CSRF header dash-renderer
   sends, and listening as the page's assets/gc_live.js does: a long poll on
   /api/v1/changes/wait that makes it tick at once when the feed moves;
   --no-listen leaves only the ticks), POSTs --reports Open311 reports one
   every 3 s at real grid points and measures, polling every page every
   100 ms, the delay until each page's incidents trace holds the report.

The load average (/proc/loadavg) is printed at the start and at the end: on a
2-core machine a concurrent test run changes the figures.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, gzip_size, seed, table  # noqa: E402
from bench.map_draw import display_key, health, wait_drawn, wall_context  # noqa: E402
from scripts.app_process import app_process  # noqa: E402
from scripts.chromium import launch  # noqa: E402

VIEWPORTS = [(1920, 1080), (3840, 2160)]
SHOWN_JS = """
(ids) => {
    const shown = window.gc && window.gc.map ? window.gc.map.points('wall-incidents') : {};
    return ids.filter(id => id in shown);
}
"""


def is_dash(url: str) -> bool:
    return "_dash-update-component" in url


def is_geojson(url: str) -> bool:
    return "geojson" in urllib.parse.urlsplit(url).path


def body(response) -> bytes:
    try:
        return response.body()
    except Exception:  # a redirect, or a response gone with its page
        return b""


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def load_run(
    browser, base: str, key: str, viewport: tuple[int, int], grids: int, timeout: float
) -> dict:
    """Open / as a wall in a fresh context; seconds until drawn and JSON bytes received."""
    context = wall_context(browser, base, key, viewport)
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    try:
        started = time.perf_counter()
        page.goto(base + "/", timeout=timeout * 1000)
        loaded = time.perf_counter() - started
        _, drawn = wait_drawn(page, grids, timeout)
        dash = [body(r) for r in responses if is_dash(r.url)]
        geo = [body(r) for r in responses if is_geojson(r.url)]
    finally:
        context.close()
    return {
        "total_s": loaded + drawn,
        "dash_bytes": sum(map(len, dash)),
        "dash_gzip_bytes": sum(map(gzip_size, dash)),
        "dash_responses": len(dash),
        "geojson_bytes": sum(map(len, geo)),
        "geojson_responses": len(geo),
        "geojson_gzip_bytes": sum(map(gzip_size, geo)),
    }


def map_part_bytes(raw: bytes) -> int:
    """Bytes of the map's own part (the command-map figure, a patch) in a
    callback answer, re-serialised as UTF-8 JSON; 0 when the answer has none."""
    try:
        figure = json.loads(raw)["response"].get("command-map", {}).get("figure")
    except (ValueError, KeyError, AttributeError):
        return 0
    return 0 if figure is None else len(json.dumps(figure, ensure_ascii=False).encode())


def post_report(base: str, key: str, lon: float, lat: float, n: int) -> str:
    form = {
        "api_key": key,
        "service_code": "garbage",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": f"bench screens report {n}",
    }
    request = urllib.request.Request(
        f"{base}/open311/v2/requests.json", data=urllib.parse.urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())[0]["service_request_id"])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


def dash_tick_template(page) -> dict:
    """The body of the refresh tick a screen posts, captured from a real page."""
    captured: list[dict] = []

    def keep(request):
        body = request.post_data if is_dash(request.url) else None
        if body and '"refresh.n_intervals"' in body and '"live-state"' in body:
            captured.append(json.loads(body))

    page.on("request", keep)
    page.wait_for_function("() => true")
    deadline = time.perf_counter() + 30
    while not captured and time.perf_counter() < deadline:
        page.wait_for_timeout(200)
    page.remove_listener("request", keep)
    if not captured:
        raise RuntimeError("no refresh tick seen from the screen in 30 s")
    return captured[-1]


def wall_opener(base: str, key: str) -> urllib.request.OpenerDirector:
    """An HTTP client holding a wall's session: ``/?key=`` once, as a wall does.

    The redirect it answers with sets the session cookie, and the page it
    leads to the ``_csrf_token`` cookie that dash-renderer sends back in
    X-CSRFToken with every callback.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/?{urllib.parse.urlencode({'key': key})}", timeout=60) as answer:
        answer.read()
        landed = answer.url
    if urllib.parse.urlsplit(landed).path != "/" or csrf_token(opener) is None:
        raise RuntimeError(f"the display key did not open the wall (landed on {landed})")
    return opener


def csrf_token(opener: urllib.request.OpenerDirector) -> str | None:
    """The ``_csrf_token`` cookie of a wall_opener, as dash-renderer reads it."""
    for handler in opener.handlers:
        if isinstance(handler, urllib.request.HTTPCookieProcessor):
            for cookie in handler.cookiejar:
                if cookie.name == "_csrf_token":
                    return cookie.value
    return None


class ProtocolScreen(threading.Thread):
    """A screen without a browser: a wall session of its own (display key,
    then cookies), posting the page's own refresh tick every ``period``
    seconds with the CSRF header, carrying its live state from answer to
    answer exactly as the page does, and noting when each report first
    reaches it. With ``listen``, it also does what the page's
    assets/gc_live.js does: it keeps a long poll open on
    /api/v1/changes/wait and ticks at once when the feed moves past what it
    shows."""

    def __init__(
        self,
        base: str,
        key: str,
        template: dict,
        period: float,
        stop: threading.Event,
        listen: bool = True,
    ):
        super().__init__(daemon=True)
        self.base, self.template, self.period, self.stop = base, template, period, stop
        self.opener = wall_opener(base, key)
        self.state = None
        self.seen: dict[str, float] = {}  # id -> perf_counter when received
        self.bytes: list[int] = []
        self.errors = 0
        self.wake = threading.Event()  # set by the listener: tick now
        self.pushes = 0
        if listen:
            threading.Thread(target=self.listen, daemon=True).start()

    def listen(self) -> None:
        """The page's listener (assets/gc_live.js): wait for the feed to move
        past the position this screen shows, then wake the ticking thread."""
        heard = -1
        while not self.stop.is_set():
            shown = max(heard, (self.state or {}).get("seq", -1))
            url = f"{self.base}/api/v1/changes/wait?after={shown}"
            try:
                with self.opener.open(url, timeout=60) as response:
                    answer = json.loads(response.read())
            except Exception:
                self.stop.wait(5)
                continue
            if answer.get("busy"):
                self.stop.wait(5)
            elif answer["seq"] > shown and shown >= 0:
                heard = answer["seq"]
                self.pushes += 1
                self.wake.set()
            else:
                heard = max(heard, answer["seq"])

    def body(self, tick: int) -> bytes:
        tick_body = json.loads(json.dumps(self.template))
        for item in tick_body["inputs"]:
            if item["id"] == "refresh":
                item["value"] = tick
        for item in tick_body.get("state", []):
            if item["id"] == "live-state":
                item["value"] = self.state
        return json.dumps(tick_body).encode()

    def run(self) -> None:
        tick = 1000
        next_at = time.perf_counter() + random.uniform(0, self.period)
        while not self.stop.is_set():
            if self.wake.wait(max(0.0, next_at - time.perf_counter())):
                self.wake.clear()  # the listener heard the feed move: tick now
            else:
                next_at += self.period
            tick += 1
            request = urllib.request.Request(
                self.base + "/_dash-update-component",
                data=self.body(tick),
                headers={
                    "Content-Type": "application/json",
                    "Origin": self.base,
                    "X-CSRFToken": csrf_token(self.opener) or "",
                },
            )
            try:
                with self.opener.open(request, timeout=60) as response:
                    raw = response.read()
            except Exception:
                self.errors += 1
                continue
            if response.status == 204 or not raw:
                continue
            arrived = time.perf_counter()
            self.bytes.append(len(raw))
            answer = json.loads(raw)["response"]
            self.state = answer.get("live-state", {}).get("data", self.state)
            for public_id in re.findall(r"JZ[0-9A-Z-]+", raw.decode(errors="replace")):
                self.seen.setdefault(public_id, arrived)


def screens_run(
    browser, base: str, wall_key: str, key: str, points: list, grids: int, args
) -> dict:
    """N screens at once: --browser-screens real pages, the rest protocol screens.

    For a page the delay runs from the POST until the report's point is in
    its incidents trace (drawn); for a protocol screen until the answer that
    carries it arrives. Twenty walls are twenty machines: real pages here
    share the server's two cores, so they measure this machine's software
    rendering as much as the server. ``wall_key`` is the screens' display
    key, ``key`` the Open311 key the reports are posted with.
    """
    real = min(args.browser_screens, args.screens)
    context = wall_context(browser, base, wall_key, (1920, 1080))
    pages, responses = [], []
    stop = threading.Event()
    robots: list[ProtocolScreen] = []
    try:
        for _ in range(real):
            page = context.new_page()
            bucket: list = []
            responses.append(bucket)
            page.on("response", lambda r, b=bucket: b.append(r) if is_dash(r.url) else None)
            page.goto(base + f"/?refresh={args.refresh:g}", timeout=args.timeout * 1000)
            pages.append(page)
        for page in pages:
            wait_drawn(page, grids, args.timeout)
        template = dash_tick_template(pages[0])
        robots = [
            ProtocolScreen(base, wall_key, template, args.refresh, stop, listen=not args.no_listen)
            for _ in range(args.screens - real)
        ]
        for robot in robots:
            robot.start()
        time.sleep(args.refresh * 2)  # every screen has drawn once
        print(
            f"  {real} browser + {len(robots)} protocol screens; posting {args.reports} reports",
            flush=True,
        )
        posted: dict[str, float] = {}  # id -> perf_counter at POST
        pending = {i: set() for i in range(len(pages))}  # page -> ids not shown yet
        delays: list[float] = []
        next_post, n, deadline = time.perf_counter(), 0, None
        while n < args.reports or any(pending.values()):
            now = time.perf_counter()
            if n < args.reports and now >= next_post:
                lon, lat = points[n % len(points)]
                sent = time.perf_counter()
                public_id = post_report(base, key, lon, lat, n)
                posted[public_id] = sent
                for ids in pending.values():
                    ids.add(public_id)
                n, next_post = n + 1, sent + args.every
                deadline = sent + args.timeout
            for i, page in enumerate(pages):
                if pending[i]:
                    for public_id in page.evaluate(SHOWN_JS, sorted(pending[i])):
                        delays.append(time.perf_counter() - posted[public_id])
                        pending[i].discard(public_id)
            if deadline and time.perf_counter() > deadline and n >= args.reports:
                break
            time.sleep(max(0.0, 0.1 - (time.perf_counter() - now)))
        time.sleep(args.refresh * 2)  # let the protocol screens catch the last report
        stop.set()
        for robot in robots:
            robot.join(timeout=60)
        missing = sum(len(ids) for ids in pending.values())
        robot_delays = [r.seen[i] - posted[i] for r in robots for i in posted if i in r.seen]
        robot_missing = sum(1 for r in robots for i in posted if i not in r.seen)
        update_bytes, map_bytes, refresh_bytes = [], [], []
        for bucket in responses:
            seen = set()
            for r in bucket:
                try:
                    raw = r.body()
                except Exception:
                    continue
                refresh_bytes.append(len(raw))
                for public_id in posted:
                    if public_id not in seen and public_id.encode() in raw:
                        seen.add(public_id)
                        update_bytes.append(len(raw))
                        map_bytes.append(map_part_bytes(raw))
    finally:
        stop.set()
        context.close()
    return {
        "browser_screens": real,
        "protocol_screens": len(robots),
        "pairs": len(delays),
        "missing": missing,
        "p50_s": pct(delays, 0.5),
        "p95_s": pct(delays, 0.95),
        "max_s": max(delays) if delays else float("nan"),
        "protocol_pairs": len(robot_delays),
        "protocol_missing": robot_missing,
        "protocol_p50_s": pct(robot_delays, 0.5),
        "protocol_p95_s": pct(robot_delays, 0.95),
        "protocol_errors": sum(r.errors for r in robots),
        "protocol_pushes": sum(r.pushes for r in robots),
        "update_bytes_median": statistics.median(update_bytes) if update_bytes else 0,
        "update_bytes_max": max(update_bytes) if update_bytes else 0,
        "update_map_bytes_median": statistics.median(map_bytes) if map_bytes else 0,
        "update_responses": len(update_bytes),
        "any_response_bytes_median": statistics.median(refresh_bytes) if refresh_bytes else 0,
    }


def renderers_arg(value: str) -> list[str]:
    """Parse ``svg,canvas`` for argparse."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names or any(n not in ("svg", "canvas") for n in names):
        raise ValueError(f"renderers are svg and/or canvas, not {value!r}")
    return names


def folium_run(browser, url: str, workdir: Path, args) -> dict:
    """The seeded database at ``url`` as a folium page, timed as our wall is.

    One page per renderer in --folium-renderers (svg: folium's default), served
    from ``workdir`` by a static file server, timed at every viewport in
    --repeat fresh contexts (bench.folium_map.time_folium). Returns the HTML
    sizes and median times, or {"skipped": why} when folium or Leaflet is
    not to be had here.
    """
    try:
        import folium

        from bench.folium_map import (
            RENDERERS,
            build_folium_page,
            expected_paths,
            serve_directory,
            time_folium,
        )
        from web.leaflet_files import LEAFLET_VERSION, leaflet_assets

        assets = leaflet_assets()
    except (ImportError, RuntimeError) as exc:
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    from data.store import Store

    store = Store.open(url)
    try:
        expected = expected_paths(store)
        pages = {
            name: build_folium_page(store, workdir / name, assets, prefer_canvas=RENDERERS[name])
            for name in args.folium_renderers
        }
    finally:
        store.close()
    out = {
        "folium": folium.__version__,
        "leaflet": LEAFLET_VERSION,
        "paths": expected,
        "renderers": {},
    }
    print(f"  folium {folium.__version__} page, {expected:,} paths", flush=True)
    with serve_directory(workdir) as site:
        for name, page in pages.items():
            raw = page.read_bytes()
            result = {"html_bytes": len(raw), "html_gzip_bytes": gzip_size(raw), "viewports": {}}
            for vp in VIEWPORTS:
                size = f"{vp[0]}x{vp[1]}"
                runs = [
                    time_folium(browser, f"{site}/{name}/index.html", vp, expected, args.timeout)
                    for _ in range(args.repeat)
                ]
                result["viewports"][size] = {
                    "total_s": statistics.median(r["total_s"] for r in runs),
                    "navigation_s": statistics.median(r["navigation_s"] for r in runs),
                    "external_requests": sum(r["external_requests"] for r in runs),
                    "js_errors": sum(len(r["errors"]) for r in runs),
                    "runs_s": [r["total_s"] for r in runs],
                }
                print(
                    f"  folium {name} {size}: {[round(r['total_s'], 2) for r in runs]} s",
                    flush=True,
                )
            out["renderers"][name] = result
    return out


def folium_rows(out: dict) -> list[list[object]]:
    """The folium comparison's rows of the table."""
    fol = out.get("folium") or {"skipped": "no loads timed (--repeat 0)"}
    if "skipped" in fol:
        return [["folium comparison", f"skipped: {fol['skipped']}"]]
    loads, live = out["load"], out["live"]
    rows: list[list[object]] = []
    label = {"svg": "SVG, folium's default", "canvas": "prefer_canvas"}
    for name, r in fol["renderers"].items():
        for size, v in r["viewports"].items():
            rows.append([f"folium ({label[name]}) time to drawn {size}, median s", v["total_s"]])
            if size in loads:
                ratio = loads[size]["total_s"] / v["total_s"]
                rows.append(
                    [
                        f"  ours / folium {size}",
                        f"{ratio:.2f} (ours {loads[size]['total_s']:.2f} s)",
                    ]
                )
    svg = fol["renderers"].get("svg") or next(iter(fol["renderers"].values()))
    first = next(iter(loads.values()))
    ours = int(first["dash_bytes"] + first["geojson_bytes"])
    ours_gz = int(first["dash_gzip_bytes"] + first["geojson_gzip_bytes"])
    rows += [
        [
            f"folium page: HTML, data inline ({fol['paths']:,} paths), bytes (gzip)",
            f"{svg['html_bytes']:,} ({svg['html_gzip_bytes']:,})",
        ],
        ["ours on load: JSON, callbacks + GeoJSON, bytes (gzip)", f"{ours:,} ({ours_gz:,})"],
        ["  folium HTML / our JSON on load", f"{svg['html_bytes'] / ours:.2f}"],
    ]
    hd = svg["viewports"].get("1920x1080") or next(iter(svg["viewports"].values()))
    mb = svg["html_bytes"] / 1e6
    rows += [
        [
            "per update, folium: a static page, every change reloads it all",
            f"full reload, {hd['total_s']:.2f} s / {mb:.2f} MB",
        ],
        [
            "per update, ours: Dash patch of the changed points, and changed panels",
            f"{int(live['update_bytes_median']):,} bytes ({int(live['update_map_bytes_median']):,} "
            "map patch), no reload",
        ],
    ]
    external = sum(
        v["external_requests"] for r in fol["renderers"].values() for v in r["viewports"].values()
    )
    errors = sum(v["js_errors"] for r in fol["renderers"].values() for v in r["viewports"].values())
    rows.append(["  folium requests off 127.0.0.1 / JS errors", f"{external} / {errors}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument(
        "--browser-screens",
        type=int,
        default=1,
        help="how many of the screens are real Chromium pages (the rest "
        "post the page's own refresh tick)",
    )
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between reports")
    parser.add_argument("--refresh", type=float, default=2.0, help="the screens' refresh, s")
    parser.add_argument(
        "--no-listen",
        action="store_true",
        help="protocol screens only check every --refresh (no long poll, as gc_live.js does)",
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds per page/report")
    parser.add_argument(
        "--folium-renderers",
        type=renderers_arg,
        default=["svg"],
        help="folium pages to time: svg (folium's default) and/or canvas",
    )
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from data.store import Store

    out: dict = {
        "benchmark": "screens",
        "repeat": args.repeat,
        "screens": args.screens,
        "loadavg_start": load_average(),
    }
    print(f"load average at start: {out['loadavg_start']}", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="gc-screens-") as tmp,
        fresh_database(None) as url,
        sync_playwright() as pw,
    ):
        seed(url, "county")
        wall_key = display_key(url, "bench walls")
        store = Store.open(url)
        try:
            key = store.create_api_key("bench open311", actor="bench")
            frame = store.grids(geometry=False)
            points = list(zip(frame["lon"], frame["lat"], strict=True))[:: max(1, len(frame) // 50)]
        finally:
            store.close()
        log = Path(tmp) / "server.log"
        browser = launch(pw)
        try:
            with app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(log)}, timeout=600) as base:
                grids = health(base)["counts"]["grids"]
                print(f"serving county at {base} ({grids:,} grids)", flush=True)
                loads = {}
                for vp in VIEWPORTS if args.repeat else []:
                    name = f"{vp[0]}x{vp[1]}"
                    runs = [
                        load_run(browser, base, wall_key, vp, grids, args.timeout)
                        for _ in range(args.repeat)
                    ]
                    loads[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    loads[name]["runs"] = runs
                    print(f"  {name}: {[round(r['total_s'], 2) for r in runs]} s", flush=True)
                out["load"] = loads
                if loads:  # the same data as the wall just drew: no report posted yet
                    out["folium"] = folium_run(browser, url, Path(tmp) / "folium", args)
                out["live"] = screens_run(browser, base, wall_key, key, points, grids, args)
        except Exception:
            tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
            print("\n".join(["server log, last lines:", *tail]), file=sys.stderr)
            raise
        finally:
            browser.close()
    out["loadavg_end"] = load_average()

    rows = [[f"time to drawn {n}, median s", r["total_s"]] for n, r in out["load"].items()]
    first = next(iter(out["load"].values()), None)
    if first:
        rows += [
            [
                "JSON on load: _dash-update-component bytes (gzip)",
                f"{int(first['dash_bytes']):,} ({int(first['dash_gzip_bytes']):,})",
            ],
            ["  responses", int(first["dash_responses"])],
            [
                "JSON on load: GeoJSON bytes (gzip)",
                f"{int(first['geojson_bytes']):,} ({int(first['geojson_gzip_bytes']):,})",
            ],
            ["  responses (grids and towns, each fetch counted)", int(first["geojson_responses"])],
        ]
    live = out["live"]
    rows += [
        ["JSON per update carrying a report, median bytes", int(live["update_bytes_median"])],
        [
            "  of which the map's patch (the rest: side panels sent whole)",
            int(live["update_map_bytes_median"]),
        ],
        ["  largest", int(live["update_bytes_max"])],
        ["  any refresh response, median bytes", int(live["any_response_bytes_median"])],
    ]
    who = f"{live['browser_screens']} browser + {live['protocol_screens']} protocol screens"
    rows += [
        [f"POST→drawn on a browser screen {k} s ({who})", live[f"{k}_s"]]
        for k in ("p50", "p95", "max")
    ]
    rows += [["  (report, page) pairs seen / missing", f"{live['pairs']} / {live['missing']}"]]
    rows += [
        [f"POST→answer at a protocol screen {k} s", live[f"protocol_{k}_s"]] for k in ("p50", "p95")
    ]
    rows += [
        [
            "  pairs seen / missing / failed ticks",
            f"{live['protocol_pairs']} / {live['protocol_missing']} / {live['protocol_errors']}",
        ]
    ]
    rows += folium_rows(out)
    rows += [
        [
            "load average (1, 5, 15 min) at start / end",
            f"{out['loadavg_start']} / {out['loadavg_end']}",
        ]
    ]
    print(f"\nscreens: county, {args.repeat} load(s) per viewport; byte counts are decoded")
    print("bodies (response.body()); the wire carries them gzip-compressed.\n")
    print(table(rows, ["figure", "value"]))
    if args.json:
        emit_json(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
