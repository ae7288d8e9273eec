"""The store's part for acting before people call (issue 20): the history the
models learn from, their trained runs, and the desk's decisions on recurring
trouble spots, one of which opens a proactive case.

Mixed into ``data.store.Store``. A model run keeps what is needed to predict
as plain JSON (no pickle), so any worker rebuilds the model from the newest
run. A spot decision remembers the spot the desk saw (its category, centre and
last report), so that the spot is not proposed again until a newer report
comes (``domain.recurring_spots.not_yet_handled``).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import orjson
import pandas as pd
import shapely
from sqlalchemy import Connection, and_, insert, select, text

from data import rows, schema
from domain.categories import BY_CODE
from domain.distance import haversine_m
from domain.errors import InvalidInput
from domain.locator import GridLocator
from domain.report import DESCRIPTION_MAX
from domain.sla import deadlines

MODEL_KINDS = ("breach_risk", "surge")
RUN_STATUSES = ("ok", "thin")
SAME_SPOT_M = 100.0  # a decision covers spots of its category this close (as the proposals do)
# The incidents' columns the models learn from: cheap, no text but the pauses.
_TIMES = ("reported_at", "due_resolve_at", "resolved_at", "closed_at")
_FACTS = ("town_code", "grid_code", "channel", "lon", "lat", "status")
HISTORY_COLUMNS = ("id", "category", "priority", *_FACTS, *_TIMES, "pauses")
_DECISION_TIMES = ("first_reported_at", "last_reported_at", "decided_at")
_UTC = "datetime64[us, UTC]"
# Two desks deciding on one spot at once (PostgreSQL; SQLite has one writer).
_SPOT_LOCK = 7_352_020


def _aware(value: object, name: str) -> dt.datetime:
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(f"{name} must be a timezone-aware time, not {value!r}")
    return value.astimezone(dt.UTC)


def _model_json(value: object, name: str) -> str:
    """``value`` as JSON text, refusing what would not come back the same."""

    def plain(item):
        if isinstance(item, np.ndarray):
            return item.tolist()
        if isinstance(item, np.generic):
            return item.item()
        raise TypeError(f"{type(item).__name__} is not JSON")

    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a dict, not {type(value).__name__}")
    try:
        return json.dumps(value, allow_nan=False, default=plain, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{name} must be plain JSON data (numbers, text, lists, dicts; no NaN): {exc}"
        ) from None


def _checked_spot(spot: object, now: dt.datetime, *, case: bool) -> dict:
    """The decision row of ``spot`` (see ``open_proactive_case``), checked."""
    if not isinstance(spot, dict):
        raise InvalidInput("a spot must be a dict of its category, place, dates and reports")
    needed = ["category", "lon", "lat", "radius_m", "first_reported_at", "last_reported_at"]
    needed += ["report_ids"] + (["description", "priority"] if case else [])
    if missing := [key for key in needed if key not in spot]:
        raise InvalidInput(f"the spot lacks {', '.join(missing)}", zh="线索信息不完整")
    if spot["category"] not in BY_CODE:
        raise InvalidInput(f"unknown category {spot['category']!r}", zh="未知的事项类别")
    place = {}
    for key, low, high in (("lon", -180, 180), ("lat", -90, 90), ("radius_m", 0, 10_000)):
        value = spot[key]
        number = not isinstance(value, bool) and isinstance(value, int | float | np.number)
        if not number or not math.isfinite(value) or not low <= value <= high:
            raise InvalidInput(f"{key} must be a number from {low} to {high}, not {value!r}")
        place[key] = float(value)
    if place["radius_m"] <= 0:
        raise InvalidInput("radius_m must be more than 0 metres")
    first = _aware(spot["first_reported_at"], "first_reported_at")
    last = _aware(spot["last_reported_at"], "last_reported_at")
    if not first <= last <= now:
        raise InvalidInput("the spot's reports must run from first to last, none after now")
    ids = spot["report_ids"]
    if (
        not isinstance(ids, list | tuple | np.ndarray)
        or not len(ids)
        or not all(isinstance(i, int | np.integer) and not isinstance(i, bool) for i in ids)
    ):
        raise InvalidInput("report_ids must be a non-empty list of incident ids")
    return {
        "category": spot["category"],
        **place,
        "first_reported_at": first,
        "last_reported_at": last,
        "report_ids": [int(i) for i in ids],
    }


class PredictionStore:
    """History, model runs and spot decisions (needs ``Store``'s frames,
    ``_transaction``, ``_record``, ``_insert_incident`` and ``sla_policy``)."""

    # ----------------------------------------------------------------- reads

    def history(self, since: dt.datetime | None = None) -> pd.DataFrame:
        """Every incident (reported at or after ``since``, UTC, if given) for the
        models to learn from: ``HISTORY_COLUMNS`` and no text but the pauses.

        Dtypes: id and priority int64; lon, lat float64 (WGS84); the four
        times datetime64[us, UTC] (NaT when not yet); the codes, channel,
        status and pauses (JSON ``[[start, end or null], ...]`` or None) objects.
        Oldest report first.
        """
        i = schema.incidents
        statement = select(*(i.c[name] for name in HISTORY_COLUMNS)).order_by(
            i.c.reported_at, i.c.id
        )
        if since is not None:
            statement = statement.where(i.c.reported_at >= _aware(since, "since"))
        frame = self._frame(statement)
        for name in ("id", "priority"):
            frame[name] = frame[name].astype("int64")
        for name in ("lon", "lat"):
            frame[name] = frame[name].astype("float64")
        for name in _TIMES:
            frame[name] = pd.to_datetime(frame[name], utc=True).astype(_UTC)
        for name in ("category", "town_code", "grid_code", "channel", "status", "pauses"):
            frame[name] = frame[name].astype(object)
        return frame

    def latest_model_run(self, kind: str) -> dict | None:
        """The newest run of model ``kind`` (ok or thin), None if it never ran.

        Keys: id, kind, trained_at (aware UTC), trained_by, rows, params and
        metrics (dicts), status, note.
        """
        m = schema.model_runs
        with self.engine.connect() as conn:
            found = (
                conn.execute(select(m).where(m.c.kind == kind).order_by(m.c.id.desc()).limit(1))
                .mappings()
                .first()
            )
        if found is None:
            return None
        run = dict(found)
        run["params"], run["metrics"] = json.loads(run["params"]), json.loads(run["metrics"])
        return run

    def spot_decisions(self) -> pd.DataFrame:
        """Every decision on a recurring spot, oldest first: id, category, lon,
        lat (WGS84), radius_m, first_reported_at, last_reported_at,
        decided_at (datetime64[us, UTC]), report_ids (list of ints), decision
        ('opened' | 'dismissed'), incident_id (Int64, the proactive case of an
        opened spot), decided_by."""
        s = schema.spot_decisions
        frame = self._frame(select(s).order_by(s.c.id))
        frame["report_ids"] = [json.loads(ids) for ids in frame["report_ids"]]
        for name in _DECISION_TIMES:
            frame[name] = pd.to_datetime(frame[name], utc=True).astype(_UTC)
        frame["id"] = frame["id"].astype("int64")
        frame["incident_id"] = frame["incident_id"].astype("Int64")
        for name in ("lon", "lat", "radius_m"):
            frame[name] = frame[name].astype("float64")
        return frame

    # ---------------------------------------------------------------- writes

    def save_model_run(
        self,
        kind: str,
        params: dict,
        metrics: dict,
        rows: int,
        status: str,
        note: str,
        actor: str,
        now: dt.datetime,
    ) -> int:
        """Keep one training of model ``kind``; returns the run's id.

        ``params`` is everything needed to predict, as plain JSON (numpy
        numbers and arrays become numbers and lists; NaN is refused);
        ``metrics`` the backtest's figures (a NaN there is kept as null);
        ``rows`` the history rows it learned from; ``status`` 'ok', or
        'thin' with the reason in ``note``. One transaction with its audit
        entry and a change-feed entry (entity 'model'), so workers pick up
        the new model.

        Raises ``InvalidInput``, writing nothing, for anything else.
        """
        if kind not in MODEL_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(MODEL_KINDS)}, not {kind!r}")
        if status not in RUN_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(RUN_STATUSES)}, not {status!r}")
        if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 0:
            raise InvalidInput(f"rows must be a whole number of at least 0, not {rows!r}")
        if not isinstance(note, str):
            raise InvalidInput("note must be text")
        params_text = _model_json(params, "params")
        if not isinstance(metrics, dict):
            raise InvalidInput(f"metrics must be a dict, not {type(metrics).__name__}")
        metrics_text = orjson.dumps(metrics, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        now = _aware(now, "now")
        run = {"kind": kind, "trained_at": now, "trained_by": actor, "rows": int(rows)}
        run |= {"status": status, "note": note}
        m = schema.model_runs
        with self._transaction() as conn:
            run_id = conn.execute(
                insert(m).values(**run, params=params_text, metrics=metrics_text).returning(m.c.id)
            ).scalar_one()
            self._record(
                conn,
                actor=actor,
                action="train_model",
                entity="model",
                entity_id=run_id,
                op="insert",
                after={**run, "metrics": json.loads(metrics_text)},
                payload={"id": run_id, "kind": kind, "status": status, "trained_at": now},
            )
        return run_id

    def open_proactive_case(self, spot: dict, actor: str, now: dt.datetime) -> int:
        """Turn a recurring trouble spot into a proactive case; returns the incident's id.

        ``spot`` has category (``domain.categories`` code), lon, lat (WGS84
        degrees, its centre), radius_m (metres), first_reported_at and
        last_reported_at (aware), report_ids (the incidents that make it),
        description (what the case is to do) and priority (1 urgent … 4 low).

        The case is an incident of channel 'proactive', registered at once
        (``now``), with no reporter, in the grid and town its centre lies in
        (as a report is placed), and the resolution deadline of the store's
        SLA policy for its category and priority; no first-contact deadline,
        as there is nobody to call back. Its row, the spot's decision
        ('opened', naming the case), their audit entries and change-feed
        entries are one transaction.

        Raises ``InvalidInput``, writing nothing: a bad spot, a centre outside
        every grid, report ids that are not incidents of its category, or a
        spot already opened (a case of its category within ``SAME_SPOT_M``)
        with no report since the one that case was opened on.
        """
        now = _aware(now, "now")
        decision = _checked_spot(spot, now, case=True)
        description = spot["description"]
        if not isinstance(description, str) or not description.strip():
            raise InvalidInput("a proactive case needs a description", zh="请填写案件描述")
        if len(description) > DESCRIPTION_MAX:
            raise InvalidInput(f"the description must be at most {DESCRIPTION_MAX} characters")
        priority = spot["priority"]
        whole = isinstance(priority, int | np.integer) and not isinstance(priority, bool)
        if not whole or not 1 <= priority <= 4:
            raise InvalidInput(f"priority must be 1, 2, 3 or 4, not {priority!r}")
        category, lon, lat = decision["category"], decision["lon"], decision["lat"]
        due = deadlines(category, int(priority), now, self.sla_policy)
        with self._transaction() as conn:
            self._check_spot(conn, decision, ("opened",))
            place = self._place_of(conn, lon, lat)
            row = {
                "channel": "proactive",
                "category": category,
                "description": description.strip(),
                "lon": lon,
                "lat": lat,
                "orig_lon": lon,
                "orig_lat": lat,
                "orig_crs": "wgs84",
                "grid_code": place.grid_code,
                "town_code": place.town_code,
                "priority": int(priority),
                "status": "registered",
                "reported_at": now,
                "registered_at": now,
                "updated_at": now,
                "due_resolve_at": due.resolve_at,
            }
            incident_id = self._insert_incident(conn, row)
            self._record(
                conn,
                actor=actor,
                action="open_proactive_case",
                entity="incident",
                entity_id=incident_id,
                op="insert",
                after={**row, "spot": decision},
                payload=rows.feed_incident({**row, "id": incident_id}),
            )
            self._decide(conn, decision, "opened", incident_id, actor, now)
        return incident_id

    def dismiss_spot(self, spot: dict, actor: str, now: dt.datetime) -> int:
        """The desk judged a spot not worth a case; returns the decision's id.

        ``spot`` as for ``open_proactive_case`` (description and priority are
        not needed). It is not proposed again until a newer report comes.
        One transaction with its audit and change-feed entries (entity 'spot').

        Raises ``InvalidInput``, writing nothing, for a bad spot or one already
        opened or dismissed with no report since.
        """
        now = _aware(now, "now")
        decision = _checked_spot(spot, now, case=False)
        with self._transaction() as conn:
            self._check_spot(conn, decision, ("opened", "dismissed"))
            return self._decide(conn, decision, "dismissed", None, actor, now)

    # --------------------------------------------------------------- helpers

    def _check_spot(self, conn: Connection, spot: dict, decided: tuple[str, ...]) -> None:
        """Refuse a spot that a decision in ``decided`` already covers: same
        category, within ``SAME_SPOT_M``, and no report since; and a spot
        whose report ids are not incidents of its category."""
        if self.backend == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SPOT_LOCK})
        i, s = schema.incidents, schema.spot_decisions
        found = conn.execute(
            select(i.c.id).where(i.c.id.in_(spot["report_ids"]), i.c.category == spot["category"])
        ).scalars()
        if stray := sorted(set(spot["report_ids"]) - set(found)):
            raise InvalidInput(
                f"report_ids {stray[:5]} are not {spot['category']} incidents",
                zh="线索中的部分报告编号不存在或类别不符",
            )
        earlier = conn.execute(
            select(s.c.lon, s.c.lat, s.c.incident_id, s.c.decided_at).where(
                and_(
                    s.c.category == spot["category"],
                    s.c.decision.in_(decided),
                    s.c.last_reported_at >= spot["last_reported_at"],
                )
            )
        ).all()
        for lon, lat, incident_id, decided_at in earlier:
            if haversine_m(lon, lat, spot["lon"], spot["lat"]) <= SAME_SPOT_M:
                what = f"opened as incident {incident_id}" if incident_id else "dismissed"
                raise InvalidInput(
                    f"this spot was already {what} on {decided_at:%Y-%m-%d %H:%M} UTC and has "
                    "had no report since",
                    zh="该线索已处理过，此后没有新的报告",
                )

    @staticmethod
    def _place_of(conn: Connection, lon: float, lat: float):
        """The grid and town of (lon, lat), found as a report's are
        (``domain.locator``), from the grids whose box holds the point."""
        g = schema.grids
        near = conn.execute(
            select(g.c.code, g.c.town_code, g.c.geometry).where(
                g.c.minx <= lon, g.c.maxx >= lon, g.c.miny <= lat, g.c.maxy >= lat
            )
        ).all()
        place = None
        if near:
            codes, towns, shapes = zip(*near, strict=True)
            place = GridLocator(codes, towns, shapely.from_wkb(list(shapes))).locate(lon, lat)
        if place is None:
            raise InvalidInput(
                f"the spot's centre lon {lon}, lat {lat} is outside the city's grids",
                zh="线索位置不在任何网格内",
            )
        return place

    def _decide(self, conn, spot: dict, decision: str, incident_id, actor: str, now) -> int:
        """Write the decision row and its audit and change-feed entries."""
        s = schema.spot_decisions
        row = {**spot, "decision": decision, "incident_id": incident_id}
        row |= {"decided_at": now, "decided_by": actor}
        stored = {**row, "report_ids": json.dumps(spot["report_ids"])}
        decision_id = conn.execute(insert(s).values(**stored).returning(s.c.id)).scalar_one()
        self._record(
            conn,
            actor=actor,
            action="open_spot" if decision == "opened" else "dismiss_spot",
            entity="spot",
            entity_id=decision_id,
            op="insert",
            after=row,
            payload={key: row[key] for key in ("decision", "category", "lon", "lat")}
            | {"id": decision_id, "incident_id": incident_id},
        )
        return decision_id
