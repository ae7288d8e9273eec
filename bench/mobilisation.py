"""Mobilisation for a wartime event: time and outcome of the proposal.

    .venv/bin/python bench/mobilisation.py [--scale county|region|both] [--seed 2022]
        [--repeat 3] [--json]

No database: the demo city is generated in memory (not timed). The event
covers the flood town (胶西街道 in the county, the largest town of the
region); its tasks are potato fields at distinct grid centroids of that town,
each needing 10–20 hands: 10 fields (about 150 hands, the June flood) in the
county and 50 (about 750) in the region. The proposal is
``domain.mobilisation.propose_mobilisation`` with the API's defaults (paired
departments, then neighbouring towns; 120-minute travel limit), once without
and once with the rest of the city. The time is the median of ``--repeat``
whole calls (tiers, travel, both optimal plans, who is left thin); finding
the neighbouring towns is timed apart.

Aim: the proposal comes back while the commander waits at the desk, under
1 s for the county.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench._common import emit_json, peak_rss_mb, summary, table  # noqa: E402
from bench.dispatch_plan import FLOOD_TOWN, NOW  # noqa: E402

FIELDS = {"county": 10, "region": 50}
HANDS = (10, 20)
MAX_TRAVEL_S = 120 * 60
AIM_S = {"county": 1.0}


def event_of(scale: str, seed: int) -> dict:
    """The city's frames and the event's tasks (not timed)."""
    from data.demo_city import generate_city

    city = generate_city(seed=seed, scale=scale, now=NOW)
    towns = city.towns
    town = FLOOD_TOWN.get(scale) or towns.sort_values("area_km2")["code"].iloc[-1]
    rng = np.random.default_rng(seed)
    grids = city.grids[city.grids["town_code"] == town]
    picked = grids.iloc[rng.choice(len(grids), size=min(FIELDS[scale], len(grids)), replace=False)]
    tasks = pd.DataFrame(
        {
            "id": np.arange(1, len(picked) + 1),
            "public_id": [f"E{i:04d}" for i in range(len(picked))],
            "priority": 2,
            "headcount": rng.integers(HANDS[0], HANDS[1] + 1, size=len(picked)),
            "lon": picked["lon"].to_numpy(),
            "lat": picked["lat"].to_numpy(),
            "town_code": town,
            "reported_at": pd.Timestamp(NOW),
        }
    )
    return {"city": city, "town": town, "tasks": tasks}


def run_scale(scale: str, args) -> dict:
    from domain.mobilisation import neighbour_towns, propose_mobilisation

    found = event_of(scale, args.seed)
    city, tasks = found["city"], found["tasks"]
    started = time.perf_counter()
    neighbours = neighbour_towns(city.towns, [found["town"]])
    neighbours_s = time.perf_counter() - started
    out = {
        "fields": len(tasks),
        "needed": int(tasks["headcount"].sum()),
        "cadres": len(city.cadres),
        "neighbours": len(neighbours),
        "available": int((city.cadres["status"] == "available").sum()),
        "neighbours_s": neighbours_s,
        "runs": {},
    }
    for rest in (False, True):
        times, plan = [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            plan = propose_mobilisation(
                tasks,
                city.cadres,
                city.pairings,
                affected=[found["town"]],
                neighbours=neighbours,
                include_rest=rest,
                max_travel_s=MAX_TRAVEL_S,
            )
            times.append(time.perf_counter() - started)
        eta = plan.assignments["eta_s"].astype(float) / 60
        out["runs"]["with rest" if rest else "paired + neighbours"] = {
            "seconds": summary(times),
            "filled": plan.filled,
            "tiers": plan.tiers,
            "eta_p50_min": float(eta.median()) if len(eta) else None,
            "eta_max_min": float(eta.max()) if len(eta) else None,
            "thin": len(plan.thin),
            "unmet": sum(plan.unmet.values()),
        }
    return out


def report(scale: str, r: dict) -> None:
    print(
        f"\n{scale}: {r['fields']} fields needing {r['needed']:,} hands; "
        f"{r['available']:,} of {r['cadres']:,} cadres available; {r['neighbours']} "
        f"neighbouring towns (found in {r['neighbours_s'] * 1000:.0f} ms)"
    )
    rows = []
    for name, run in r["runs"].items():
        tiers = run["tiers"]
        rows.append(
            [
                name,
                f"{run['seconds']['median']:.2f} s",
                f"{run['filled']:,} / {r['needed']:,}",
                f"{tiers['paired']} / {tiers['neighbour']} / {tiers['rest']}",
                f"{run['eta_p50_min']:.0f} / {run['eta_max_min']:.0f} min",
                str(run["unmet"]),
                str(run["thin"]),
            ]
        )
    print(
        table(
            rows,
            [
                "proposal",
                "time (median)",
                "filled",
                "paired / neighbour / rest",
                "arrival p50 / max",
                "unmet",
                "units left thin",
            ],
        )
    )
    if scale in AIM_S:
        took = max(run["seconds"]["median"] for run in r["runs"].values())
        verdict = "met" if took < AIM_S[scale] else "MISSED"
        print(f"aim: {scale} proposal < {AIM_S[scale]:g} s: {took:.2f} s, {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=("county", "region", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is shown")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    scales = ["county", "region"] if args.scale == "both" else [args.scale]
    results = {}
    for scale in scales:
        print(f"{scale}: generating the demo city (not timed)…", flush=True)
        results[scale] = run_scale(scale, args)
        report(scale, results[scale])
    print(f"\nseed {args.seed}, repeat {args.repeat}; peak RSS {peak_rss_mb():,.0f} MB")
    if args.json:
        emit_json(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
