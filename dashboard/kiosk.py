"""Kiosk options in the big screen's URL: ?town=&layers=&refresh=&tour=&lang=.

A wall is set up once by its URL and never touched again, so a wrong option
never blanks it: the screen falls back to the default and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layers.registry import LAYER_IDS

MIN_REFRESH_S, MAX_REFRESH_S = 0.5, 600.0
MIN_TOUR_S = 5.0


@dataclass(frozen=True)
class Kiosk:
    """What the URL asked for, checked; ``notes`` say what was ignored and why."""

    refresh_s: float
    layers: tuple[str, ...] = LAYER_IDS
    town: str | None = None  # a town code to focus on
    tour_s: float | None = None  # move the focus from town to town every so many seconds
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_kiosk(query: dict, towns: dict[str, str], default_refresh_s: float, lang: str) -> Kiosk:
    """Kiosk options from the URL ``query``; ``towns`` maps code and name to code."""
    zh = lang == "zh"
    notes = []
    refresh = default_refresh_s
    if query.get("refresh"):
        try:
            value = float(query["refresh"])
            if not MIN_REFRESH_S <= value <= MAX_REFRESH_S:
                raise ValueError
            refresh = value
        except ValueError:
            notes.append(
                f"刷新间隔 {query['refresh']!r} 无效，按 {refresh:g} 秒"
                if zh
                else f"refresh {query['refresh']!r} ignored: every {refresh:g} s"
            )
    layers = LAYER_IDS
    if query.get("layers"):
        asked = [v.strip() for v in query["layers"].split(",") if v.strip()]
        unknown = [v for v in asked if v not in LAYER_IDS]
        known = tuple(v for v in asked if v in LAYER_IDS)
        if unknown:
            notes.append(
                f"未知图层 {', '.join(unknown)} 已忽略"
                if zh
                else f"unknown layers {', '.join(unknown)} ignored"
            )
        layers = known or LAYER_IDS
    town = None
    if query.get("town"):
        town = towns.get(query["town"])
        if town is None:
            notes.append(
                f"未找到镇街 {query['town']!r}，显示全市"
                if zh
                else f"no town {query['town']!r}: showing the whole city"
            )
    tour = None
    if query.get("tour"):
        try:
            tour = max(MIN_TOUR_S, float(query["tour"]))
        except ValueError:
            notes.append(
                f"轮巡间隔 {query['tour']!r} 无效" if zh else f"tour {query['tour']!r} ignored"
            )
    return Kiosk(refresh, layers, town, tour, tuple(notes))
