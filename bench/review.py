"""Time for a filter change to update all of the town review, server side (issue 7).

    .venv/bin/python bench/review.py [--scale county[,region]] [--repeat N]
        [--database-url URL] [--profile N] [--json]

Aim: under 500 ms at county scale (30,000 incidents), under 1.5 s at region
scale (300,000). Figures are printed, never asserted.

Works in-process on a seeded database: a temporary SQLite file seeded first
(not timed; the region takes minutes) unless --database-url names a seeded one
(one scale; it is only read). Per scale it measures:

1. the cold start: the first ``build_review`` on the store in this process,
   which reads every incident into the in-memory cache (data/review_cache.py)
   and the city's units; the same query right after, warm, for comparison;
2. filter changes, --repeat times over the sequence a leader clicks through:
   as a city leader, period year → month → quarter → custom 90 days; the map
   metric through every MAP_METRICS; one category, then three, then a channel
   (on top), then clearing them; drilling into the town with most incidents
   of the period, its community with most, that community's grid with most;
   then a town leader of that town with period year. Each step is timed end
   to end as the server does it: parse_query + build_review + review_tables
   (Chinese) + the Leaflet map's live values (the grids' colours and values,
   hot spots, legend: dashboard.review_map.map_layers, a 1920x1080 window),
   as dashboard/pages/review.py builds them. That is "total", the
   figure the aim is about. Apart from it, "callback" adds what the page's
   callback builds besides (tiles, breadcrumb, charts, the AG Grid rows) and
   Dash's JSON encoding of every output, where the page is there to ask;
3. the cache catch-up after writes (a fresh temporary database only, never a
   --database-url one): 10 incidents added through Store.add_incident, then
   the next build_review, which patches the cache from the change feed.

Step times are reported per step (median over the repeats) and per step kind
and overall (p50/p95/max over every run), with the incidents each counted.
Peak RSS is printed at the end. --profile N prints the N costliest functions
(cumulative) of one more pass over the sequence, under cProfile.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import importlib
import io
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, peak_rss_mb, scales_arg, seed, table  # noqa: E402

TARGET_S = {"county": 0.5, "region": 1.5}
WRITES = 10  # incidents added before each catch-up
VIEWPORT = {"width": 1920, "height": 1080}  # a leader's office screen
KINDS = ("period", "metric", "category", "channel", "clear", "drill", "town_leader")


@dataclass
class Step:
    """One click: the query arguments after it, and who clicks."""

    kind: str
    label: str
    args: dict[str, str]
    leader: str = "city"  # "city" or "town"


@dataclass
class Targets:
    """Where the leader drills: the busiest town, its busiest community and grid."""

    town: str
    community: str | None
    grid: str | None
    categories: list[str] = field(default_factory=list)
    channel: str | None = None


@dataclass
class Screen:
    """How this tree draws the review, looked up at run time (it is being written)."""

    map_figure: Callable | None  # (review, store) -> the map's live values
    page_rest: Callable | None  # (review, tables) -> the callback's other outputs
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the screen


def screen_parts() -> Screen:
    """The map's values (as dashboard/pages/review.py builds them) and the
    rest of the page's callback: tiles, breadcrumb, charts, the grids' rows."""
    notes: list[str] = []
    build = _page_map(notes)
    return Screen(build, _page_rest(notes), notes)


def _page_map(notes: list[str]) -> Callable | None:
    from dashboard.review_map import map_layers

    notes.append(
        "map: dashboard.review_map.map_layers, the Leaflet map's live values (the grids' "
        f"hideout, hot spots, legend) as dashboard/pages/review.py builds them, window "
        f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    )
    return lambda review, store: map_layers(review, "zh", VIEWPORT)


def _page_rest(notes: list[str]) -> Callable | None:
    """What the page's callback returns besides the map, or None where the page
    or its helpers are missing."""
    try:
        from services.review_tables import header

        view = importlib.import_module("dashboard.review_view")
        grids, grid_data = view.GRIDS, view.grid_data
        parts = (view.tables_by_key, view.charts, view.tiles, view.breadcrumb, view.grid_card)
    except Exception as exc:  # absent, or being written
        notes.append(f"page rest: skipped, dashboard/pages/review.py is not usable ({exc!r})")
        return None
    by_key, charts, tiles, breadcrumb, grid_card = parts

    def rest(review, tables) -> list:
        found = by_key(tables)
        if review.query.level == "grid":  # the page lists a grid's incidents as its units
            found["units"] = found.get("incidents")
        metric_header = header(review.query.metric, "zh")
        rows = [part for key in grids for part in grid_data(found.get(key), metric_header)]
        trend, mix = charts(review, "zh", VIEWPORT)
        return [
            tiles(review, "zh"),
            breadcrumb(review, "zh"),
            trend,
            mix,
            grid_card(review, "zh"),
            *rows,
        ]

    notes.append(
        "page rest: what dashboard/pages/review.py's callback builds besides the map (tiles, "
        "breadcrumb, trend and category charts, the AG Grid rows); encode: Dash's JSON of it all"
    )
    return rest


# ------------------------------------------------------------------ one update


def update(store, step: Step, principals: dict, now: dt.datetime, screen: Screen) -> dict:
    """Everything the server does for one filter change, timed by part."""
    from plotly.io.json import to_json_plotly

    from domain.review_metrics import METRICS
    from domain.review_query import local_today, parse_query
    from services.review import build_review, units
    from services.review_tables import review_tables

    started = time.perf_counter()
    query = parse_query(step.args, today=local_today(now), metrics=METRICS)
    review = build_review(store, query, principals[step.leader], now=now, lang="zh")
    built = time.perf_counter()
    tables = review_tables(review, units(store).towns, "zh")
    tabled = time.perf_counter()
    figure = screen.map_figure(review, store) if screen.map_figure else None
    drawn = time.perf_counter()
    rest = []
    if screen.page_rest:
        try:
            rest = screen.page_rest(review, tables)
        except Exception as exc:  # the page is being written: stop timing it, say why
            screen.page_rest = None
            screen.notes.append(f"page rest: dropped after it failed at {step.label!r}: {exc!r}")
    rested = time.perf_counter()
    response = to_json_plotly([figure, *rest])
    done = time.perf_counter()
    return {
        "kind": step.kind,
        "step": step.label,
        "build_s": built - started,
        "tables_s": tabled - built,
        "figure_s": drawn - tabled,
        "total_s": drawn - started,
        "page_s": rested - drawn,
        "encode_s": done - rested,
        "callback_s": done - started,
        "figure_bytes": len(to_json_plotly(figure)) if figure is not None else 0,
        "response_bytes": len(response),
        "incidents": int(review.totals["incidents"]),
        "grids": len(review.grids),
        "table_rows": sum(len(t.frame) for t in tables),
        "notice": review.notice,
    }


# ------------------------------------------------------------------ the clicks


def targets(store, args: dict[str, str], now: dt.datetime) -> Targets:
    """The busiest town of the period in ``args`` (all of history if it is
    empty), its busiest community and that community's busiest grid; the top
    categories and channel of the period. Read from the cache, not timed."""
    import pandas as pd

    from data.review_cache import incident_cache
    from domain.review_metrics import METRICS
    from domain.review_query import local_today, parse_query

    frame = incident_cache(store).frame()
    start, end = parse_query(args, today=local_today(now), metrics=METRICS).period.utc_bounds()
    reported = frame["reported_at"]
    chosen = frame[(reported >= pd.Timestamp(start)) & (reported < pd.Timestamp(end))]
    if not len(chosen):
        chosen = frame
    if not len(chosen):
        raise SystemExit("the database holds no incidents: seed it first")
    town = chosen["town_code"].value_counts().index[0]
    in_town = chosen[chosen["town_code"] == town]
    communities = in_town["community_code"].dropna().value_counts()
    community = communities.index[0] if len(communities) else None
    grids = in_town.loc[in_town["community_code"] == community, "grid_code"].dropna()
    grid = grids.value_counts().index[0] if len(grids) else None
    return Targets(
        town=str(town),
        community=None if community is None else str(community),
        grid=None if grid is None else str(grid),
        categories=[str(c) for c in chosen["category"].value_counts().index[:3]],
        channel=str(chosen["channel"].value_counts().index[0]),
    )


def last_90_days(now: dt.datetime) -> dict[str, str]:
    """The query arguments of a custom period: the 90 local days up to today."""
    from domain.review_query import local_today

    today = local_today(now)
    return {"from": (today - dt.timedelta(days=89)).isoformat(), "to": today.isoformat()}


def leader_steps(now: dt.datetime, place: Targets) -> list[Step]:
    """The clicks of one review session, each the query arguments after it."""
    from domain.review_metrics import MAP_METRICS

    steps = [Step("period", f"period {p}", {"period": p}) for p in ("year", "month", "quarter")]
    state = last_90_days(now)
    steps.append(Step("period", "custom 90 days", dict(state)))
    first = MAP_METRICS[0]
    for metric in (*MAP_METRICS[1:], first):  # every map metric, ending where it began
        state = {**state, "metric": metric}
        steps.append(Step("metric", f"metric {metric}", dict(state)))
    plain = dict(state)
    if place.categories:
        state = {**state, "category": place.categories[0]}
        steps.append(Step("category", "1 category", dict(state)))
        state = {**state, "category": ",".join(place.categories[:3])}
        steps.append(Step("category", f"{len(place.categories[:3])} categories", dict(state)))
    if place.channel:
        state = {**state, "channel": place.channel}
        steps.append(Step("channel", "+ channel", dict(state)))
    steps.append(Step("clear", "clear filters", dict(plain)))
    state = {**plain, "town": place.town}
    steps.append(Step("drill", "drill town", dict(state)))
    if place.community:
        state = {**state, "community": place.community}
        steps.append(Step("drill", "drill community", dict(state)))
    if place.grid:
        state = {**state, "grid": place.grid}
        steps.append(Step("drill", "drill grid", dict(state)))
    steps.append(Step("town_leader", "town leader, year", {"period": "year"}, leader="town"))
    return steps


def principals_for(town: str | None) -> dict:
    """A city leader, and a town leader of ``town`` (when there is one)."""
    from domain.access import for_user

    people = {"city": for_user(900001, "bench city leader", "city_leader", None)}
    if town:
        people["town"] = for_user(900002, "bench town leader", "town_leader", town)
    return people


# ------------------------------------------------------------------ the catch-up


def add_incidents(store, count: int = WRITES) -> list[int]:
    """``count`` new reports at real grid centres, through the store."""
    from services.review import units

    grids = units(store).grids.dropna(subset=["lon", "lat"])
    picked = grids.sample(n=count, replace=len(grids) < count, random_state=len(grids) + count)
    batch = uuid.uuid4().hex[:8]
    ids = []
    for i, grid in enumerate(picked.itertuples(index=False)):
        values = {
            "public_id": f"RB{batch}{i:04d}",
            "channel": "app",
            "category": "garbage",
            "description": "基准测试：垃圾未清运",
            "lon": float(grid.lon),
            "lat": float(grid.lat),
            "grid_code": grid.code,
            "town_code": grid.town_code,
            "priority": 3,
        }
        ids.append(store.add_incident(values, actor="bench review"))
    return ids


def catch_up(store, principals: dict, now: dt.datetime, count: int = WRITES) -> dict:
    """Add ``count`` incidents, then time the next build_review (city, this year)."""
    from data.review_cache import incident_cache
    from domain.review_metrics import METRICS
    from domain.review_query import local_today, parse_query
    from services.review import build_review

    cache = incident_cache(store)
    query = parse_query({"period": "year"}, today=local_today(now), metrics=METRICS)
    before = build_review(store, query, principals["city"], now=now)
    loads, patches = cache.loads, cache.patches
    add_incidents(store, count)
    now = max(now, dt.datetime.now(dt.UTC))  # the new reports are stamped with the clock
    started = time.perf_counter()
    after = build_review(store, query, principals["city"], now=now)
    took = time.perf_counter() - started
    return {
        "build_s": took,
        "refresh_s": cache.last_refresh_s,
        "added": count,
        "counted_more": int(after.totals["incidents"]) - int(before.totals["incidents"]),
        "patches": cache.patches - patches,
        "reloads": cache.loads - loads,
    }


# ------------------------------------------------------------------ a scale


def percentiles(values: list[float]) -> dict:
    data = np.asarray(values, dtype=float)
    return {
        "p50": float(np.percentile(data, 50)),
        "p95": float(np.percentile(data, 95)),
        "max": float(data.max()),
        "n": len(data),
    }


def cold_start(store, principals: dict, now: dt.datetime) -> dict:
    """The first build_review on ``store`` in this process, then the same warm."""
    from data.review_cache import incident_cache
    from domain.review_metrics import METRICS
    from domain.review_query import local_today, parse_query
    from services.review import build_review

    query = parse_query({"period": "year"}, today=local_today(now), metrics=METRICS)
    cache = incident_cache(store)
    fresh = cache.loads == 0
    started = time.perf_counter()
    build_review(store, query, principals["city"], now=now)
    cold = time.perf_counter() - started
    load = cache.last_refresh_s
    started = time.perf_counter()
    build_review(store, query, principals["city"], now=now)
    return {
        "build_s": cold,
        "cache_load_s": load,
        "warm_s": time.perf_counter() - started,
        "first_in_process": fresh,
        "rows": len(cache.frame()),
    }


def run_sequence(store, steps, principals, now, screen) -> list[dict]:
    return [update(store, step, principals, now, screen) for step in steps]


def bench_scale(args, scale: str, screen) -> dict:
    """Seed if needed, then cold start, --repeat sequences and (fresh only) catch-up."""
    from data.store import Store

    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(fresh_database(None))
        writable = not args.database_url
        seed(url, scale)  # only when the database is empty
        store = Store.open(url)
        stack.callback(store.close)
        now = dt.datetime.now(dt.UTC)
        counts = store.table_counts()
        print(
            f"\n{scale}: {counts.get('incidents', 0):,} incidents, {counts.get('grids', 0):,} "
            f"grids ({url if args.database_url else 'a fresh temporary SQLite file'})",
            flush=True,
        )
        cold = cold_start(store, principals_for(None), now)
        print(
            f"  cold start: first build_review {cold['build_s']:.3f} s (incident cache load "
            f"{cold['cache_load_s']:.3f} s, {cold['rows']:,} rows); the same query warm "
            f"{cold['warm_s']:.3f} s",
            flush=True,
        )
        place = targets(store, last_90_days(now), now)
        steps = leader_steps(now, place)
        principals = principals_for(place.town)
        print(
            f"  drill: town {place.town}, community {place.community}, grid {place.grid}; "
            f"categories {','.join(place.categories)}; channel {place.channel}",
            flush=True,
        )
        runs = []
        for i in range(args.repeat):
            started = time.perf_counter()
            run = run_sequence(store, steps, principals, now, screen)
            runs.append(run)
            slowest = max(run, key=lambda r: r["total_s"])
            print(
                f"  run {i + 1}: {len(run)} steps in {time.perf_counter() - started:.2f} s, "
                f"slowest {slowest['step']} {slowest['total_s'] * 1000:.0f} ms",
                flush=True,
            )
        profile = None
        if args.profile:
            profile = profile_sequence(store, steps, principals, now, screen, args.profile)
            print(profile, flush=True)
        catch = []
        if writable:
            for _ in range(args.repeat):
                catch.append(catch_up(store, principals, now))
        result = summarise(scale, cold, steps, runs, catch, writable)
        result["targets"] = place.__dict__
        result["peak_rss_mb"] = peak_rss_mb()
        return result


def profile_sequence(store, steps, principals, now, screen, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_sequence(store, steps, principals, now, screen)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    return f"  cProfile of one more pass ({len(steps)} steps), by cumulative time:\n" + "\n".join(
        "    " + line for line in out.getvalue().strip().splitlines()
    )


def summarise(scale, cold, steps, runs, catch, writable) -> dict:
    every = [r for run in runs for r in run]
    per_step = []
    for i, step in enumerate(steps):
        mine = [run[i] for run in runs]
        per_step.append(
            {
                "kind": step.kind,
                "step": step.label,
                **{
                    key: statistics.median(r[key] for r in mine)
                    for key in (
                        "build_s",
                        "tables_s",
                        "figure_s",
                        "total_s",
                        "page_s",
                        "encode_s",
                        "callback_s",
                    )
                },
                "max_s": max(r["total_s"] for r in mine),
                "figure_bytes": mine[-1]["figure_bytes"],
                "response_bytes": mine[-1]["response_bytes"],
                "incidents": mine[-1]["incidents"],
                "grids": mine[-1]["grids"],
                "table_rows": mine[-1]["table_rows"],
                "notice": mine[-1]["notice"],
            }
        )
    per_kind = {}
    for kind in [*KINDS, "all"]:
        mine = [r for r in every if kind in ("all", r["kind"])]
        if mine:
            counted = [r["incidents"] for r in mine]
            per_kind[kind] = {
                **percentiles([r["total_s"] for r in mine]),
                "build_p50": statistics.median(r["build_s"] for r in mine),
                "callback": percentiles([r["callback_s"] for r in mine]),
                "incidents_min": min(counted),
                "incidents_max": max(counted),
            }
    result = {
        "target_s": TARGET_S[scale],
        "cold_start": cold,
        "steps": per_step,
        "kinds": per_kind,
        "catch_up": None,
    }
    if catch:
        result["catch_up"] = {
            **percentiles([c["build_s"] for c in catch]),
            "refresh_p50": statistics.median(c["refresh_s"] for c in catch),
            "runs": catch,
        }
    elif not writable:
        result["catch_up_skipped"] = "--database-url: no writes in a database we did not make"
    return result


# ------------------------------------------------------------------ output


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine slows every step."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def report(results: dict, args, notes: list[str]) -> None:
    ms = 1000
    print(f"\nreview: {args.repeat} run(s) of the sequence per scale")
    print("\n".join(f"  {note}" for note in notes))
    for scale, r in results.items():
        print(f"\n{scale}, per step (median of {args.repeat}; times in ms):\n")
        rows = [
            [
                s["kind"],
                s["step"],
                s["incidents"],
                s["grids"],
                s["table_rows"],
                *(round(s[k] * ms) for k in ("build_s", "tables_s", "figure_s", "total_s")),
                round(s["max_s"] * ms),
                *(round(s[k] * ms) for k in ("page_s", "encode_s", "callback_s")),
                round(s["figure_bytes"] / 1024),
                round(s["response_bytes"] / 1024),
            ]
            for s in r["steps"]
        ]
        headers = ["kind", "step", "incidents", "grids", "table rows", "build", "tables"]
        headers += ["map", "total", "max", "page rest", "encode", "callback", "map KB", "resp KB"]
        print(table(rows, headers))
    print("\nper step kind (total = parse + build_review + tables + map; callback adds the")
    print("page's other outputs and their JSON; ms):\n")
    rows = []
    for scale, r in results.items():
        for kind, k in r["kinds"].items():
            rows.append(
                [
                    scale,
                    kind,
                    k["n"],
                    *(round(k[x] * ms) for x in ("p50", "p95", "max", "build_p50")),
                    round(k["callback"]["p50"] * ms),
                    round(k["callback"]["p95"] * ms),
                    f"{k['incidents_min']:,}–{k['incidents_max']:,}",
                    round(r["target_s"] * ms) if kind == "all" else "",
                ]
            )
    headers = ["scale", "kind", "n", "p50", "p95", "max", "build p50", "callback p50"]
    headers += ["callback p95", "incidents", "aim"]
    print(table(rows, headers))
    print("\ncold start and cache catch-up (s):\n")
    rows = []
    for scale, r in results.items():
        c, u = r["cold_start"], r["catch_up"]
        rows.append(
            [
                scale,
                c["build_s"],
                c["cache_load_s"],
                c["warm_s"],
                "-" if u is None else u["p50"],
                "-" if u is None else u["max"],
                "-" if u is None else u["refresh_p50"],
                "-" if u is None else sum(x["patches"] for x in u["runs"]),
                "-" if u is None else sum(x["reloads"] for x in u["runs"]),
                "-" if u is None else min(x["counted_more"] for x in u["runs"]),
            ]
        )
    headers = ["scale", "cold build", "cache load", "warm same", f"catch-up p50 ({WRITES} new)"]
    headers += ["catch-up max", "refresh p50", "patches", "reloads", "counted +"]
    print(table(rows, headers))
    for scale, r in results.items():
        if r.get("catch_up_skipped"):
            print(f"  {scale}: catch-up skipped ({r['catch_up_skipped']})")
        if not r["cold_start"]["first_in_process"]:
            print(f"  {scale}: the cache was loaded before: the cold start is not cold")
    print(f"\npeak RSS: {peak_rss_mb():,.0f} MB; load average {load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=scales_arg, default=["county"])
    parser.add_argument("--database-url", help="an already seeded database (one scale); read only")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N costliest functions of one more pass",
    )
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.database_url and len(args.scale) != 1:
        parser.error("--database-url holds one city: give its --scale (county or region)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    screen = screen_parts()
    print("\n".join([*screen.notes, f"load average {load_average()}"]), flush=True)
    results = {scale: bench_scale(args, scale, screen) for scale in args.scale}
    report(results, args, screen.notes)
    if args.json:
        emit_json(
            {
                "benchmark": "review",
                "repeat": args.repeat,
                "notes": screen.notes,
                "scales": results,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
