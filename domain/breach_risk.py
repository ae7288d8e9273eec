"""Risk that an open incident misses its resolution deadline, learnt from history.

The training rows are snapshots of past incidents (``domain.breach_features``):
category, priority, town, channel, when reported, the fraction of the allowed
time used, the town's open workload and its new reports, and whether the
incident then missed its deadline. The model is a logistic regression fitted
with scikit-learn on one-hot columns, a piecewise-linear basis of the used
fraction and two scaled loads. Its parameters are a plain JSON-able dict, and
predictions are made from them with numpy alone, so that a server worker never
fits. A row's log-odds split exactly into one contribution per feature group
against the average case: those are the factors shown with a risk.

The category baseline, the metrics and the time-split backtest are in
``domain.breach_backtest``; a gradient-boosted model was tried there and did
not beat this one (see the README's figures).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from domain.breach_features import (
    FRACTIONS,
    epoch,
    features,
    seconds,
    town_load,
    training_rows,
)
from domain.errors import InvalidInput

__all__ = ["features", "training_rows"]  # re-exported: the rows the model learns from

KIND = "breach_risk"
VERSION = 1
MIN_ROWS = 2000  # snapshot rows below which the history is too thin
MIN_BREACHES = 100  # incidents that missed their deadline, likewise
# Feature groups, the factors' keys: categorical ones, the used fraction, loads.
CATEGORICAL = ("category", "priority", "town", "channel", "reported")
NUMERIC = ("workload", "new_reports")
FACTOR_KEYS = (*CATEGORICAL, "used", *NUMERIC)
MIN_WEIGHT = 0.05  # log-odds: a smaller contribution is not named as a factor
TOP_FACTORS = 3


@dataclass(frozen=True)
class Thin:
    """Why no model was fitted: too little history to learn from."""

    reason: str
    rows: int = 0
    breaches: int = 0


@dataclass(frozen=True)
class RiskModel:
    """A fitted breach-risk model: its parameters (see ``to_params``)."""

    params: dict

    def to_params(self) -> dict:
        """Everything needed to predict, as plain JSON types (a copy)."""
        return json.loads(json.dumps(self.params))

    @classmethod
    def from_params(cls, params: object) -> RiskModel:
        """The model of ``to_params``' dict; raises ``InvalidInput`` if it is not one."""
        if not isinstance(params, dict) or params.get("kind") != KIND:
            raise InvalidInput("not the parameters of a breach-risk model")
        if params.get("version") != VERSION:
            raise InvalidInput(f"breach-risk parameters of version {params.get('version')!r}")
        missing = {"intercept", "groups", "used", "numeric", "usual_load"} - set(params)
        if missing:
            raise InvalidInput(f"breach-risk parameters lack {', '.join(sorted(missing))}")
        return cls(json.loads(json.dumps(params)))

    @property
    def average_risk(self) -> float:
        """The risk of the average case, against which factors are weighed."""
        return float(_sigmoid(_base(self.params)))


def _transformed(rows: pd.DataFrame, usual: dict) -> dict[str, np.ndarray]:
    """The loads before scaling, as logs: 0 on a usual day.

    workload: log((open + 1) / (the town's usual open + 1)); new_reports: log of
    the ratio (``domain.breach_features.town_load``).
    """
    town_usual = rows["town"].map(usual).fillna(usual["*"]).to_numpy(dtype=float)
    return {
        "workload": np.log((rows["workload"].to_numpy(dtype=float) + 1) / (town_usual + 1)),
        "new_reports": np.log(np.maximum(rows["new_reports"].to_numpy(dtype=float), 1e-6)),
    }


def _hats(used: np.ndarray, knots: list[float]) -> np.ndarray:
    """Piecewise-linear basis of the used fraction with a knot at each snapshot
    fraction: one-hot at the knots (where training rows are), interpolating
    between them and extending the last piece beyond (towards the deadline)."""
    k = np.asarray(knots, dtype=float)
    u = np.nan_to_num(np.maximum(used, k[0]), nan=k[0])
    i = np.clip(np.searchsorted(k, u, "right") - 1, 0, len(k) - 2)
    t = (u - k[i]) / (k[i + 1] - k[i])
    basis = np.zeros((len(u), len(k)))
    basis[np.arange(len(u)), i] = 1 - t
    basis[np.arange(len(u)), i + 1] = t
    return basis


