"""The field app's use cases: a cadre's work on their phone.

``api.field_app`` parses each request and calls one function here with the
signed-in cadre's id: the cadre can only ever act on their own tasks. Every
action runs once per idempotency key (``Store.field_action``), so the phone's
offline queue may send it again without doing it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

import pandas as pd

from domain.coords import check_lonlat, normalize_crs, to_wgs84
from domain.distance import haversine_m
from domain.errors import InvalidInput, NotFound
from domain.event_tasks import checked_progress
from domain.field_report import MAX_BATCH, reported_time
from domain.field_tasks import (
    checked_arrival,
)
from domain.lifecycle import PROOF_RADIUS_M
from services.places import places

DONE_NOTE_MAX = 500


def actor_of(name: str) -> str:
    """How the audit log names a cadre acting from their phone."""
    return f"cadre:{name}"


def inside_city(store, lon: float, lat: float, where: str = "the position") -> None:
    """Refuse a position that is in no grid of the city."""
    if places(store).locator.locate(lon, lat) is None:
        raise InvalidInput(
            f"{where} ({lon:.5f}, {lat:.5f}) is outside the city's grids: "
            "check the phone's location",
            zh=f"位置（{lon:.5f}, {lat:.5f}）不在本市网格范围内，请检查手机定位",
        )


def position(body: Mapping, where: str = "the position") -> tuple[float, float]:
    """(lon, lat) WGS84 from a body's lon, lat and optional coordinate_system."""
    try:
        lon, lat = check_lonlat(body.get("lon"), body.get("lat"))
        crs = normalize_crs(str(body.get("coordinate_system") or "wgs84"))
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error}", zh=f"位置无效：{error.message('zh')}") from None
    return to_wgs84(lon, lat, crs)


# ---------------------------------------------------------------- actions


def act(
    store, cadre_id: int, dispatch_id: int, action: str, body: Mapping, key: str, base_url: str
) -> tuple[dict, bool]:
    """Run a task action (accept, decline, arrive, progress, done) once per key:
    (answer, replayed)."""
    if action not in ACTIONS:
        raise InvalidInput(
            f"unknown action {action!r}: one of {', '.join(ACTIONS)}",
            zh=f"未知操作 {action!r}",
        )
    if not isinstance(body, Mapping):
        raise InvalidInput("the body must be a JSON object", zh="请求体须为 JSON 对象")
    request = {"action": action, "dispatch_id": dispatch_id, "body": dict(body)}

    def prepare():
        actor = actor_of(store.field_cadre(cadre_id)["name"])
        prepared = ACTIONS[action](store, cadre_id, dispatch_id, body, base_url)
        return lambda conn: prepared["run"](conn, actor)

    return once(store, cadre_id, key, request, prepare)


def once(store, cadre_id: int, key: str, request: dict, prepare) -> tuple[dict, bool]:
    """Answer ``request`` once per idempotency ``key``: (answer, replayed).

    A key already used answers what it answered the first time, before
    anything is checked again: a finished task's "done", sent again by the
    phone's queue, must replay its success, not fail because the task is no
    longer open. Otherwise ``prepare()`` checks the request and gives the
    write, which runs with the key's record in one transaction.
    """
    replay = store.field_replay(cadre_id, key, request)
    if replay is not None:
        return replay, True
    return store.field_action(cadre_id, key, request, prepare())


def _accept(store, cadre_id, dispatch_id, body, base_url) -> dict:
    return {
        "request": {},
        "run": lambda conn, actor: store.accept_task(conn, cadre_id, dispatch_id, actor=actor),
    }


def _decline(store, cadre_id, dispatch_id, body, base_url) -> dict:
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise InvalidInput("say why you decline the task (reason)", zh="请填写拒绝理由")
    return {
        "request": {"reason": reason},
        "run": lambda conn, actor: store.decline_task(
            conn, cadre_id, dispatch_id, reason, actor=actor
        ),
    }


