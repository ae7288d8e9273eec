"""How good the breach-risk model is: its baseline, its metrics, a time-split backtest.

The baseline is each category's historical breach rate over the same snapshot
rows the model learns from (``domain.breach_risk.training_rows``), so that both
answer the same question: will this still-open incident miss its deadline? The
backtest trains on what was known before a cutoff (``as_of``: later resolutions
are hidden) and scores the snapshots taken after it, whose outcomes are known now.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd

from domain import breach_risk
from domain.breach_risk import CATEGORICAL, NUMERIC, RiskModel, Thin
from domain.errors import InvalidInput

HOLDOUT_MONTHS = 4
BINS = 10


def as_of(history: pd.DataFrame, cutoff: dt.datetime) -> pd.DataFrame:
    """The history as it stood at ``cutoff``: incidents reported by then, and
    whatever was resolved or closed after it still open (status in_progress)."""
    cut = pd.Timestamp(cutoff)
    reported = pd.to_datetime(history["reported_at"], utc=True)
    past = history.loc[reported <= cut].copy()
    later = pd.Series(False, index=past.index)
    for column in ("resolved_at", "closed_at"):
        if column in past:
            after = pd.to_datetime(past[column], utc=True) > cut
            later |= after
            past[column] = past[column].where(~after)
    past["status"] = past["status"].where(~later, "in_progress")
    return past


def baseline(rows: pd.DataFrame) -> dict:
    """Each category's breach rate over snapshot rows: {"rates": {code: rate}, "overall"}."""
    rates = rows.groupby("category", observed=True)["breached"].mean()
    return {
        "rates": {str(k): float(v) for k, v in rates.items()},
        "overall": float(rows["breached"].mean()),
    }


def baseline_risk(rates: dict, rows: pd.DataFrame) -> np.ndarray:
    """The baseline's risk of each row: its category's rate (overall for a new one)."""
    found = rows["category"].astype(str).map(rates["rates"])
    return found.fillna(rates["overall"]).to_numpy(dtype=float)


def evaluate(breached: object, risk: object, bins: int = BINS) -> dict:
    """AUC, Brier score, log loss and a calibration table of predictions.

    Parameters
    ----------
    breached : array-like of bool
        What happened.
    risk : array-like of float
        Predicted probabilities, 0..1.
    bins : int
        Equal-width bins of predicted risk for the calibration table.

    Returns
    -------
    dict
        ``n``, ``positives``, ``auc`` (None with one class only), ``brier``,
        ``log_loss`` and ``calibration``: per non-empty bin ``lo``, ``hi``, ``n``,
        ``predicted`` (mean risk) and ``observed`` (breach rate).
    """
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(breached, dtype=bool)
    p = np.asarray(risk, dtype=float)
    if len(y) != len(p) or not len(y):
        raise InvalidInput("evaluate needs as many predictions as outcomes, and some")
    which = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            table.append(
                {
                    "lo": b / bins,
                    "hi": (b + 1) / bins,
                    "n": int(inside.sum()),
                    "predicted": float(p[inside].mean()),
                    "observed": float(y[inside].mean()),
                }
            )
    both = 0 < y.sum() < len(y)
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "auc": float(roc_auc_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-9, 1 - 1e-9), labels=[False, True])),
        "calibration": table,
    }


def cutoff_of(now: dt.datetime, months: int = HOLDOUT_MONTHS) -> dt.datetime:
    """``months`` calendar months before ``now``."""
    return (pd.Timestamp(now) - pd.DateOffset(months=months)).to_pydatetime()


def split(history: pd.DataFrame, now: dt.datetime, months: int = HOLDOUT_MONTHS):
    """Training rows known at the cutoff, and the snapshot rows after it.

    Returns (cutoff, train rows, test rows); the test rows' outcomes are those
    known at ``now``.
    """
    cutoff = cutoff_of(now, months)
    train = breach_risk.training_rows(as_of(history, cutoff), cutoff)
    test = breach_risk.training_rows(history, now)
    return cutoff, train, test.loc[test["at"] >= cutoff.timestamp()].reset_index(drop=True)