def _codes(rows: pd.DataFrame, group: str, levels: list[str]) -> np.ndarray:
    return pd.Categorical(rows[group].astype(str), categories=levels).codes.astype(int)


def fit(history: pd.DataFrame, now: dt.datetime, *, strength: float = 1.0) -> RiskModel | Thin:
    """Fit the breach-risk model on the history known at ``now``.

    Parameters
    ----------
    history : DataFrame
        Incidents: id, category, priority, town_code, channel, status,
        reported_at, due_resolve_at, resolved_at, closed_at (UTC).
    now : datetime
        Aware; outcomes after it are not known.
    strength : float
        Inverse L2 regularisation of the logistic regression (scikit-learn's ``C``).

    Returns
    -------
    RiskModel, or Thin when there are fewer than ``MIN_ROWS`` snapshot rows or
    ``MIN_BREACHES`` incidents that missed their deadline (or none that met it).
    """
    return fit_rows(training_rows(history, now), now, strength=strength)


def thin_reason(rows: pd.DataFrame) -> Thin | None:
    """A ``Thin`` when snapshot rows are too few to learn from, else None."""
    breaches = int(rows.loc[rows["breached"], "id"].nunique())
    met = int(rows.loc[~rows["breached"], "id"].nunique())
    if len(rows) >= MIN_ROWS and breaches >= MIN_BREACHES and met > 0:
        return None
    return Thin(
        f"{len(rows):,} snapshot rows of {rows['id'].nunique():,} finished incidents, "
        f"{breaches:,} of them late: at least {MIN_ROWS:,} rows and {MIN_BREACHES} late "
        "incidents are needed to learn from",
        len(rows),
        breaches,
    )


def fit_rows(rows: pd.DataFrame, now: dt.datetime, *, strength: float = 1.0) -> RiskModel | Thin:
    """``fit`` on snapshot rows already made by ``training_rows``."""
    from sklearn.linear_model import LogisticRegression

    thin = thin_reason(rows)
    if thin is not None:
        return thin
    n = len(rows)
    usual = rows.groupby("town", observed=True)["workload"].median()
    usual = {"*": float(rows["workload"].median()), **{str(k): float(v) for k, v in usual.items()}}
    levels = {g: sorted(rows[g].astype(str).unique()) for g in CATEGORICAL}
    cols, offset = [], 0
    for group, names in levels.items():
        cols.append(_codes(rows, group, names) + offset)
        offset += len(names)
    onehot = sparse.csr_matrix(
        (np.ones(n * len(cols)), (np.tile(np.arange(n), len(cols)), np.concatenate(cols))),
        shape=(n, offset),
    )
    hats = _hats(rows["used"].to_numpy(dtype=float), list(FRACTIONS))
    raw = _transformed(rows, usual)
    scale = {k: (float(raw[k].mean()), float(raw[k].std()) or 1.0) for k in NUMERIC}
    numeric = [(raw[k] - scale[k][0]) / scale[k][1] for k in NUMERIC]
    design = sparse.hstack([onehot, sparse.csr_matrix(np.column_stack([hats, *numeric]))])
    model = LogisticRegression(C=strength, max_iter=2000).fit(design.tocsr(), rows["breached"])
    weights, start, groups = model.coef_[0], 0, {}
    for group, names in levels.items():
        w = weights[start : start + len(names)]
        share = np.bincount(_codes(rows, group, names), minlength=len(names)) / n
        groups[group] = {"levels": names, "weights": w.tolist(), "mean": float(w @ share)}
        start += len(names)
    used_w, start = weights[start : start + len(FRACTIONS)], start + len(FRACTIONS)
    return RiskModel(
        {
            "kind": KIND,
            "version": VERSION,
            "intercept": float(model.intercept_[0]),
            "groups": groups,
            "used": {
                "knots": list(FRACTIONS),
                "weights": used_w.tolist(),
                "mean": float(used_w @ hats.mean(axis=0)),
            },
            "numeric": {
                k: {"mean": scale[k][0], "scale": scale[k][1], "weight": float(weights[start + i])}
                for i, k in enumerate(NUMERIC)
            },
            "usual_load": usual,
            "strength": strength,
            "trained_until": now.astimezone(dt.UTC).isoformat(),
            "rows": n,
            "incidents": int(rows["id"].nunique()),
            "breaches": int(rows.loc[rows["breached"], "id"].nunique()),
            "breach_rate": float(rows["breached"].mean()),
        }
    )


