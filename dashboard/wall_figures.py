"""The wall's open work at risk of breaching its deadline, counted once per
model run, town and minute for every screen, and the recurring spots
proposed to the desk, counted once per town and minute.

``map_view.command_view`` puts them in the ``CommandView`` that all screens
share; another screen size, language or focus asking in the same minute
gets the counts kept here without a second prediction or clustering. (The
week ahead is kept by ``services.outlook.week_ahead``, once per run, day and
town.)
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from domain.kpis import RiskFigure
from services import outlook, predictions, proactive

_KEPT = 32
_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _remembered(key: tuple, make):
    """``make()``, kept under ``key`` (the newest ``_KEPT`` of them)."""
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    value = make()
    with _lock:
        _kept[key] = value
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)
    return value


def _minute(now: dt.datetime) -> int:
    return int(now.timestamp() // 60)


def risk_figure(store, now: dt.datetime, town: str | None = None) -> RiskFigure:
    """The open work (of ``town``) likely to miss its deadline, or why there
    is no such figure (no model trained, or the newest one not in use).

    Counted once per model run, town and minute: a risk moves slowly, and
    under a burst of reports the wall's view is rebuilt at every feed
    position, where a prediction each time (a read of the towns' recent
    history and the model over every open incident, ~70 ms at county scale)
    would be most of the build. The count is at most a minute behind the
    open-work tile beside it.
    """
    state = predictions.model_state(store)
    if state["status"] != "ok":
        return RiskFigure(None, state["status"], state["note"] or "", state["trained_at"])
    key = ("risk", str(store.engine.url), state["run_id"], town, _minute(now))
    return _remembered(key, lambda: outlook.risk_now(store, now, town))


def spots_count(store, now: dt.datetime, town: str | None = None) -> int:
    """The recurring spots proposed to the desk now (of ``town``): what the
    console's 主动发现 panel lists (``services.proactive.proposals``).

    Counted once per town and minute: the clustering reads 45 days of
    history (~0.2 s at county scale), and a spot opened or dismissed at the
    desk leaves the count within a minute.
    """
    key = ("spots", str(store.engine.url), town, _minute(now))
    return _remembered(key, lambda: len(proactive.proposals(store, now, town=town)))


def clear() -> None:
    """Forget every kept figure (tests)."""
    with _lock:
        _kept.clear()
