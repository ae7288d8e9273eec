"""Backtests of issue 20's three predictions against their simple rivals.

    .venv/bin/python bench/predictions.py [--scale county|region] [--seed 2022]
        [--now 2026-12-01T00:00+08:00] [--months 4] [--busy N] [--json]

Works in-process on the demo city, generated (not read from a database) so
that the planted structure (``docs/demo_history.md``) is known as truth. Every
figure is from a time split: train on the history before the last
``--months`` months, score on them.

1. **Breach risk** (``domain.breach_backtest``): the logistic model against
   each category's historical breach rate: AUC, Brier score, expected
   calibration error, on snapshots of incidents after the cutoff; fit time.
   Then the model fitted on everything: the time to predict the open work of
   one console refresh, at ``now`` and for 1,000 open incidents. With
   ``--boosting``, gradient-boosted trees on the same split, for comparison.
2. **Recurring spots** (``domain.spot_backtest``): the desk replayed day by
   day over the test months; recall and precision against the planted
   episodes, false spots per week, days from the fifth report to the
   proposal, with the desk's settings (``services.proactive``). The finder
   fits nothing, so the months are pure test.
3. **Surge forecast** (``domain.surge_backtest``): weekly origins over the
   test months, 7 days ahead per town × category × day, against the same
   weekday's mean of the last four weeks: MAE, and the 80 % interval's coverage.

Peak RSS is printed after each part (it only grows). ``--busy N`` runs N
spinning processes beside it, to see how the times hold on a busy machine.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.demo_city import generate_city
from domain import breach_backtest, breach_risk, spot_backtest, surge_backtest
from domain.lifecycle import OPEN_STATUSES
from domain.surge_forecast import daily_counts
from services import proactive

DEFAULT_NOW = "2026-12-01T00:00+08:00"
HISTORY_COLUMNS = (
    "id", "category", "priority", "town_code", "grid_code", "channel", "lon", "lat", "status",
    "reported_at", "due_resolve_at", "resolved_at", "closed_at",
)  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spin() -> None:
    while True:
        pass


def history_of(incidents: pd.DataFrame) -> pd.DataFrame:
    """The generated incidents as ``Store.history`` gives them (ids numbered on loading)."""
    frame = incidents.reset_index(drop=True).assign(id=np.arange(1, len(incidents) + 1))
    frame["pauses"] = None
    return frame[[*HISTORY_COLUMNS, "pauses"]]


def breach_part(history: pd.DataFrame, now: dt.datetime, months: int, boosting: bool) -> dict:
    result = breach_backtest.backtest(history, now, months=months)
    if isinstance(result, breach_risk.Thin):
        return {"thin": result.reason}
    started = time.perf_counter()
    model = breach_risk.fit(history, now)
    fit_all_s = time.perf_counter() - started
    open_now = history.loc[history["status"].isin(OPEN_STATUSES)]
    rng = np.random.default_rng(1)
    thousand = history.iloc[rng.choice(len(history), 1000, replace=False)].copy()
    thousand["status"] = "in_progress"
    thousand["reported_at"] = pd.Timestamp(now) - pd.to_timedelta(
        rng.uniform(0, 48, 1000), unit="h"
    )
    thousand["due_resolve_at"] = thousand["reported_at"] + pd.Timedelta(hours=60)
    # As services.predictions reads it for a console refresh: the last 60 days
    # and whatever older is still open (the towns' loads are counted in it).
    reported = pd.to_datetime(history["reported_at"], utc=True)
    recent = history.loc[
        (reported >= pd.Timestamp(now) - pd.Timedelta(days=60))
        | history["status"].isin(OPEN_STATUSES)
    ]
    times = {}
    for name, frame in (("open_now", open_now), ("open_1000", thousand)):
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            breach_risk.predict(model, frame, now, recent)
            runs.append(time.perf_counter() - began)
        times[name] = {"rows": len(frame), "median_ms": round(1000 * float(np.median(runs)), 1)}
    out = {
        "cutoff": result["cutoff"],
        "train": result["train"],
        "test": result["test"],
        "model": _scores(result["model"]),
        "baseline": _scores(result["baseline"]),
        "by_fraction": result["by_fraction"],
        "beats_baseline": result["beats_baseline"],
        "fit_s": result["fit_s"],
        "fit_all_s": round(fit_all_s, 2),
        "predict": times,
    }
    if boosting:
        trees, trees_s = breach_backtest.boosting_backtest(history, now, months)
        out["boosting"] = _scores(trees) | {"fit_s": round(trees_s, 2)}
    return out


def _scores(evaluated: dict) -> dict:
    """AUC, Brier score, the expected calibration error (the bins' size-weighted
    gap between predicted and observed rates) and the calibration bins."""
    bins = evaluated["calibration"]
    n = sum(b["n"] for b in bins) or 1
    ece = sum(b["n"] / n * abs(b["predicted"] - b["observed"]) for b in bins)
    return {
        "auc": round(evaluated["auc"], 3) if evaluated["auc"] is not None else None,
        "brier": round(evaluated["brier"], 4),
        "ece": round(ece, 4),
        "calibration": [
            f"{b['predicted']:.2f}->{b['observed']:.2f} ({b['n']})" for b in bins if b["n"]
        ],
    }


def spots_part(history: pd.DataFrame, planted: pd.DataFrame, now, months: int) -> dict:
    end = pd.Timestamp(now)
    start = end - pd.DateOffset(months=months)
    began = time.perf_counter()
    figures = spot_backtest.evaluate(
        history,
        planted,
        start,
        end,
        step_days=1.0,
        window_days=proactive.WINDOW_DAYS,
        radius_m=proactive.RADIUS_M,
        min_reports=proactive.MIN_REPORTS,
    )
    figures.pop("proposals_frame", None)
    figures["replay_s"] = round(time.perf_counter() - began, 1)
    return figures


def surge_part(history: pd.DataFrame, now: dt.datetime, months: int) -> dict:
    counts = daily_counts(history, now)
    at = surge_backtest.origins(counts, months=months)
    figures = surge_backtest.backtest(counts, at)
    figures.pop("rows", None)
    return figures


def _show(title: str, figures: dict) -> None:
    print(f"\n{title}")
    for key, value in figures.items():
        print(f"  {key}: {json.dumps(value, ensure_ascii=False, default=str)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("county", "region"), default="county")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--now", default=DEFAULT_NOW, help="the city's present (ISO, aware)")
    parser.add_argument("--months", type=int, default=4, help="test months at the end")
    parser.add_argument("--busy", type=int, default=0, help="spinning processes beside it")
    parser.add_argument(
        "--boosting",
        action="store_true",
        help="also score scikit-learn's HistGradientBoostingClassifier on the same split",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    now = dt.datetime.fromisoformat(args.now).astimezone(dt.UTC)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    try:
        began = time.perf_counter()
        city = generate_city(args.seed, args.scale, now=now)
        history = history_of(city.incidents)
        out = {
            "scale": args.scale,
            "seed": args.seed,
            "now": now.isoformat(),
            "busy": args.busy,
            "incidents": len(history),
            "generate_s": round(time.perf_counter() - began, 1),
            "rss_mb": {"generated": round(peak_rss_mb())},
        }
        out["breach_risk"] = breach_part(history, now, args.months, args.boosting)
        out["rss_mb"]["breach_risk"] = round(peak_rss_mb())
        out["recurring_spots"] = spots_part(history, city.planted_spots, now, args.months)
        out["rss_mb"]["recurring_spots"] = round(peak_rss_mb())
        out["surge"] = surge_part(history, now, args.months)
        out["rss_mb"]["surge"] = round(peak_rss_mb())
    finally:
        for p in spinners:
            p.kill()
    print(
        f"{args.scale}, seed {args.seed}, now {now.isoformat()}, {len(history):,} incidents, "
        f"{args.busy} busy processes"
    )
    for part in ("breach_risk", "recurring_spots", "surge", "rss_mb"):
        _show(part, out[part])
    if args.json:
        print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
