"""Click → redrawn on the map pages, and the browser's peak memory (issue 17).

    .venv/bin/python bench/map_clicks.py [--repeat N] [--database-url URL] [--json]

Also run by bench/map_draw.py (--clicks) on its county server.

On a served county (a temporary SQLite file seeded first, not timed, unless
--database-url names a seeded one), signed in through /login as the person
who does it, at 1920x1080, --repeat times each, a fresh browser context each:

- review drill: /review?period=year as a city leader; a click on a grid of
  the map, until the map shows it alone and outlined ("map"), and until the
  page shows its card ("whole page": the server's review of it);
- console selection: /dispatch as an operator; a click on a waiting
  incident's dot, until the lines to its five candidates are on the map;
- event area: /events as a commander; a rectangle drawn over a few grids
  (from the mouse-up), until the grids inside it are filled on the map.

Each is timed from the click (the browser's performance.now() just before
it) to the first animation frame after the map holds the result. The aim is
300 ms at county scale. Peak memory is the browser's process tree (sum of
PSS, /proc/PID/smaps_rollup), sampled every 0.2 s through the whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, seed, table  # noqa: E402
from scripts.app_process import app_process  # noqa: E402
from scripts.chromium import launch  # noqa: E402
from scripts.screenshot import sign_in  # noqa: E402

PEOPLE = {
    "review": ("city_leader", None),
    "console": ("operator", None),
    "events": ("commander", None),
}
FRAME_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
NOW_JS = "() => performance.now()"


def make_people(url: str) -> dict[str, tuple[str, str]]:
    """One new user per interaction (a random password): page -> (name, password)."""
    from data.store import Store

    store = Store.open(url)
    try:
        people = {}
        for page, (role, town) in PEOPLE.items():
            name, password = f"bench-{page}-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
            store.create_user(name, password, role, town=town, actor="bench")
            people[page] = (name, password)
        return people
    finally:
        store.close()


def review_drill(page) -> dict[str, float]:
    """Click a grid of the review map; ms until the map shows it drilled into
    (outlined, alone), and until the whole page has (its card)."""
    page.wait_for_function(
        "() => window.gc && Object.keys(window.gc.map.styles('review-map-grids')).length > 0",
        timeout=120_000,
    )
    page.wait_for_timeout(500)
    codes = sorted(page.evaluate("() => Object.keys(window.gc.map.styles('review-map-grids'))"))
    code = codes[len(codes) // 2]
    at = page.evaluate("(c) => window.gc.map.pixel('review-map-grids', c)", code)
    page.evaluate(FRAME_JS)
    started = page.evaluate(NOW_JS)
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function(
        "(c) => { const s = window.gc.map.styles('review-map-grids');"
        " return s[c] && s[c].weight >= 3 && Object.keys(s).length === 1; }",
        arg=code,
        timeout=60_000,
        polling="raf",
    )
    shown = page.evaluate(NOW_JS) - started
    page.wait_for_function(
        "(c) => (document.getElementById('review-grid').innerText || '').includes(c)",
        arg=code,
        timeout=60_000,
        polling="raf",
    )
    return {"review drill, map": shown, "review drill, whole page": page.evaluate(NOW_JS) - started}


def console_selection(page) -> dict[str, float]:
    """Click a waiting incident's dot; ms until its five candidates' lines are drawn."""
    page.wait_for_selector("#queue .ag-row", timeout=120_000)
    page.wait_for_function(
        "() => window.gc && (window.gc.map.state().added['console-backdrop'] || 0) > 0",
        timeout=60_000,
    )
    wanted = page.evaluate("""() => { const rows = [];
        dash_ag_grid.getApi('queue').forEachNode(n => {
            if (['受理', '立案'].includes(n.data.status)) rows.push(n.data.row_id); });
        return rows[rows.length - 1]; }""")
    at = page.evaluate("(id) => window.gc.map.pixel('console-backdrop', id, 17)", wanted)
    page.evaluate(FRAME_JS)
    page.wait_for_timeout(200)
    started = page.evaluate(NOW_JS)
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function(
        "() => { const s = window.gc.map.state();"
        " return (s.added['console-lines'] || 0) === 5"
        " && (s.drawn['console-lines'] || 0) === 5; }",
        timeout=60_000,
        polling="raf",
    )
    return {"console selection": page.evaluate(NOW_JS) - started}


def event_area(page) -> dict[str, float]:
    """Draw a rectangle over a few grids; ms from the mouse-up until they are filled."""
    page.wait_for_function(
        "() => window.gc && Object.keys(window.gc.map.styles('event-map-grids')).length > 0",
        timeout=120_000,
    )
    page.wait_for_timeout(500)
    box = page.evaluate("""() => {
        const c = window.gc.map.pixel('event-map-grids',
            Object.keys(window.gc.map.styles('event-map-grids')).sort()[0]);
        return c; }""")
    page.click(".leaflet-draw-draw-rectangle")
    page.mouse.move(box["x"] - 40, box["y"] - 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 40, steps=5)
    page.wait_for_timeout(100)
    page.mouse.move(box["x"] + 41, box["y"] + 41)
    page.evaluate(FRAME_JS)
    started = page.evaluate(NOW_JS)
    page.mouse.up()
    page.wait_for_function(
        "() => Object.values(window.gc.map.styles('event-map-grids'))"
        ".some(s => s.fill === '#2563eb')",
        timeout=60_000,
        polling="raf",
    )
    return {"event area drawn": page.evaluate(NOW_JS) - started}


INTERACTIONS = [
    ("review", "/review?period=year", review_drill),
    ("console", "/dispatch", console_selection),
    ("events", "/events", event_area),
]


def browser_pss_kib(root_pid: int) -> int:
    """The PSS of every Chromium process below ``root_pid`` (this benchmark:
    not the server it started), KiB."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = status.read_text()
            pid = int(status.parent.name)
            names[pid] = text.split("(", 1)[1].rsplit(")", 1)[0]
            children.setdefault(int(text.rsplit(")", 1)[1].split()[1]), []).append(pid)
    total, todo = 0, list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        if "chrom" not in names.get(pid, ""):
            continue
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total