def backtest(
    history: pd.DataFrame, now: dt.datetime, months: int = HOLDOUT_MONTHS, strength: float = 1.0
) -> dict | Thin:
    """Train on the history before the last ``months`` months, score on them.

    Returns
    -------
    dict, or Thin when the history before the cutoff is too thin
        ``cutoff`` (ISO), ``train`` and ``test`` ({rows, breaches}), ``model`` and
        ``baseline`` (``evaluate`` dicts), ``by_fraction`` ({fraction: AUC of model,
        AUC of baseline}), ``fit_s`` (seconds to fit) and ``beats_baseline``
        (higher AUC and lower Brier score).
    """
    cutoff, train, test = split(history, now, months)
    started = time.perf_counter()
    model = breach_risk.fit_rows(train, cutoff, strength=strength)
    fit_s = time.perf_counter() - started
    if isinstance(model, Thin):
        return model
    if test.empty or test["breached"].all() or not test["breached"].any():
        return Thin(f"the last {months} months hold no outcome of both kinds to score on")
    return score(model, train, test) | {"cutoff": cutoff.isoformat(), "fit_s": round(fit_s, 3)}


def score(model: RiskModel, train: pd.DataFrame, test: pd.DataFrame) -> dict:
    """The model against the category baseline (fitted on ``train``) on ``test``."""
    y = test["breached"].to_numpy()
    risk = breach_risk.risk_of_rows(model.params, test)
    base = baseline_risk(baseline(train), test)
    by_fraction = {}
    at_fraction = np.round(test["used"].to_numpy(dtype=float), 6)
    for fraction in breach_risk.FRACTIONS:
        inside = np.isclose(at_fraction, fraction)
        if 0 < y[inside].sum() < inside.sum():
            model_f, base_f = evaluate(y[inside], risk[inside]), evaluate(y[inside], base[inside])
            by_fraction[str(fraction)] = [model_f["auc"], base_f["auc"]]
    found, against = evaluate(y, risk), evaluate(y, base)
    return {
        "train": _counts(train),
        "test": _counts(test),
        "model": found,
        "baseline": against,
        "by_fraction": by_fraction,
        "beats_baseline": found["auc"] > against["auc"] and found["brier"] < against["brier"],
    }


def _counts(rows: pd.DataFrame) -> dict:
    return {
        "rows": len(rows),
        "incidents": int(rows["id"].nunique()),
        "breaches": int(rows.loc[rows["breached"], "id"].nunique()),
    }


def boosting_backtest(history: pd.DataFrame, now: dt.datetime, months: int = HOLDOUT_MONTHS):
    """The same split scored by scikit-learn's HistGradientBoostingClassifier on
    the same features (native categorical splits): whether trees would earn their
    keep over the logistic model, whose factors are exact. Returns ``evaluate``'s
    dict and the seconds to fit."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    _cutoff, train, test = split(history, now, months)

    def matrix(rows: pd.DataFrame) -> np.ndarray:
        cats = [
            pd.Categorical(
                rows[g].astype(str), categories=sorted(train[g].astype(str).unique())
            ).codes.astype(float)
            for g in CATEGORICAL
        ]
        cats = [np.where(c < 0, np.nan, c) for c in cats]
        return np.column_stack(
            [*cats, *(rows[k].to_numpy(dtype=float) for k in ("used", *NUMERIC))]
        )

    started = time.perf_counter()
    trees = HistGradientBoostingClassifier(
        categorical_features=list(range(len(CATEGORICAL))),
        max_iter=300,
        learning_rate=0.05,
        early_stopping=True,
        random_state=0,
    ).fit(matrix(train), train["breached"])
    fit_s = time.perf_counter() - started
    risk = trees.predict_proba(matrix(test))[:, 1]
    return evaluate(test["breached"], risk), fit_s