def _arrive(store, cadre_id, dispatch_id, body, base_url) -> dict:
    lon, lat = position(body)
    inside_city(store, lon, lat)
    task = _own_task(store, cadre_id, dispatch_id)
    away, note = checked_arrival(task["lon"], task["lat"], lon, lat, body.get("note"))

    def run(conn, actor):
        answer = store.arrive_task(
            conn, cadre_id, dispatch_id, lon=lon, lat=lat, note=note, actor=actor
        )
        return {**answer, "distance_m": away}

    return {"request": {"lon": lon, "lat": lat, "note": note}, "run": run}


def _progress(store, cadre_id, dispatch_id, body, base_url) -> dict:
    task = _own_task(store, cadre_id, dispatch_id)
    if task["event_id"] is None or pd.isna(task["event_id"]):
        raise InvalidInput(
            "this task has no figures to report: it is not an event's task",
            zh="该任务不是应急事件任务，无需填报进度",
        )
    event_id, incident_id = int(task["event_id"]), int(task["incident_id"])
    measures = tuple(store.measures_of_tasks([incident_id])["measure"])
    amounts = checked_progress(body.get("amounts"), measures)

    def run(conn, actor):
        done = store._report_progress(conn, event_id, incident_id, amounts, actor=actor)
        return {"dispatch_id": dispatch_id, "done": done}

    return {"request": {"amounts": amounts}, "run": run}


def _done(store, cadre_id, dispatch_id, body, base_url) -> dict:
    note = body.get("note")
    note = str(note).strip() if note is not None else ""
    if len(note) > DONE_NOTE_MAX:
        raise InvalidInput(
            f"the note must be at most {DONE_NOTE_MAX} characters",
            zh=f"说明最多 {DONE_NOTE_MAX} 字",
        )
    photo_ids = body.get("photo_ids") or []
    if not isinstance(photo_ids, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in photo_ids
    ):
        raise InvalidInput("photo_ids must be a list of photo ids", zh="照片编号格式错误")
    task = _own_task(store, cadre_id, dispatch_id)
    proof: dict = {}
    if photo_ids:
        known = store.photos_of([int(task["incident_id"])])
        ids = set(int(x) for x in known["id"]) if not known.empty else set()
        stranger = [p for p in photo_ids if p not in ids]
        if stranger:
            raise InvalidInput(
                f"photo {stranger[0]} is not a photo of this task", zh="照片不属于该任务"
            )
        proof["photo_url"] = f"{base_url.rstrip('/')}/media/photos/{photo_ids[0]}"
    arrived = (task.get("arrived_lon"), task.get("arrived_lat"))
    if arrived[0] is not None and not pd.isna(arrived[0]):
        away = float(haversine_m(arrived[0], arrived[1], task["lon"], task["lat"]))
        if away <= PROOF_RADIUS_M:
            proof["checkin"] = [float(arrived[0]), float(arrived[1])]
    if task["event_id"] is None or pd.isna(task["event_id"]):
        if not proof:
            raise InvalidInput(
                "finishing needs proof: a photo of the result, or an arrival on the spot",
                zh="办结须有佐证：请拍摄现场照片，或在现场确认到达",
            )
        if not note:
            raise InvalidInput("say what was done (note)", zh="请填写处置情况说明")

    def run(conn, actor):
        return store.finish_task(conn, cadre_id, dispatch_id, note=note, proof=proof, actor=actor)

    return {"request": {"note": note, "photo_ids": photo_ids}, "run": run}


ACTIONS = {
    "accept": _accept,
    "decline": _decline,
    "arrive": _arrive,
    "progress": _progress,
    "done": _done,
}


def _own_task(store, cadre_id: int, dispatch_id: int) -> dict:
    """The cadre's active task, read to prepare an action (the action locks it again)."""
    found = store.field_task(cadre_id, dispatch_id)
    if found is None:
        raise NotFound(f"you have no task {dispatch_id}", zh=f"您没有编号为 {dispatch_id} 的任务")
    return found


# ------------------------------------------------------------------ photos


