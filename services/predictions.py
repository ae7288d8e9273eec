"""The models learnt from the store's history: training them, and the breach risk
of open incidents for the console and the wall.

``train`` runs every trainer of ``TRAINERS`` on one read of the history and saves
each result as a model run (status 'ok', or 'thin' with the reason when the
history is too thin or the model does not beat its baseline). Predictions read
the newest run: a worker rebuilds the model from its JSON parameters once per
run id, so a second worker picks up a new model by reading the store, never by
fitting. With no usable run there is no figure (None), never a guess.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain import breach_backtest, breach_risk
from domain.breach_risk import RiskModel, Thin
from domain.lifecycle import OPEN_STATUSES
from services.forecast import train_surge

LOAD_DAYS = 60  # the towns' loads are counted over the reports of this many days
_RISK_CACHE_SIZE = 8


@dataclass(frozen=True)
class Trained:
    """What a trainer made of the history: a model run to save."""

    status: str  # 'ok' or 'thin'
    params: dict
    metrics: dict
    rows: int
    note: str = ""
    extra: dict = field(default_factory=dict)  # shown by the command line, not saved


def train_breach_risk(history: pd.DataFrame, now: dt.datetime) -> Trained:
    """The breach-risk model on all the history, and its time-split backtest.

    The backtest (trained before the last ``HOLDOUT_MONTHS`` months, scored on
    them) gives the metrics; a model that does not beat the category baseline on
    both AUC and Brier score is saved as 'thin' (not shown), with the figures.
    """
    started = time.perf_counter()
    found = breach_risk.fit(history, now)
    fit_s = time.perf_counter() - started
    if isinstance(found, Thin):
        return Trained("thin", {}, {"fit_s": round(fit_s, 3)}, found.rows, found.reason)
    tested = breach_backtest.backtest(history, now)
    params = found.to_params()
    metrics = {"fit_s": round(fit_s, 3), "incidents": params["incidents"]}
    metrics["breaches"], metrics["breach_rate"] = params["breaches"], params["breach_rate"]
    if isinstance(tested, Thin):
        note = f"no backtest to show it beats the category baseline: {tested.reason}"
        return Trained("thin", {}, metrics, params["rows"], note)
    metrics |= {
        "auc": tested["model"]["auc"],
        "brier": tested["model"]["brier"],
        "baseline_auc": tested["baseline"]["auc"],
        "baseline_brier": tested["baseline"]["brier"],
        "backtest": tested,
    }
    versus = (
        f"AUC {tested['model']['auc']:.3f} vs {tested['baseline']['auc']:.3f}, "
        f"Brier {tested['model']['brier']:.4f} vs {tested['baseline']['brier']:.4f} "
        f"on the {breach_backtest.HOLDOUT_MONTHS} months since {tested['cutoff'][:10]}"
    )
    if not tested["beats_baseline"]:
        note = f"the model does not beat the category baseline ({versus}): not shown"
        return Trained("thin", {}, metrics, params["rows"], note)
    return Trained("ok", params, metrics, params["rows"], f"beats the category baseline: {versus}")


# (kind, trainer): each trainer takes (history, now) and returns a ``Trained``.
# The surge forecast adds its own here; ``train`` runs them all on one history.
TRAINERS: list[tuple[str, Callable[[pd.DataFrame, dt.datetime], Trained]]] = [
    ("breach_risk", train_breach_risk),
    ("surge", train_surge),
]


def train(store, now: dt.datetime, actor: str = "system") -> dict:
    """Train every model of ``TRAINERS`` on the store's history and save each run.

    Returns
    -------
    dict
        Per kind: run_id, status, note, rows, metrics (as saved) and seconds
        (to train it); plus ``history_rows`` and ``read_s`` (reading the history).
    """
    started = time.perf_counter()
    history = store.history()
    summary: dict = {
        "history_rows": len(history),
        "read_s": round(time.perf_counter() - started, 3),
    }
    for kind, trainer in TRAINERS:
        started = time.perf_counter()
        result = trainer(history, now)
        seconds = round(time.perf_counter() - started, 3)
        metrics = {**result.metrics, "train_s": seconds}
        run_id = store.save_model_run(
            kind, result.params, metrics, result.rows, result.status, result.note, actor, now
        )
        summary[kind] = {
            "run_id": run_id,
            "status": result.status,
            "note": result.note,
            "rows": result.rows,
            "metrics": metrics,
            "seconds": seconds,
            **result.extra,
        }
    return summary


def model_state(store) -> dict:
    """The newest breach-risk run: trained_at (aware UTC, None if never), status
    ('ok', 'thin' or None), note, metrics and run_id."""
    run = store.latest_model_run(breach_risk.KIND)
    if run is None:
        return {"trained_at": None, "status": None, "note": "", "metrics": {}, "run_id": None}
    keys = ("trained_at", "status", "note", "metrics")
    return {key: run[key] for key in keys} | {"run_id": run["id"]}


_models: dict[tuple, RiskModel] = {}
_loads: dict[tuple, pd.DataFrame] = {}
_counts: dict[tuple, int] = {}
_lock = threading.Lock()


def _remember(cache: dict, key: tuple, value):
    with _lock:
        if len(cache) >= _RISK_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = value
    return value


def _model(store) -> tuple[tuple, RiskModel] | None:
    """The newest usable breach-risk model, rebuilt once per run in this process."""
    run = store.latest_model_run(breach_risk.KIND)
    if run is None or run["status"] != "ok":
        return None
    key = (str(store.engine.url), run["id"], str(run["trained_at"]))
    found = _models.get(key)
    if found is None:
        found = _remember(_models, key, RiskModel.from_params(run["params"]))
    return key, found


def _load_history(store, key: tuple, now: dt.datetime, seq: int) -> pd.DataFrame:
    """The incidents the towns' loads are counted in: the last ``LOAD_DAYS``
    days' reports, read once per change of the store."""
    cache_key = (*key, seq, int(now.timestamp() // 60))
    found = _loads.get(cache_key)
    if found is None:
        since = now - dt.timedelta(days=LOAD_DAYS)
        found = _remember(_loads, cache_key, store.history(since=since))
    return found


def risk_of_open(store, frame: pd.DataFrame, now: dt.datetime) -> pd.DataFrame | None:
    """The breach risk of the open incidents of ``frame`` (``domain.breach_risk.predict``).

    Parameters
    ----------
    frame : DataFrame
        Incidents with id, status, category, priority, town_code, channel,
        reported_at and due_resolve_at (UTC).
    now : datetime
        Aware.

    Returns
    -------
    DataFrame indexed like ``frame`` (risk, factors; NaN and [] for rows not
    open), or None when no model is usable (never trained, or thin).
    """
    found = _model(store)
    if found is None:
        return None
    key, model = found
    history = _load_history(store, key, now, store.latest_seq())
    live = frame["status"].isin(OPEN_STATUSES).to_numpy()
    risk, factors = np.full(len(frame), np.nan), [[] for _ in range(len(frame))]
    if live.any():
        rows = frame[live]
        if "id" in rows:  # open work reported before the window counts too
            older = rows[~rows["id"].isin(history["id"])]
            history = pd.concat([history, older[history.columns.intersection(older.columns)]])
        found = breach_risk.predict(model, rows, now, history=history)
        risk[live] = found["risk"].to_numpy()
        for i, listed in zip(np.flatnonzero(live), found["factors"], strict=True):
            factors[i] = listed
    return pd.DataFrame({"risk": risk, "factors": factors}, index=frame.index)


def at_risk_count(
    store, now: dt.datetime, town: str | None = None, threshold: float = 0.5
) -> int | None:
    """Open incidents (of ``town``) not yet past their deadline whose breach risk
    is at least ``threshold``; None when no model is usable. Past-due ones are
    breaches already, counted as overdue, not at risk."""
    found = _model(store)
    if found is None:
        return None
    seq = store.latest_seq()
    key = (*found[0], town, float(threshold), seq, int(now.timestamp() // 60))
    if key in _counts:
        return _counts[key]
    open_now = store.incidents(statuses=sorted(OPEN_STATUSES), town=town)
    risks = risk_of_open(store, open_now, now)
    due = pd.to_datetime(open_now["due_resolve_at"], utc=True)
    counted = risks["risk"].ge(threshold) & due.gt(pd.Timestamp(now))
    return _remember(_counts, key, int(counted.sum()))