@contextlib.contextmanager
def peak_memory(root_pid: int):
    """Yields a dict whose "peak_mib" is the browser tree's peak PSS while inside."""
    out = {"peak_mib": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.wait(0.2):
            out["peak_mib"] = max(out["peak_mib"], browser_pss_kib(root_pid) / 1024)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()


def clicks_run(browser, base: str, url: str, repeat: int) -> dict:
    """Each interaction ``repeat`` times on the server at ``base`` (database ``url``)."""
    people = make_people(url)
    runs: dict[str, list[float]] = {}
    for who, path, act in INTERACTIONS:
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            try:
                sign_in(page, base, *people[who], then=path)
                for name, ms in act(page).items():
                    runs.setdefault(name, []).append(ms)
                    print(f"  {name}: {ms:.0f} ms", flush=True)
            finally:
                context.close()
    return {
        name: {"median_ms": statistics.median(r), "max_ms": max(r), "runs": r}
        for name, r in runs.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an already seeded county database")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(fresh_database(None))
        seed(url, "county")
        base = stack.enter_context(app_process({"DATABASE_URL": url}, timeout=600))
        pw = stack.enter_context(sync_playwright())
        browser = launch(pw)
        stack.callback(browser.close)
        with peak_memory(os.getpid()) as memory:
            results = clicks_run(browser, base, url, args.repeat)
    rows = [
        [f"{name}: click → redrawn, median ms (max)", f"{r['median_ms']:.0f} ({r['max_ms']:.0f})"]
        for name, r in results.items()
    ]
    rows.append(["browser peak memory (PSS of its processes), MiB", f"{memory['peak_mib']:.0f}"])
    print(f"\nmap clicks: county, 1920x1080, {args.repeat} runs each (aim: 300 ms)\n")
    print(table(rows, ["figure", "value"]))
    if args.json:
        emit_json({"benchmark": "map_clicks", "clicks": results, "peak_mib": memory["peak_mib"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