def add_photo(
    store, media, cadre_id: int, dispatch_id: int, data: bytes, key: str, *, max_bytes: int
) -> tuple[dict, bool]:
    """A photo of the cadre's task: checked, stripped and stored once per key.

    The bytes go to the media store first, under their own hash, so a retry
    puts the same object again harmlessly; the photo's row is written with
    the action's idempotency record, once.
    """
    from services.photos import check_photo, photo_answer

    request = {
        "action": "photo",
        "dispatch_id": dispatch_id,
        "sha256": hashlib.sha256(data).hexdigest(),
    }

    def prepare():
        task = _own_task(store, cadre_id, dispatch_id)
        photo = check_photo(data, max_bytes=max_bytes)
        media.put(photo.sha256, photo.data, photo.content_type)
        media.put(photo.thumb_sha256, photo.thumb, photo.content_type)  # same format
        actor = actor_of(store.field_cadre(cadre_id)["name"])
        incident_id = int(task["incident_id"])

        def run(conn):
            photo_id = store._add_photo(conn, incident_id, photo, actor=actor)
            return {"photo": photo_answer(photo_id, photo)}

        return run

    return once(store, cadre_id, key, request, prepare)


# ------------------------------------------------------ duty, positions, check-in


def set_duty(store, cadre_id: int, body: Mapping, key: str) -> tuple[dict, bool]:
    on = body.get("on") if isinstance(body, Mapping) else None

    def prepare():
        if not isinstance(on, bool):
            raise InvalidInput("on must be true or false", zh="请选择上班或下班")
        actor = actor_of(store.field_cadre(cadre_id)["name"])
        return lambda conn: store.set_duty(conn, cadre_id, on, actor=actor)

    return once(store, cadre_id, key, {"action": "duty", "on": on}, prepare)


def share_positions(store, cadre_id: int, body: Mapping, key: str) -> tuple[dict, bool]:
    """A batch of the phone's positions (the offline queue may hold many)."""
    items = body.get("positions") if isinstance(body, Mapping) else None

    def prepare():
        rows = _position_rows(store, cadre_id, items)
        actor = actor_of(store.field_cadre(cadre_id)["name"])
        return lambda conn: {"stored": store._record_positions(conn, rows, actor=actor)}

    return once(store, cadre_id, key, {"action": "positions", "positions": items}, prepare)


def _position_rows(store, cadre_id: int, items) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise InvalidInput("positions must be a non-empty list", zh="位置列表不能为空")
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            f"at most {MAX_BATCH} positions per batch", zh=f"每批最多 {MAX_BATCH} 个位置"
        )
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n, item in enumerate(items):
        where = f"positions[{n}]"
        if not isinstance(item, Mapping):
            raise InvalidInput(f"{where} must be an object", zh="位置格式错误")
        lon, lat = position(item, where)
        inside_city(store, lon, lat, where)
        at = reported_time(item.get("at", item.get("recorded_at")), where, now)
        rows.append({"cadre_id": cadre_id, "lon": lon, "lat": lat, "recorded_at": at})
    return rows


def check_in(store, cadre_id: int, body: Mapping, key: str) -> tuple[dict, bool]:
    """The event's "I am here and well", with the phone's position."""
    body = body if isinstance(body, Mapping) else {}

    def prepare():
        lon, lat = position(body)
        inside_city(store, lon, lat)
        state = store.field_checkin_state(cadre_id)
        if state is None:
            raise InvalidInput(
                "you are not mobilised for a running event: nothing to check in to",
                zh="您当前没有参与应急事件，无需报到",
            )
        event_id = int(state["id"])
        actor = actor_of(store.field_cadre(cadre_id)["name"])

        def run(conn):
            new_id = store._check_in(conn, event_id, cadre_id, actor=actor, lon=lon, lat=lat)
            return {"checkin_id": new_id, "event_id": event_id}

        return run

    return once(store, cadre_id, key, {"action": "checkin", "body": dict(body)}, prepare)


def read_notification(store, cadre_id: int, notification_id: int, key: str) -> tuple[dict, bool]:
    """Mark the cadre's notification read: naturally idempotent (the first
    reading's time is kept), so it needs no record of its key."""
    return {"ok": True, "read": store.mark_read(notification_id, cadre_id)}, False
