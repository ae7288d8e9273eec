"""The big screen: time to drawn, JSON per load and update, report-to-screen delay.

    .venv/bin/python bench/screens.py [--repeat N] [--screens N] [--reports N] [--json]

Seeds the county demo into a temporary SQLite file (not timed), issues an API
key, starts one real `python app.py serve` (default workers), then:

1. times / until drawn (scripts.chromium.wait_for_map) at 1920x1080 and
   3840x2160, --repeat fresh browser contexts each (median);
2. counts JSON bytes on load (`_dash-update-component` responses and GeoJSON)
   and per update (the first `_dash-update-component` response carrying a new
   report). Sizes are decoded bodies (response.body()); on the wire they are
   gzip-compressed and smaller;
3. opens --screens pages of /?refresh=2 in one browser, POSTs --reports Open311
   reports one every 3 s at real grid points and measures, polling every page
   every 100 ms, the delay until each page's incidents trace holds the report;
4. the folium (Leaflet) alternative, only when folium and a local Leaflet exist.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
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

from bench._common import emit_json, fresh_database, seed, table  # noqa: E402
from bench.map_draw import health, wait_drawn  # noqa: E402
from scripts.app_process import app_process  # noqa: E402
from scripts.chromium import launch  # noqa: E402

VIEWPORTS = [(1920, 1080), (3840, 2160)]
SHOWN_JS = """
(ids) => {
    const gd = document.querySelector('#command-map .js-plotly-plot');
    const t = gd && gd.data && gd.data.find(t => t.uid === 'incidents');
    return t && t.ids ? ids.filter(id => t.ids.includes(id)) : [];
}
"""


def is_dash(url: str) -> bool:
    return "_dash-update-component" in url


def is_geojson(url: str) -> bool:
    return "geojson" in urllib.parse.urlsplit(url).path


def body_size(response) -> int:
    try:
        return len(response.body())
    except Exception:  # a redirect, or a response gone with its page
        return 0


def load_run(browser, base: str, viewport: tuple[int, int], grids: int, timeout: float) -> dict:
    """Open / in a fresh context; seconds until drawn and JSON bytes received."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    try:
        started = time.perf_counter()
        page.goto(base + "/", timeout=timeout * 1000)
        loaded = time.perf_counter() - started
        _, drawn = wait_drawn(page, grids, timeout)
        dash = [body_size(r) for r in responses if is_dash(r.url)]
        geo = [body_size(r) for r in responses if is_geojson(r.url)]
    finally:
        context.close()
    return {"total_s": loaded + drawn, "dash_bytes": sum(dash), "dash_responses": len(dash),
            "geojson_bytes": sum(geo)}  # fmt: skip


def post_report(base: str, key: str, lon: float, lat: float, n: int) -> str:
    form = {"api_key": key, "service_code": "garbage", "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}", "description": f"bench screens report {n}"}  # fmt: skip
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


