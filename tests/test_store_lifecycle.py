"""One write for every move of an incident's status, whichever path makes it.

An operator's action (``Store.apply_action``), a dispatch (which registers and
dispatches on the way) and a cadre's arrival (which starts work) all move the
incident through ``data.store_lifecycle``'s ``_move_incident``. Twin incidents
moved by the two paths must come out the same: the same row, the same audit
entry, the same change-feed entry.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from data.store_dispatch import Assignment

TWIN = {
    "channel": "app",
    "category": "garbage",
    "description": "垃圾未清运",
    "lon": 120.005,
    "lat": 36.005,
    "grid_code": "A-1",
    "town_code": "370281001",
    "priority": 3,
}
FREE_CADRE = 1  # the tiny city's one available cadre


def twins(store) -> tuple[int, int]:
    """Two incidents alike in everything but their ids, both just reported."""
    return tuple(store.add_incident(dict(TWIN), actor="citizen") for _ in range(2))


def row_shape(store, incident_id: int) -> dict:
    """The incident's row with its identity left out and each time as set or not."""
    row = store.incidents(ids=[incident_id]).iloc[0].to_dict()
    shape = {}
    for column, value in row.items():
        if column in ("id", "public_id"):
            continue
        if isinstance(value, dt.datetime) or (column.endswith("_at") and pd.isna(value)):
            shape[column] = "set" if pd.notna(value) else None
        else:
            shape[column] = None if pd.isna(value) else value
    return shape


def last_audit(store, incident_id: int) -> dict:
    entry = store.incident_history(incident_id).iloc[-1]
    return {
        "action": entry["action"],
        "before": json.loads(entry["before"]),
        "status_after": json.loads(entry["after"])["status"],
    }


def last_feed(store, incident_id: int) -> dict:
    feed = store.changes_since(0, limit=10_000)
    entry = feed[(feed["entity"] == "incident") & (feed["entity_id"] == str(incident_id))].iloc[-1]
    payload = {k: v for k, v in entry["payload"].items() if k not in ("id", "public_id", "cadres")}
    return {"op": entry["op"], **payload}


def test_a_dispatch_moves_an_incident_as_the_dispatch_action_does(city_store):
    sent, acted = twins(city_store)
    for incident_id in (sent, acted):
        city_store.apply_action(incident_id, "register", actor="operator")
    city_store.dispatch([Assignment(sent, FREE_CADRE)], actor="operator")
    city_store.apply_action(acted, "dispatch", actor="operator")

    assert row_shape(city_store, sent) == row_shape(city_store, acted)
    assert row_shape(city_store, sent)["status"] == "dispatched"
    assert (
        last_audit(city_store, sent)
        == last_audit(city_store, acted)
        == {
            "action": "dispatch",
            "before": {"status": "registered"},
            "status_after": "dispatched",
        }
    )
    assert last_feed(city_store, sent) == last_feed(city_store, acted)
    assert last_feed(city_store, sent)["status"] == "dispatched"


def test_a_dispatch_registers_a_reported_incident_as_the_two_actions_do(city_store):
    sent, acted = twins(city_store)
    city_store.dispatch([Assignment(sent, FREE_CADRE)], actor="operator")
    city_store.apply_action(acted, "register", actor="operator")
    city_store.apply_action(acted, "dispatch", actor="operator")

    assert row_shape(city_store, sent) == row_shape(city_store, acted)
    assert row_shape(city_store, sent)["registered_at"] == "set"
    assert last_feed(city_store, sent) == last_feed(city_store, acted)


def test_a_cadres_arrival_starts_work_as_the_start_action_does(city_store):
    arrived, acted = twins(city_store)
    city_store.dispatch([Assignment(arrived, FREE_CADRE)], actor="operator")
    city_store.report_field_status(FREE_CADRE, "arrived", actor="field-app")
    for action in ("register", "dispatch", "start"):
        city_store.apply_action(acted, action, actor="operator")

    assert row_shape(city_store, arrived) == row_shape(city_store, acted)
    assert row_shape(city_store, arrived)["status"] == "in_progress"
