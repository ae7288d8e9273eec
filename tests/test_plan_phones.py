"""A dispatch plan and an event's mobilisation proposal give each cadre's
mobile number (what ``POST /api/v1/field/invites`` asks for) only to callers
who may dispatch and see contacts; a provincial system's ``events`` key gets
the same proposal without them. On a real server, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from app import create_app
from settings import Settings
from tests.servers import thread_server
from tests.test_event_work_api import city_with_hands

PHONES = {4: "13900000004", 5: "13900000005", 6: "13900000006", 7: "13900000007"}


@pytest.fixture
def served(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(city_with_hands(dt.datetime.now(dt.UTC)))
    keys = {
        scopes: store.create_api_key(f"key {scopes}", actor="test", scopes=scopes)
        for scopes in ("events", "dispatch,events")
    }
    with thread_server(app.server) as base:
        yield {"api": f"{base}/api/v1", "keys": keys}
    store.close()


def call(served, method: str, path: str, scopes: str, **kwargs) -> dict:
    headers = {"X-API-Key": served["keys"][scopes]}
    answer = requests.request(method, served["api"] + path, headers=headers, timeout=60, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json()


def test_only_a_caller_who_may_dispatch_reads_the_cadres_phones(served):
    event = call(
        served,
        "POST",
        "/events",
        "events",
        json={"name": "抢收", "kind": "harvest_help", "grids": ["A-1", "A-2"]},
    )["id"]
    task = {"title": "1号地", "lon": 120.005, "lat": 36.01, "headcount": 3, "targets": {}}
    call(served, "POST", f"/events/{event}/tasks", "events", json=task)

    province = call(served, "GET", f"/events/{event}/mobilisation", "events")
    assert province["assignments"] and all("cadre_phone" not in a for a in province["assignments"])
    desk = call(served, "GET", f"/events/{event}/mobilisation", "dispatch,events")
    assert {a["cadre_id"]: a["cadre_phone"] for a in desk["assignments"]}.items() <= PHONES.items()

    plan = call(served, "POST", "/dispatch/plan", "dispatch,events", json={"town": "370281001"})
    assert plan["assignments"], plan
    assert all(a["cadre_phone"].startswith("13") for a in plan["assignments"])
