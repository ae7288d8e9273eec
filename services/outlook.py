"""What is coming, for the wall and the review: the open work at risk of
breaching its deadline now, and the reports to expect over the next 7 days
with the town × category pairs expected most above the usual.

Both come from the newest model runs (``services.predictions``,
``services.forecast``) and are None-free values that say why when there is
no usable model, never a guess.
"""

from __future__ import annotations

import datetime as dt
import threading

from domain import surge_forecast as sf
from domain.kpis import RiskFigure
from domain.week_outlook import WeekOutlook, week_outlook
from services import forecast, predictions

USUAL_WEEKS = 4  # the usual: the same weekday's mean over this many weeks
_KEPT = 32  # weeks of towns (a tour) and the city's usual, per day
_weeks: dict[tuple, object] = {}
_lock = threading.Lock()


def risk_now(store, now: dt.datetime, town: str | None = None) -> RiskFigure:
    """The open work (of ``town``) likely to miss its deadline now, or why
    there is no such figure (no model trained, or the newest one not in use)."""
    state = predictions.model_state(store)
    count = predictions.at_risk_count(store, now, town=town) if state["status"] == "ok" else None
    return RiskFigure(count, state["status"], state["note"] or "", state["trained_at"])


def week_ahead(store, now: dt.datetime, town: str | None = None) -> WeekOutlook | None:
    """The next 7 local days from today (of ``town``, or the city) as the
    newest usable surge run forecasts them, against the usual; None when
    there is no usable run (``services.forecast.model_state`` says why).

    Made once per run, local day and town: the forecast changes with the run
    only, the usual with the day (it counts whole days before today).
    """
    state = forecast.model_state(store)
    if state["status"] != "ok":
        return None
    today = sf.local_day(now)
    key = (str(store.engine.url), state["run_id"], today, town)
    with _lock:
        found = _weeks.get(key)
    if found is not None:
        return found
    days = forecast.next_week(store, now, town=town, by=["date"])
    cells = forecast.next_week(store, now, town=town, by=["town_code", "category"])
    if days is None or cells is None:  # a run made unusable in between
        return None
    found = week_outlook(days, cells, usual(store, now, town), town)
    _keep(key, found)
    return found


def usual(store, now: dt.datetime, town: str | None = None):
    """Each town × category's usual reports for the next 7 days: the same
    weekday's mean over the last four weeks (the forecast's simple rival,
    ``surge_forecast.baseline_same_weekday``); columns town_code, category,
    date, expected. The city's is read once per local day (it counts whole
    days before today), so a tour of every town reads the history once."""
    today = sf.local_day(now)
    key = (str(store.engine.url), "usual", today)
    with _lock:
        base = _weeks.get(key)
    if base is None:
        since = (today - dt.timedelta(weeks=USUAL_WEEKS, days=1)).tz_localize(sf.LOCAL)
        counts = sf.daily_counts(store.history(since=since.to_pydatetime()), now)
        base = sf.baseline_same_weekday(counts, today, forecast.DAYS)
        _keep(key, base)
    return base if town is None else base[base["town_code"] == town].reset_index(drop=True)


def _keep(key: tuple, value) -> None:
    with _lock:
        if len(_weeks) >= _KEPT:
            _weeks.pop(next(iter(_weeks)))
        _weeks[key] = value
