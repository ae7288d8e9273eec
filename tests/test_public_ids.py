"""One incident number format, whichever way an incident is made (issue 16,
item 14: the seed numbered JZ2612050029, live intake JZ261206030008).

Every path runs against a real server on SQLite and PostgreSQL: an Open311
report (the mini-program, the hotline and a grid worker's patrol all come in
this way), an event's task, the demo seed loaded into the store, and a
direct insert. Numbers a city brought with it stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import requests

from app import create_app
from data.demo_city import SCALES, generate_city
from domain.public_ids import PATTERN, public_id_for
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

NOW = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)


def unnumbered(city):
    """The tiny city with its incidents' numbers taken away, as the demo seed makes them."""
    city.incidents = city.incidents.assign(public_id=None)
    return city


@pytest.fixture
def served(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(unnumbered(tiny_city(dt.datetime.now(dt.UTC))))
    keys = {
        scope: store.create_api_key(f"key {scope}", actor="test", scopes=scope)
        for scope in ("open311", "events")
    }
    with thread_server(app.server) as base:
        yield {"base": base, "store": store, "keys": keys}
    store.close()


def assert_house_format(store, public_id: str) -> None:
    row = store.incident_by_public_id(public_id)
    assert row is not None, public_id
    assert PATTERN.fullmatch(public_id), public_id
    assert public_id == public_id_for(int(row["id"]), row["reported_at"])


def test_every_way_in_gives_the_same_number_format(served):
    store, keys, base = served["store"], served["keys"], served["base"]
    made = {"seed": list(store.incidents()["public_id"])}
    for channel in ("app", "hotline", "patrol"):
        answer = requests.post(
            f"{base}/open311/v2/requests.json",
            timeout=30,
            data={
                "api_key": keys["open311"],
                "service_code": "garbage",
                "description": "垃圾未清运",
                "lat": "36.011",
                "long": "120.005",
                "channel": channel,
            },
        )
        assert answer.status_code in (200, 201), answer.text
        made[channel] = [answer.json()[0]["service_request_id"]]
    events = {"X-API-Key": keys["events"]}
    answer = requests.post(
        f"{base}/api/v1/events",
        headers=events,
        timeout=30,
        json={"name": "甲街道土豆抢收", "kind": "harvest_help", "severity": 3, "grids": ["A-1"]},
    )
    assert answer.status_code == 201, answer.text
    answer = requests.post(
        f"{base}/api/v1/events/{answer.json()['id']}/tasks",
        headers=events,
        timeout=30,
        json={"title": "1号地抢收", "lon": 120.005, "lat": 36.01, "headcount": 3},
    )
    assert answer.status_code == 201, answer.text
    made["event task"] = [answer.json()["public_id"]]
    direct = store.add_incident(
        {
            "channel": "plaza",
            "category": "garbage",
            "description": "x",
            "lon": 120.005,
            "lat": 36.011,
            "grid_code": "A-1",
            "town_code": "370281001",
            "priority": 3,
        },
        actor="test",
    )
    made["direct insert"] = [store.incidents().set_index("id").loc[direct, "public_id"]]
    for way, public_ids in made.items():
        assert public_ids, way
        for public_id in public_ids:
            assert_house_format(store, public_id)
    lengths = {len(p) for ids in made.values() for p in ids}
    assert lengths == {len("JZ261206030008")}


def test_numbers_brought_with_the_city_stay_as_they_are(city_store):
    assert set(city_store.incidents()["public_id"]) == {"T1", "T2", "T3", "T4", "T5"}


def test_a_reseeded_city_keeps_numbering_after_its_rows(store):
    store.load_city(unnumbered(tiny_city(NOW)))
    store.load_city(unnumbered(tiny_city(NOW)), replace=True)
    first = store.incidents()
    assert first["public_id"].is_unique and len(first) == 5
    new = store.add_incident(
        {
            "channel": "app",
            "category": "garbage",
            "description": "x",
            "lon": 120.005,
            "lat": 36.011,
            "priority": 3,
        },
        actor="test",
    )
    assert new > first["id"].max()
    for public_id in store.incidents()["public_id"]:
        assert_house_format(store, public_id)


def test_the_demo_seed_leaves_numbering_to_the_store(store):
    spec = replace(SCALES["county"], incidents=300)
    frames = generate_city(seed=5, scale=spec, now=NOW)
    assert frames.incidents["public_id"].isna().all()
    store.load_city(frames)
    ids = store.incidents()["public_id"]
    assert len(ids) == 300 and ids.is_unique
    for public_id in ids.sample(20, random_state=1):
        assert_house_format(store, public_id)
