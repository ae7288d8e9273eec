"""How well the surge forecast did: rolling origins, against the simple rival.

At each origin the model is fitted on the days before it only, forecasts the
next 7 days, and is compared with what came and with
``surge_forecast.baseline_same_weekday`` (the mean of the same weekday over
the four weeks before). Errors are mean absolute errors per cell (town ×
category × day) and per town × day (what the wall shows); the coverage is the
share of actual counts inside the 80 % interval.

Per cell most counts are 0 or 1, where the mean forecast is not the number
that minimises an absolute error (the median is); the table reports both, and
the squared error, so that neither the model nor the rival is flattered by the
choice of score.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from domain import surge_forecast as sf

HORIZON = 7
KEYS = ["town_code", "category", "date"]


def origins(counts: pd.DataFrame, months: int = 6, step_days: int = 7) -> list[pd.Timestamp]:
    """Origins every ``step_days`` over the last ``months`` months of ``counts``,
    each with ``HORIZON`` days of actual counts after it, oldest first."""
    last_start = counts.index[-1] - pd.Timedelta(days=HORIZON - 1)
    first = last_start - pd.DateOffset(months=months)
    out = []
    at = last_start
    while at > first and at - counts.index[0] >= pd.Timedelta(days=sf.MIN_DAYS):
        out.append(at)
        at -= pd.Timedelta(days=step_days)
    return out[::-1]


def one_origin(counts: pd.DataFrame, origin: pd.Timestamp) -> tuple[pd.DataFrame, dict, float]:
    """Forecast, rival and actual for the week from ``origin``, in one frame.

    Returns
    -------
    (frame, params, seconds): columns of ``KEYS``, expected, low, high,
    median, baseline and actual; the fitted parameters; the time to fit.
    """
    past = counts.loc[counts.index < origin]
    began = time.perf_counter()
    params = sf.fit(past)
    fitted = time.perf_counter() - began
    frame = sf.forecast(params, origin, HORIZON)
    frame["median"] = sf.interval(frame["expected"], params["alpha"], (0.5,))[0]
    frame["inside"] = sf.inside(frame["expected"], params["alpha"], frame["low"], frame["high"])
    rival = sf.baseline_same_weekday(past, origin, HORIZON).rename(columns={"expected": "baseline"})
    actual = sf.as_rows(counts.loc[origin : origin + pd.Timedelta(days=HORIZON - 1)], "actual")
    frame = frame.merge(rival, on=KEYS, how="outer").merge(actual, on=KEYS, how="left")
    # A town or category new since the origin: the model and the rival expected nothing.
    filled = ["expected", "low", "high", "median", "inside", "baseline"]
    frame[filled] = frame[filled].fillna(0.0)
    frame["actual"] = frame["actual"].fillna(0.0)
    return frame, params, fitted


def backtest(counts: pd.DataFrame, at: list[pd.Timestamp] | None = None) -> dict:
    """Score the model and the rival on rolling origins.

    Parameters
    ----------
    counts : DataFrame
        From ``surge_forecast.daily_counts`` (the whole history).
    at : list of Timestamp, optional
        The origins (local dates); by default ``origins(counts)``.

    Returns
    -------
    dict of figures: origins, days, cells; mae_model, mae_model_median,
    mae_baseline (per town × category × day); mae_town_model and
    mae_town_baseline (per town × day); rmse_model and rmse_baseline (per
    cell); coverage (cells) and coverage_town (town × day) of the 80 %
    interval; fit_seconds (mean per origin). Also ``rows``: a DataFrame of the
    cells (not JSON-able; drop it before saving).
    """
    at = origins(counts) if at is None else at
    frames, seconds, alphas = [], [], []
    for origin in at:
        frame, params, fitted = one_origin(counts, origin)
        frames.append(frame.assign(origin=origin))
        seconds.append(fitted)
        alphas.append(params["alpha_town"])
    if not frames:
        raise ValueError("no origin with enough history before it and a week after it")
    rows = pd.concat(frames, ignore_index=True)
    err = rows["actual"] - rows["expected"]
    town = _town_days(rows, alphas, at)
    return {
        "origins": len(at),
        "first_origin": at[0].date().isoformat(),
        "last_origin": at[-1].date().isoformat(),
        "cells": len(rows),
        "mean_actual": _r(rows["actual"].mean()),
        "mae_model": _r(err.abs().mean()),
        "mae_model_median": _r((rows["actual"] - rows["median"]).abs().mean()),
        "mae_baseline": _r((rows["actual"] - rows["baseline"]).abs().mean()),
        "rmse_model": _r(np.sqrt((err**2).mean())),
        "rmse_baseline": _r(np.sqrt(((rows["actual"] - rows["baseline"]) ** 2).mean())),
        "mae_town_model": _r((town["actual"] - town["expected"]).abs().mean()),
        "mae_town_baseline": _r((town["actual"] - town["baseline"]).abs().mean()),
        "coverage": _r(rows["actual"].between(rows["low"], rows["high"]).mean()),
        "coverage_expected": _r(rows["inside"].mean()),
        "coverage_town": _r(town["actual"].between(town["low"], town["high"]).mean()),
        "coverage_town_expected": _r(town["inside"].mean()),
        "alpha_town_mean": _r(float(np.mean(alphas))),
        "fit_seconds": _r(float(np.mean(seconds))),
        "rows": rows,
    }


def _town_days(rows: pd.DataFrame, alphas: list[float], at: list[pd.Timestamp]) -> pd.DataFrame:
    """Per origin, town and day: sums, with the interval of the sum."""
    parts = []
    for origin, alpha in zip(at, alphas, strict=True):
        mine = rows.loc[rows["origin"] == origin]
        sums = mine.groupby(["town_code", "date"])[["actual", "baseline"]].sum()
        total = sf.totals(mine, ["town_code", "date"], {"alpha_town": alpha})
        total = total.set_index(["town_code", "date"])
        total["inside"] = sf.inside(total["expected"], alpha, total["low"], total["high"])
        parts.append(total.join(sums))
    return pd.concat(parts)


def _r(value: float) -> float:
    return round(float(value), 4)