def _base(params: dict) -> float:
    means = [g["mean"] for g in params["groups"].values()]
    return params["intercept"] + sum(means) + params["used"]["mean"]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def contributions(params: dict, rows: pd.DataFrame) -> pd.DataFrame:
    """Each feature group's log-odds contribution against the average case.

    The average case has log-odds ``intercept + Σ mean`` (of the categorical
    groups and the used fraction; the loads' means are 0 by scaling); a row's
    log-odds are that plus the sum of its contributions, exactly. A level not
    seen in training (a new town) weighs 0 against the others' average.
    """
    out = {}
    for group, g in params["groups"].items():
        codes = _codes(rows, group, g["levels"])
        weights = np.append(np.asarray(g["weights"], dtype=float), 0.0)
        out[group] = weights[codes] - g["mean"]
    used = params["used"]
    basis = _hats(rows["used"].to_numpy(dtype=float), used["knots"])
    out["used"] = basis @ np.asarray(used["weights"], dtype=float) - used["mean"]
    raw = _transformed(rows, params["usual_load"])
    for key, n in params["numeric"].items():
        out[key] = n["weight"] * (raw[key] - n["mean"]) / n["scale"]
    return pd.DataFrame(out, index=rows.index)


def risk_of_rows(params: dict, rows: pd.DataFrame) -> np.ndarray:
    """Risk (0..1) of ``features`` rows; NaN where the deadline is unknown."""
    logit = _base(params) + contributions(params, rows).sum(axis=1).to_numpy()
    return np.where(np.isnan(rows["used"].to_numpy(dtype=float)), np.nan, _sigmoid(logit))


def _value(key: str, value: object) -> object:
    """A factor's raw value, plain JSON: the level, the count or the ratio."""
    if key in ("used", "new_reports"):
        return round(float(value), 2)
    if key == "workload":
        return int(value)
    return int(value) if key == "priority" and str(value).isdigit() else str(value)


def _factors(parts: pd.DataFrame, rows: pd.DataFrame) -> list[list[dict]]:
    weights = parts.to_numpy()
    order = np.argsort(-np.abs(weights), axis=1, kind="stable")[:, :TOP_FACTORS]
    keys = list(parts.columns)
    values = {key: rows[key].to_numpy() for key in keys}
    found = []
    for i, picks in enumerate(order):
        found.append(
            [
                {
                    "key": keys[j],
                    "value": _value(keys[j], values[keys[j]][i]),
                    "weight": round(float(weights[i, j]), 3),
                }
                for j in picks
                if abs(weights[i, j]) >= MIN_WEIGHT
            ]
        )
    return found


def predict(
    model: RiskModel,
    open_frame: pd.DataFrame,
    now: dt.datetime,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Risk that each open incident misses its resolution deadline, and why.

    Parameters
    ----------
    model : RiskModel
    open_frame : DataFrame
        Open incidents: category, priority, town_code, channel, reported_at,
        due_resolve_at (UTC; None while parked).
    now : datetime
        Aware.
    history : DataFrame, optional
        The incidents the towns' loads are counted in (``town_load``: every open
        one and the reports of the last 28 days); default ``open_frame`` alone.

    Returns
    -------
    DataFrame indexed like ``open_frame``
        ``risk`` 0..1 (1 when already past the deadline, NaN while parked) and
        ``factors``: up to three dicts {"key", "value", "weight"}, the feature
        groups of ``FACTOR_KEYS`` that move the log-odds most against the average
        case (largest first, ``MIN_WEIGHT`` at least); an overdue incident has the
        one factor {"key": "overdue", "value": hours past the deadline, "weight": None}.
    """
    now_s = epoch(now)
    if history is None:
        history = open_frame.assign(status="in_progress", resolved_at=pd.NaT)
    load = town_load(history, open_frame["town_code"].to_numpy(), np.full(len(open_frame), now_s))
    rows = features(open_frame, now, load)
    parts = contributions(model.params, rows)
    risk = risk_of_rows(model.params, rows)
    late_h = (now_s - seconds(open_frame["due_resolve_at"])) / 3600
    overdue = late_h > 0
    risk[overdue] = 1.0
    factors = _factors(parts, rows)
    for i in np.flatnonzero(overdue | np.isnan(risk)):
        late = {"key": "overdue", "value": round(float(late_h[i]), 1), "weight": None}
        factors[i] = [late] if overdue[i] else []
    return pd.DataFrame({"risk": risk, "factors": factors}, index=open_frame.index)
