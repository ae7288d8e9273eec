"""The surge forecast for the wall and the review: training it, the next week,
and what was forecast against what came.

``train_surge`` is one of ``services.predictions.TRAINERS``: it fits the model
on the whole history (``domain.surge_forecast``), backtests it on rolling
origins against the same weekday's mean, and saves it as 'thin' when it does
not beat that baseline. ``next_week`` reads the newest run and never fits:
with no usable run it says so (None). ``against_actual`` (per day) and
``against_actual_by_category`` (per category, over the period) refit at the
start of every week of a past period on the days before it, so the review
shows the forecast as it would have been made then.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd

from domain import surge_backtest as backtests
from domain import surge_forecast as sf

KIND = "surge"
DAYS = 7
_CACHE_SIZE = 16
_cache: dict[tuple, object] = {}  # frames, and (per day, per category) pairs
_days: dict[tuple, pd.DataFrame] = {}
_lock = threading.Lock()


def train_surge(history: pd.DataFrame, now: dt.datetime):
    """The surge model on all of ``history`` and its backtest over the last
    six months (``domain.surge_backtest``).

    Returns a ``services.predictions.Trained``: 'ok' when it beats the
    same-weekday baseline on a town's day (the wall's figure) by absolute
    error and on a cell (town × category × day) by squared error, else 'thin'
    with the figures in the note.
    """
    # Here, not at the top: services.predictions lists this trainer.
    from services.predictions import Trained

    counts = sf.daily_counts(history, now)
    reports = int(counts.to_numpy().sum()) if len(counts) else 0
    if len(counts) < sf.MIN_DAYS + 4 * 7:
        note = f"{len(counts)} days of history; the forecast needs {sf.MIN_DAYS + 28}"
        return Trained("thin", {}, {"days": len(counts)}, reports, note)
    started = time.perf_counter()
    params = sf.fit(counts, now)
    fit_s = time.perf_counter() - started
    tested = backtests.backtest(counts)
    tested.pop("rows")
    metrics = {"fit_s": round(fit_s, 3), "days": len(counts), **tested}
    versus = (
        f"MAE per town and day {tested['mae_town_model']:.3f} vs {tested['mae_town_baseline']:.3f}"
        f", per town, category and day {tested['mae_model']:.4f} vs "
        f"{tested['mae_baseline']:.4f} (RMSE {tested['rmse_model']:.4f} vs "
        f"{tested['rmse_baseline']:.4f}), 80 % interval held {tested['coverage_town']:.0%} "
        f"of towns' days, on {tested['origins']} weeks from {tested['first_origin']}"
    )
    beats = (
        tested["mae_town_model"] < tested["mae_town_baseline"]
        and tested["rmse_model"] < tested["rmse_baseline"]
    )
    if not beats:
        note = f"does not beat the same weekday's mean ({versus}): not shown"
        return Trained("thin", {}, metrics, reports, note)
    return Trained("ok", params, metrics, reports, f"beats the same weekday's mean: {versus}")


def _remember(key: tuple, frame):
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = frame
    return frame


def next_week(
    store, now: dt.datetime, town: str | None = None, by: list[str] | None = None
) -> pd.DataFrame | None:
    """The forecast of the newest usable surge run for the 7 local days from today.

    Parameters
    ----------
    store : Store
    now : datetime
        Aware; the forecast starts on its local (Beijing) date.
    town : str, optional
        Only this town's rows.
    by : list of str, optional
        Sum to these columns (of town_code, category, date), each sum with
        its own 80 % interval; every town × category × day when None.

    Returns
    -------
    DataFrame with town_code, category, date (naive local midnight; those of
    ``by`` only when given), expected, low, high; or None when no usable model
    exists (never trained, or thin).
    """
    run = store.latest_model_run(KIND)
    if run is None or run["status"] != "ok":
        return None
    start = sf.local_day(now)
    key = (str(store.engine.url), run["id"], start, town, tuple(by or ()))
    found = _cache.get(key)
    if found is not None:
        return found.copy()
    params = run["params"]
    frame = sf.forecast(params, start, DAYS)
    if town is not None:
        frame = frame.loc[frame["town_code"] == town].reset_index(drop=True)
    if by:
        frame = sf.totals(frame, list(by), params)
    return _remember(key, frame).copy()


def model_state(store) -> dict:
    """The newest surge run: trained_at (aware UTC, None if never), status
    ('ok', 'thin' or None), note, metrics and run_id."""
    run = store.latest_model_run(KIND)
    if run is None:
        return {"trained_at": None, "status": None, "note": "", "metrics": {}, "run_id": None}
    keys = ("trained_at", "status", "note", "metrics")
    return {key: run[key] for key in keys} | {"run_id": run["id"]}


def _whole_days(store) -> tuple[tuple, pd.DataFrame]:
    """Daily counts of every whole local day before today, read once a day per
    process and store (one held at a time: a region's are tens of MB), again
    when the number of reports before today changes (a city reloaded or
    cleared); a report corrected later (its place, its category) shows the
    next day. Returns (the key it was read under, the counts)."""
    today = sf.local_day(dt.datetime.now(dt.UTC)).tz_localize(sf.LOCAL)
    before = store.count_reports() - store.reported_since(today.tz_convert("UTC"))
    key = (str(store.engine.url), today, before)
    with _lock:
        held = dict(_days)
    if key not in held:
        held = {key: sf.daily_counts(store.history(), today)}
        with _lock:
            _days.clear()
            _days.update(held)
    return key, held[key]


def against_actual(
    store, start: dt.datetime, end: dt.datetime, town: str | None = None
) -> pd.DataFrame | None:
    """What the model would have forecast for each local day of [start, end)
    against what came, and the same weekday's mean.

    Each week from ``start`` is forecast from a fit on the days before it
    only. Proactive cases are not reports and are not counted.

    Returns
    -------
    DataFrame, one row per local day (date, naive midnight): expected, low,
    high (80 %), baseline, actual: reports of the town (of the city when
    ``town`` is None), every category together; or None when there are fewer
    than ``domain.surge_forecast.MIN_DAYS`` days of history before ``start``.
    """
    found = _compared(store, start, end, town)
    return None if found is None else found[0].copy()


def against_actual_by_category(
    store, start: dt.datetime, end: dt.datetime, town: str | None = None
) -> pd.DataFrame | None:
    """``against_actual`` summed over the days of [start, end) per category.

    Each week's forecast is its own fit's (as ``against_actual``); the
    interval of a category's sum adds the weeks as independent counts, each
    with its fit's dispersion of a category's day (of a cell for one town:
    ``surge_forecast.level_of``).

    Returns
    -------
    DataFrame, one row per category the model knows: category, expected, low,
    high (80 %), baseline (the same weekday's mean, summed), actual; largest
    forecast first, without those nothing was expected of and none came
    (a category kept for its past). None as ``against_actual``.
    """
    found = _compared(store, start, end, town)
    return None if found is None else found[1].copy()


def _compared(store, start: dt.datetime, end: dt.datetime, town: str | None):
    """(per day, per category) of ``against_actual`` and its sibling, made
    together: both come from the same fits (~0.2 s a week)."""
    first, stop = sf.local_day(start), sf.local_day(end)
    if stop <= first:
        return None
    read, whole = _whole_days(store)
    key = (*read, "actual", first, stop, town)
    found = _cache.get(key)
    if found is not None:
        return found
    counts = whole.loc[: stop - pd.Timedelta(days=1)]
    if len(counts.loc[counts.index < first]) < sf.MIN_DAYS:
        return None
    by = ["category"] if town is None else ["town_code", "category"]
    days, cats, bases = [], [], []
    for origin in pd.date_range(first, stop - pd.Timedelta(days=1), freq=f"{DAYS}D"):
        length = min(DAYS, (stop - origin).days)
        past = counts.loc[counts.index < origin]
        params = sf.fit(past)
        frame = sf.forecast(params, origin, length)
        base = sf.baseline_same_weekday(past, origin, length)
        if town is not None:
            frame = frame.loc[frame["town_code"] == town]
            base = base.loc[base["town_code"] == town]
        day = sf.totals(frame, ["date"], params).set_index("date")
        day["baseline"] = base.groupby("date")["expected"].sum()
        days.append(day)
        cats.append(sf.spread(frame, by, params).drop(columns="town_code", errors="ignore"))
        bases.append(base)
    mine = counts if town is None else counts.loc[:, counts.columns.get_level_values(0) == town]
    out = pd.concat(days)
    out["actual"] = mine.sum(axis=1).reindex(out.index)
    out = out.fillna({"baseline": 0.0}).reset_index()
    per_category = sf.with_interval(pd.concat(cats).groupby("category").sum().reset_index())
    came = mine.loc[mine.index >= first].sum(axis=0).groupby(level="category").sum()
    usual = pd.concat(bases).groupby("category")["expected"].sum()
    per_category = per_category.assign(
        baseline=per_category["category"].map(usual).fillna(0.0).to_numpy(),
        actual=per_category["category"].map(came).fillna(0).astype(int).to_numpy(),
    )
    nothing = (per_category["expected"] < 0.05) & (per_category["actual"] == 0)
    per_category = per_category.loc[~nothing].sort_values(
        ["expected", "category"], ascending=[False, True], ignore_index=True
    )
    return _remember(key, (out, per_category))
