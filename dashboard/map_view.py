"""Glue between the store and the layers for the command map (no callbacks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd

from dashboard.wall_figures import risk_figure, spots_count
from domain.kpis import (
    SERVICE_WINDOW,
    RiskFigure,
    ServiceFigures,
    Situation,
    by_category,
    service_figures,
    situation,
    start_of_local_day,
    town_ranking,
    trend,
)
from domain.lifecycle import OPEN_STATUSES
from domain.week_outlook import WeekOutlook
from layers import cadres as cadre_layers
from layers.grids import with_load
from layers.incidents import flash_until
from layers.map_figure import MapView, build_wall_layers
from layers.style import MapStyle, scale_for_width
from layers.view import view_for
from services import forecast, outlook

TICKER_ROWS = 8
DEFAULT_SCREEN = {"width": 1920, "height": 1080}
_SIDE_PANELS_EM = 19 * 2 + 0.8 * 4  # two side panels and the gaps (see style.css)
_HEADER_EM = 5.2 + 0.8 * 2


@dataclass(frozen=True)
class CommandView:
    """Everything the command map page shows at one moment."""

    layers: dict  # every wall layer's live value (layers.map_figure.build_wall_layers)
    situation: Situation
    ranking: pd.DataFrame
    change_seq: int
    service: ServiceFigures | None = None
    trend_24h: pd.DataFrame | None = None
    trend_7d: pd.DataFrame | None = None
    categories: pd.DataFrame | None = None
    newest: pd.DataFrame | None = None  # the ticker's reports, newest first
    flash_until: dt.datetime | None = None  # a new urgent incident's ring is up until then
    digests: dict | None = None  # of each layer's value (dashboard.live)
    bounds: tuple[float, float, float, float] = (119.63, 36.01, 120.21, 36.50)  # the focus
    events: tuple[dict, ...] = ()  # active wartime events, as ``active_events`` gives them
    risk: RiskFigure | None = None  # open work likely to breach (dashboard.wall_figures)
    spots: int | None = None  # recurring spots proposed to the desk now (dashboard.wall_figures)
    week: WeekOutlook | None = None  # the next 7 days of the wall's town or the city
    week_model: dict | None = None  # the newest surge run: why there is no ``week``
    town_names: dict | None = None  # code -> name in the view's language
    # What the screens of this view share once computed (``memo``): the panels,
    # the layer updates per digest shown; one view serves every screen alike.
    shared: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


def map_area(screen: dict | None) -> tuple[float, float, float]:
    """Width and height of the map in CSS px, and the size scale, for a screen."""
    screen = screen or DEFAULT_SCREEN
    width = float(screen.get("width") or DEFAULT_SCREEN["width"])
    height = float(screen.get("height") or DEFAULT_SCREEN["height"])
    em = min(max(13.0, 0.0078 * width), 44.0)  # --base in style.css
    return width - _SIDE_PANELS_EM * em, height - _HEADER_EM * em, scale_for_width(width)


def town_names(towns: pd.DataFrame, lang: str) -> dict[str, str]:
    """Town code -> name in ``lang`` (English without "Subdistrict" or "Town",
    which would crowd a narrow panel, as in the town ranking)."""
    if lang == "zh":
        return dict(zip(towns["code"], towns["name"], strict=True))
    short = towns["name_en"].str.replace(r" (Subdistrict|Town)$", "", regex=True)
    return dict(zip(towns["code"], short, strict=True))


def active_events(store, now: dt.datetime, scope: str | None = None) -> list[dict]:
    """The running events for the wall: name, kind, level, area, tasks, hands,
    figures and missed check-ins (a town leader's: those over their town)."""
    from services import events as event_service

    frame = store.events(active=True)
    if not len(frame):
        return []
    towns = event_service.city(store).towns
    out = []
    for row in frame.to_dict("records"):
        shown = event_service.shown_event(row, towns)
        if scope and scope not in {town["code"] for town in shown["towns"]}:
            continue
        board = event_service.board(store, int(row["id"]), now=now, lang="zh")
        done = sum(task["status"] in ("resolved", "verified", "closed") for task in board["tasks"])
        out.append(
            {
                "id": shown["id"],
                "name": shown["name"],
                "kind": shown["kind"],
                "severity": shown["severity"],
                "started_at": shown["started_at"],
                "towns": [town["name"] for town in shown["towns"]],
                "area": row["geometry"],
                "tasks": board["tasks"],
                "tasks_done": done,
                "hands_on_task": board["hands_on_task"],
                "hands_needed": board["hands_needed"],
                "overdue": len(board["overdue"]),
                "figures": board["figures"],
            }
        )
    return out


def command_view(
    store,
    *,
    lang: str,
    screen: dict | None,
    now: dt.datetime | None = None,
    focus: str | None = None,
    scope: str | None = None,
) -> CommandView:
    """Read the city and build the map's layers, the headline figures and the ranking.

    With ``scope`` (a town code: a town leader's screen) every grid, incident,
    cadre and figure is of that town only; the town ranking, counts alone,
    still compares it with the others.
    """
    now = now or dt.datetime.now(dt.UTC)
    seq = store.latest_seq()
    towns = store.towns()
    steady = steady_inputs(store, scope, seq)
    grids = with_load(steady.grids, store.open_load())
    reads = incident_inputs(store, scope, seq, now)
    all_open = reads.all_open
    open_incidents = all_open[all_open["town_code"] == scope] if scope else all_open
    cadres = steady.cadres
    width, height, scale = map_area(screen)
    style = MapStyle(scale=scale, lang=lang)
    shown = towns[towns["code"] == focus] if focus else towns
    shown = shown if len(shown) else towns
    bounds = tuple(shown.total_bounds) if len(shown) else (119.63, 36.01, 120.21, 36.50)
    centre, zoom = view_for(bounds, width, height)
    events = active_events(store, now, scope)
    layers = build_wall_layers(
        events=events,
        town_frame=towns,
        grid_frame=grids,
        incident_frame=open_incidents,
        cadre_frame=cadres,
        view=MapView(centre["lon"], centre["lat"], zoom),
        style=style,
        now=now,
        cadre_layer=steady.cadre_layer(style, now),
    )
    recent = reads.recent
    today = (
        int((recent["reported_at"] >= start_of_local_day(now)).sum())
        if scope
        else store.reported_since(start_of_local_day(now))
    )
    return CommandView(
        layers=layers,
        bounds=tuple(float(v) for v in bounds),
        situation=situation(open_incidents, cadres, today, now),
        ranking=town_ranking(all_open, towns),
        change_seq=seq,
        service=service_figures(recent),
        trend_24h=trend(recent["reported_at"], now, step="h", periods=24),
        trend_7d=trend(recent["reported_at"], now, step="D", periods=7),
        categories=by_category(open_incidents),
        newest=recent.head(TICKER_ROWS),
        flash_until=flash_until(open_incidents, now),
        events=tuple(events),
        risk=risk_figure(store, now, scope),
        spots=spots_count(store, now, scope),
        week=outlook.week_ahead(store, now, scope or focus),
        week_model=forecast.model_state(store),
        town_names=town_names(towns, lang),
    )


@dataclass
class SteadyInputs:
    """What a new report does not change: the grids (without their load) and
    the cadres of one scope as read at feed position ``seq``, and the cadres'
    layer per style."""

    minute: int
    seq: int
    grids: pd.DataFrame
    cadres: pd.DataFrame
    layers: dict = dataclasses.field(default_factory=dict)  # MapStyle -> cadres layer

    def cadre_layer(self, style: MapStyle, now: dt.datetime) -> dict:
        layer = self.layers.get(style)
        if layer is None:
            layer = self.layers[style] = cadre_layers.build_layer(self.cadres, style=style, now=now)
        return layer


_STEADY: dict = {}  # (database_of(store), scope) -> SteadyInputs
MAX_STEADY_CHANGES = 200  # past this many changes to look through, read again


def steady_inputs(store, scope: str | None, seq: int) -> SteadyInputs:
    """The grids and cadres of ``scope``, read again unless every change since
    they were read is a new report (an incident inserted).

    Most changes on a wall are new reports, which touch neither the grids nor
    the cadres: the worker then skips reading 2,000 cadres and building their
    layer (about half of a view's cost at county scale). Anything else
    (a dispatch, a status, a position, an import) reads them again, and so
    does a new minute, as the view itself is rebuilt once a minute.
    """
    minute = current_minute()
    held = _STEADY.get((database_of(store), scope))
    if held is not None and held.minute == minute and only_new_reports(store, held.seq, seq):
        held.seq = max(held.seq, seq)  # still as read: the next look starts here
        return held
    held = SteadyInputs(
        minute=minute,
        seq=seq,
        grids=store.grids(town=scope, geometry=False),
        cadres=store.cadres(town=scope),
    )
    _STEADY[(database_of(store), scope)] = held
    return held


def only_new_reports(store, since: int, seq: int) -> bool:
    """True when the feed's entries after ``since`` (up to now) are all
    incidents inserted, and the feed did not go back."""
    return new_reports(store, since, seq) is not None


def new_reports(store, since: int, seq: int) -> list[int] | None:
    """The row ids of the incidents inserted after feed position ``since`` up
    to ``seq``, or None when anything else changed meanwhile (or too much, or
    the feed went back). The grids and cadres and the incidents of a picture
    ask the same question: it is read from the feed once (``_NEW_REPORTS``)."""
    if seq == since:
        return []
    if seq < since:
        return None
    key = (database_of(store), since, seq)
    with _NEW_REPORTS_LOCK:
        if key in _NEW_REPORTS:
            return _NEW_REPORTS[key]
    changes = store.changes_since(since, limit=MAX_STEADY_CHANGES)
    inserts = (changes["entity"] == "incident") & (changes["op"] == "insert")
    found = None  # too many to look through, or something else changed
    if len(changes) < MAX_STEADY_CHANGES and inserts.all():
        found = [int(v) for v in changes.loc[changes["seq"] <= seq, "entity_id"]]
    with _NEW_REPORTS_LOCK:
        _NEW_REPORTS[key] = found
        while len(_NEW_REPORTS) > 16:
            _NEW_REPORTS.popitem(last=False)
    return found


_NEW_REPORTS: OrderedDict = OrderedDict()  # (database, since, seq) -> the answer, newest 16
_NEW_REPORTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class IncidentInputs:
    """The city's open incidents and the service window's reports of one
    scope, as read at feed position ``seq`` (both newest first)."""

    minute: int
    seq: int
    all_open: pd.DataFrame
    recent: pd.DataFrame


_INCIDENTS: dict = {}  # (database_of(store), scope) -> IncidentInputs


def incident_inputs(store, scope: str | None, seq: int, now: dt.datetime) -> IncidentInputs:
    """The open incidents and the window's reports, read whole once a minute
    and after any change but new reports; after new reports alone, the rows
    held plus the new ones, read by id.

    Reading every open incident and the month's reports again for every
    report that moved the feed was about a third of the samples of a picture
    in a profile; the new rows are a handful (bench/wall_picture.py: the
    fastest picture after a new report 89 to 96 ms instead of 105 to 110).
    """
    minute, start = current_minute(), now - SERVICE_WINDOW
    held = _INCIDENTS.get((database_of(store), scope))
    added = (
        new_reports(store, held.seq, seq) if held is not None and held.minute == minute else None
    )
    if added is None:
        reads = IncidentInputs(
            minute=minute,
            seq=seq,
            all_open=store.incidents(sorted(OPEN_STATUSES)),
            recent=store.incidents(town=scope, reported=(start, None)),
        )
    else:
        new = store.incidents(ids=added)
        in_scope = new[new["town_code"] == scope] if scope else new
        all_open = with_rows(held.all_open, new[new["status"].isin(OPEN_STATUSES)])
        recent = with_rows(held.recent, in_scope[in_scope["reported_at"] >= start])
        if all_open is None or recent is None:
            all_open = store.incidents(sorted(OPEN_STATUSES))
            recent = store.incidents(town=scope, reported=(start, None))
        reads = IncidentInputs(minute=minute, seq=seq, all_open=all_open, recent=recent)
    _INCIDENTS[(database_of(store), scope)] = reads
    late = reads.recent["reported_at"] < start  # out of the window since they were read
    if late.any():
        reads = dataclasses.replace(reads, recent=reads.recent[~late].reset_index(drop=True))
    return reads


def with_rows(held: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame | None:
    """``held`` and the ``new`` rows (replacing held rows of the same id),
    newest first as ``Store.incidents`` orders them, with the column types a
    whole read would give; None where that cannot be promised (then read them
    whole)."""
    if not len(new):
        return held
    if len(held):
        new = like_held(new, held)
        if new is None:
            return None
        rows = pd.concat([new, held[~held["id"].isin(new["id"])]], ignore_index=True)
    else:  # nothing held: the new rows are the whole read
        rows = new
    return rows.sort_values(["reported_at", "id"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def like_held(new: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame | None:
    """``new`` with the column types of ``held``, where they differ only because
    a column of the few new rows is empty (None, which pandas reads as object);
    None when another difference would make the union's types not those of a
    whole read."""
    if list(new.columns) != list(held.columns):
        return None
    new = new.copy()
    for column in new.columns:
        ours, theirs = new[column].dtype, held[column].dtype
        if ours == theirs or (ours.kind in "if" and theirs.kind in "if"):
            continue  # the same, or numbers that pandas widens as a whole read would
        if not new[column].isna().all() or theirs.kind in "iu":
            return None
        new[column] = new[column].astype(theirs)
    return new


def town_codes(store) -> list[str]:
    """The towns' codes in order: the stops of a kiosk tour, read again when
    an import has changed the boundaries (the store's geometry version)."""
    version = store.geometry_version()
    held = _TOWN_CODES.get(store)
    if held is None or held[0] != version:
        held = (version, store.towns()["code"].tolist())
        _TOWN_CODES[store] = held
    return held[1]


_TOWN_CODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> (version, codes)


def database_of(store) -> str:
    """The database ``store`` reads, as the worker's caches of what it read
    are keyed: two stores of one process (a test's, another database's) at
    the same feed position must not share them; two on one database may."""
    return store.engine.url.render_as_string(hide_password=True)


def current_minute() -> int:
    """Minutes since the epoch: the wall is rebuilt at least once a minute, so
    that a missed check-in shows although nothing was written."""
    return int(time.time() // 60)