class ProtocolScreen(threading.Thread):
    """A screen without a browser: it posts the page's own refresh tick every
    ``period`` seconds, carries its live state from answer to answer exactly
    as the page does, and notes when each report first reaches it."""

    def __init__(self, base: str, template: dict, period: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.template, self.period, self.stop = base, template, period, stop
        self.state = None
        self.seen: dict[str, float] = {}  # id -> perf_counter when received
        self.bytes: list[int] = []
        self.errors = 0

    def body(self, tick: int) -> bytes:
        body = json.loads(json.dumps(self.template))
        for item in body["inputs"]:
            if item["id"] == "refresh":
                item["value"] = tick
        for item in body.get("state", []):
            if item["id"] == "live-state":
                item["value"] = self.state
        return json.dumps(body).encode()

    def run(self) -> None:
        tick = 1000
        next_at = time.perf_counter() + random.uniform(0, self.period)
        while not self.stop.is_set():
            time.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += self.period
            tick += 1
            request = urllib.request.Request(
                self.base + "/_dash-update-component", data=self.body(tick),
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
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


def screens_run(browser, base: str, key: str, points: list, grids: int, args) -> dict:
    """N screens at once: --browser-screens real pages, the rest protocol screens.

    For a page the delay runs from the POST until the report's point is in
    its incidents trace (drawn); for a protocol screen until the answer that
    carries it arrives. Twenty walls are twenty machines: real pages here
    share the server's two cores, so they measure this machine's software
    rendering as much as the server.
    """
    real = min(args.browser_screens, args.screens)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
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
        robots = [ProtocolScreen(base, template, args.refresh, stop)
                  for _ in range(args.screens - real)]  # fmt: skip
        for robot in robots:
            robot.start()
        time.sleep(args.refresh * 2)  # every screen has drawn once
        print(f"  {real} browser + {len(robots)} protocol screens; posting {args.reports} "
              "reports", flush=True)  # fmt: skip
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
        update_bytes, refresh_bytes = [], []
        for bucket in responses:
            seen = set()
            for r in bucket:
                try:
                    body = r.body()
                except Exception:
                    continue
                refresh_bytes.append(len(body))
                for public_id in posted:
                    if public_id not in seen and public_id.encode() in body:
                        seen.add(public_id)
                        update_bytes.append(len(body))
    finally:
        stop.set()
        context.close()
    return {
        "browser_screens": real, "protocol_screens": len(robots),
        "pairs": len(delays), "missing": missing,
        "p50_s": pct(delays, 0.5), "p95_s": pct(delays, 0.95),
        "max_s": max(delays) if delays else float("nan"),
        "protocol_pairs": len(robot_delays), "protocol_missing": robot_missing,
        "protocol_p50_s": pct(robot_delays, 0.5), "protocol_p95_s": pct(robot_delays, 0.95),
        "protocol_errors": sum(r.errors for r in robots),
        "update_bytes_median": statistics.median(update_bytes) if update_bytes else 0,
        "update_bytes_max": max(update_bytes) if update_bytes else 0,
        "update_responses": len(update_bytes),
        "any_response_bytes_median": statistics.median(refresh_bytes) if refresh_bytes else 0,
    }  # fmt: skip


def folium_note() -> str | None:
    """Why the folium comparison cannot run here (folium and a local Leaflet are needed)."""
    try:
        import folium  # noqa: F401

        missing = []
    except ImportError:
        missing = ["folium (not in .venv; not pip-installed on purpose)"]
    found = subprocess.run(
        "find / -name leaflet.js -path '*dist*' 2>/dev/null | head -1",
        shell=True, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if not found:
        missing.append("a local Leaflet (npm `leaflet` dist/leaflet.js + .css; no CDN here)")
    if missing:
        return "part 4 skipped, missing: " + "; ".join(missing)
    return f"folium and Leaflet ({found}) present, but the folium page is not implemented"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--browser-screens", type=int, default=1,
                        help="how many of the screens are real Chromium pages (the rest "
                        "post the page's own refresh tick)")  # fmt: skip
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between reports")
    parser.add_argument("--refresh", type=float, default=2.0, help="the screens' refresh, s")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per page/report")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from data.store import Store

    out: dict = {"benchmark": "screens", "repeat": args.repeat, "screens": args.screens}
    with (
        tempfile.TemporaryDirectory(prefix="gc-screens-") as tmp,
        fresh_database(None) as url,
        sync_playwright() as pw,
    ):
        seed(url, "county")
        store = Store.open(url)
        try:
            key = store.create_api_key("bench", actor="bench")
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
                        load_run(browser, base, vp, grids, args.timeout) for _ in range(args.repeat)
                    ]
                    loads[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    loads[name]["runs"] = runs
                    print(f"  {name}: {[round(r['total_s'], 2) for r in runs]} s", flush=True)
                out["load"] = loads
                out["live"] = screens_run(browser, base, key, points, grids, args)
        except Exception:
            tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
            print("\n".join(["server log, last lines:", *tail]), file=sys.stderr)
            raise
        finally:
            browser.close()
    out["folium_note"] = folium_note()

    rows = [[f"time to drawn {n}, median s", r["total_s"]] for n, r in out["load"].items()]
    first = next(iter(out["load"].values()), {"dash_bytes": 0, "dash_responses": 0,
                                               "geojson_bytes": 0})  # fmt: skip
    rows += [
        ["JSON on load: _dash-update-component bytes", int(first["dash_bytes"])],
        ["  responses", int(first["dash_responses"])],
        ["JSON on load: GeoJSON bytes", int(first["geojson_bytes"])],
        [
            "JSON per update carrying a report, median bytes",
            int(out["live"]["update_bytes_median"]),
        ],
        ["  largest", int(out["live"]["update_bytes_max"])],
        ["  any refresh response, median bytes", int(out["live"]["any_response_bytes_median"])],
    ]
    live = out["live"]
    who = f"{live['browser_screens']} browser + {live['protocol_screens']} protocol screens"
    rows += [[f"POST→drawn on a browser screen {k} s ({who})", live[f"{k}_s"]]
             for k in ("p50", "p95", "max")]  # fmt: skip
    rows += [["  (report, page) pairs seen / missing", f"{live['pairs']} / {live['missing']}"]]
    rows += [[f"POST→answer at a protocol screen {k} s", live[f"protocol_{k}_s"]]
             for k in ("p50", "p95")]  # fmt: skip
    rows += [["  pairs seen / missing / failed ticks",
              f"{live['protocol_pairs']} / {live['protocol_missing']} / {live['protocol_errors']}"]]  # fmt: skip
    rows += [["folium/ours time-to-drawn", out["folium_note"] or "-"]]
    print(f"\nscreens: county, {args.repeat} load(s) per viewport; byte counts are decoded")
    print("bodies (response.body()); the wire carries them gzip-compressed.\n")
    print(table(rows, ["figure", "value"]))
    if args.json:
        emit_json(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
