"""Dispatch and the field API over a real HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import requests

from app import create_app
from domain.coords import to_wgs84
from settings import Settings
from tests.servers import send_key_by_default, thread_server
from tests.tiny_city import tiny_city

EXTRA = 20  # available cadres added to the tiny city, ids 101…120


def staffed_city():
    """The tiny city with 20 more available cadres spread over both towns."""
    city = tiny_city(dt.datetime.now(dt.UTC))
    n = range(EXTRA)
    extra = pd.DataFrame(
        {
            "id": [101 + i for i in n],
            "name": [f"干部{i:02d}" for i in n],
            "phone": [f"1390000{i:04d}" for i in n],
            "role": ["dept_cadre" if i % 2 else "grid_worker" for i in n],
            "department_id": pd.array([1 + i % 2 if i % 2 else None for i in n], dtype="Int64"),
            "town_code": ["370281001" if i < 10 else "370281002" for i in n],
            "skills": ["" for _ in n],
            "status": ["available" for _ in n],
            "lon": [120.002 + 0.0017 * i for i in n],
            "lat": [36.004 + 0.0006 * i for i in n],
            "position_at": [dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3) for _ in n],
        }
    )
    city.cadres = pd.concat([city.cadres, extra], ignore_index=True)
    return city


@pytest.fixture
def served(database_url, monkeypatch):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(staffed_city())
    key = store.create_api_key("外勤App", actor="test", scopes="open311,field,dispatch")
    with thread_server(app.server) as base:
        send_key_by_default(monkeypatch, base, key)
        yield {"base": base, "api": f"{base}/api/v1", "key": key, "store": store}
    store.close()


def incident_id(store, public_id: str) -> int:
    return int(store.incident_by_public_id(public_id)["id"])


def active(store) -> pd.DataFrame:
    return store.active_dispatches()


def plan(served, **body):
    answer = requests.post(f"{served['api']}/dispatch/plan", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def confirm(served, assignments, actor="李值班"):
    return requests.post(
        f"{served['api']}/dispatch/confirm",
        json={"actor": actor, "assignments": assignments},
        timeout=30,
    )


def test_plan_covers_open_work_and_is_no_worse_than_greedy(served):
    proposal = plan(served)
    incidents = {a["incident"] for a in proposal["assignments"]}
    assert incidents == {"T1", "T2", "T3"}  # the open ones; T4 and T5 are closed
    cadres = [a["cadre_id"] for a in proposal["assignments"]]
    assert len(cadres) == len(set(cadres)) == 3  # one each (headcount 1)
    optimal, greedy = proposal["optimal"], proposal["greedy"]
    assert optimal["filled"] >= greedy["filled"]
    if optimal["filled"] == greedy["filled"]:
        assert optimal["total_weighted_s"] <= greedy["total_weighted_s"] + 1e-6
    first = proposal["assignments"][0]
    assert first["eta_s"] > 0 and first["position_at"] and len(first["from"]) == 2


def test_confirm_sends_the_cadres_audits_it_and_moves_the_incidents(served):
    store = served["store"]
    proposal = plan(served)
    answer = confirm(served, proposal["assignments"])
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["dispatched"]) == 3
    sent = active(store)
    assert set(sent["public_id"]) == {"T1", "T2", "T3"}
    assert (sent["cadre_status"] == "en_route").all()
    statuses = store.incidents(public_ids=["T1", "T2", "T3"]).set_index("public_id")["status"]
    assert statuses.to_dict() == {"T1": "dispatched", "T2": "dispatched", "T3": "dispatched"}
    audit = store.audit(limit=20)
    assert (audit["action"] == "dispatch").sum() == 3 and set(audit["actor"]) >= {
        "key:外勤App/李值班"
    }
    assert plan(served)["assignments"] == []  # nothing left to staff


def test_a_taken_cadre_is_refused_naming_who_took_them_and_nothing_is_half_applied(served):
    store = served["store"]
    t1, t2 = incident_id(store, "T1"), incident_id(store, "T2")
    assert confirm(served, [{"incident": "T1", "cadre_id": 101}], actor="甲").status_code == 200
    both = [{"incident": "T2", "cadre_id": 102}, {"incident": "T2", "cadre_id": 101}]
    answer = confirm(served, both, actor="乙")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert "甲" in error["message"] and "T1" in error["message"]
    assert error["message_zh"] == "干部00 已被 甲（外勤App） 派往 T1，本次未派遣"
    sent = active(store)
    assert list(sent["cadre_id"]) == [101]  # 102 was not sent either
    assert store.incidents(ids=[t2]).iloc[0]["status"] == "reported"
    assert store.incidents(ids=[t1]).iloc[0]["status"] == "dispatched"


def test_a_plan_made_before_the_cadre_moved_is_refused(served):
    proposal = plan(served)
    mine = next(a for a in proposal["assignments"] if a["cadre_id"] > 100)
    moved = {
        "positions": [
            {
                "cadre_id": mine["cadre_id"],
                "lon": 120.02,
                "lat": 36.02,
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        ]
    }
    answer = requests.post(
        f"{served['api']}/field/positions",
        json=moved,
        headers={"X-API-Key": served["key"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    refused = confirm(served, proposal["assignments"])
    assert refused.status_code == 409 and "moved" in refused.json()["error"]["message"]
    assert active(served["store"]).empty


@pytest.mark.parametrize(
    "assignments, status, phrase",
    [
        ([{"incident": "T4", "cadre_id": 101}], 409, "is closed"),
        ([{"incident": "T1", "cadre_id": 999}], 404, "no cadre with id 999"),
        ([{"incident": "T1", "cadre_id": 2}], 409, "not available"),  # on site already
        ([{"incident": "JZ-nope", "cadre_id": 101}], 404, "no incident"),
        ([{"incident": "T1", "cadre_id": "101"}], 400, "cadre_id must be a whole number"),
        (
            [{"incident": "T1", "cadre_id": 101}, {"incident": "T2", "cadre_id": 101}],
            400,
            "appears twice",
        ),
        ([], 400, "non-empty list"),
    ],
)
def test_bad_confirmations_say_why_and_change_nothing(served, assignments, status, phrase):
    before = served["store"].audit(limit=1)["id"].iloc[0]
    answer = confirm(served, assignments)
    assert answer.status_code == status, answer.text
    assert phrase in answer.json()["error"]["message"]
    assert active(served["store"]).empty
    assert served["store"].audit(limit=1)["id"].iloc[0] == before


def test_the_audit_names_the_key_and_a_bad_actor_or_body_is_refused(served):
    for bad in ("", " ", "名" * 61, 42):
        answer = requests.post(
            f"{served['api']}/dispatch/confirm",
            timeout=30,
            json={"actor": bad, "assignments": [{"incident": "T1", "cadre_id": 101}]},
        )
        assert answer.status_code == 400 and "actor" in answer.json()["error"]["message"]
    assert served["store"].active_dispatches().empty
    answer = requests.post(
        f"{served['api']}/dispatch/confirm",
        json={"assignments": [{"incident": "T1", "cadre_id": 101}]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert set(served["store"].active_dispatches()["sent_by"]) == {"key:外勤App"}
    form = requests.post(f"{served['api']}/dispatch/confirm", data={"a": 1}, timeout=30)
    assert form.status_code == 400 and "JSON" in form.json()["error"]["message"]


def test_recommendations_are_ranked_and_explained(served):
    answer = requests.get(
        f"{served['api']}/dispatch/recommendations",
        params={"incident": "T1", "limit": 3},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()["recommendations"]
    assert len(found) == 3
    assert [r["score"] for r in found] == sorted(r["score"] for r in found)
    assert all("km" in r["reason"] and "分钟" in r["reason"] for r in found)
    english = requests.get(
        f"{served['api']}/dispatch/recommendations",
        params={"incident": "T1", "lang": "en"},
        timeout=30,
    ).json()
    assert "min" in english["recommendations"][0]["reason"]


def test_field_reports_stamp_arrival_and_release(served):
    store = served["store"]
    assert confirm(served, [{"incident": "T1", "cadre_id": 101}]).status_code == 200
    headers = {"X-API-Key": served["key"]}

    def report(status):
        return requests.post(
            f"{served['api']}/field/status",
            headers=headers,
            json={"cadre_id": 101, "status": status},
            timeout=30,
        )

    arrived = report("arrived")
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["status"] == "on_site" and arrived.json()["incident"] == "T1"
    one = store.dispatches_of(incident_id(store, "T1")).iloc[0]
    assert pd.notna(one["arrived_at"]) and pd.isna(one["released_at"])
    assert store.incident_by_public_id("T1")["status"] == "in_progress"
    assert report("done").json()["status"] == "available"
    one = store.dispatches_of(incident_id(store, "T1")).iloc[0]
    assert pd.notna(one["released_at"])
    again = report("done")
    assert again.status_code == 400 and "no active assignment" in again.json()["error"]["message"]


def test_positions_are_converted_kept_as_history_and_served_as_a_trail(served):
    store = served["store"]
    now = dt.datetime.now(dt.UTC)
    batch = [
        {
            "cadre_id": 103,
            "lon": 120.0100 + 0.001 * k,
            "lat": 36.0100,
            "recorded_at": (now - dt.timedelta(seconds=60 - 10 * k)).isoformat(),
            "coordinate_system": "gcj02",
        }
        for k in range(5)
    ]
    answer = requests.post(
        f"{served['api']}/field/positions",
        json={"positions": batch},
        headers={"X-API-Key": served["key"]},
        timeout=30,
    )
    assert answer.json() == {"stored": 5}
    cadre = store.cadres().set_index("id").loc[103]  # moved to the newest, in WGS84
    expected = to_wgs84(120.014, 36.01, "gcj02")
    assert (cadre["lon"], cadre["lat"]) == pytest.approx(expected, abs=1e-9)
    assert abs(cadre["lon"] - 120.014) > 0.003  # GCJ-02 is shifted by some 500 m here
    trail = requests.get(f"{served['api']}/cadres/103/trail.geojson", timeout=30).json()
    assert trail["geometry"]["type"] == "LineString"
    assert len(trail["geometry"]["coordinates"]) == 5 == len(trail["properties"]["times"])


@pytest.mark.parametrize(
    "body, headers, status, phrase",
    [
        (
            {
                "positions": [
                    {"cadre_id": 103, "lon": 120, "lat": 36, "recorded_at": "2026-01-01T00:00:00Z"}
                ]
            },
            {"X-API-Key": ""},
            403,
            "X-API-Key",
        ),
        (
            {
                "positions": [
                    {"cadre_id": 103, "lon": 120, "lat": 36, "recorded_at": "2026-01-01T00:00:00Z"}
                ]
            },
            {"X-API-Key": "display"},
            403,
            "may not field",
        ),
        (
            {
                "positions": [
                    {
                        "cadre_id": 103,
                        "lon": "nan",
                        "lat": 36,
                        "recorded_at": "2026-01-01T00:00:00Z",
                    }
                ]
            },
            None,
            400,
            "lon must be",
        ),
        (
            {"positions": [{"cadre_id": 103, "lon": 120, "lat": 36, "recorded_at": "yesterday"}]},
            None,
            400,
            "ISO 8601",
        ),
        (
            {
                "positions": [
                    {"cadre_id": 103, "lon": 120, "lat": 36, "recorded_at": "2026-01-01T00:00:00"}
                ]
            },
            None,
            400,
            "time zone",
        ),
        (
            {
                "positions": [
                    {"cadre_id": 9999, "lon": 120, "lat": 36, "recorded_at": "2026-01-01T00:00:00Z"}
                ]
            },
            None,
            400,
            "no cadre with id 9999",
        ),
        ({"positions": "many"}, None, 400, "non-empty list"),
    ],
)
def test_bad_position_batches_are_refused_whole(served, body, headers, status, phrase):
    headers = {"X-API-Key": served["key"]} if headers is None else headers
    if headers.get("X-API-Key") == "display":  # a key without the field scope
        headers = {
            "X-API-Key": served["store"].create_api_key("大屏", actor="test", scopes="display")
        }
    good = {
        "cadre_id": 104,
        "lon": 120.01,
        "lat": 36.01,
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    if isinstance(body["positions"], list):
        body = {"positions": [good, *body["positions"]]}  # the good one must not be kept either
    answer = requests.post(
        f"{served['api']}/field/positions", json=body, headers=headers, timeout=30
    )
    assert answer.status_code == status, answer.text
    assert phrase in answer.json()["error"]["message"]
    assert served["store"].position_history([104]).empty


def test_lifecycle_moves_over_json_release_the_cadres_when_resolved(served):
    store = served["store"]
    url = f"{served['api']}/incidents/T1/actions"
    assert confirm(served, [{"incident": "T1", "cadre_id": 101}]).status_code == 200

    def move(**body):
        return requests.post(url, json={"actor": "王处置", **body}, timeout=30)

    illegal = move(action="close")
    assert illegal.status_code == 400 and "legal now: " in illegal.json()["error"]["message"]
    assert move(action="start").json()["status"] == "in_progress"
    no_proof = move(action="resolve", note="已清理")
    assert no_proof.status_code == 400 and "proof" in no_proof.json()["error"]["message"]
    done = move(action="resolve", note="已清理", photo_url="https://img.example.cn/1.jpg")
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert active(store).empty  # the cadre is free again
    assert store.cadres().set_index("id").loc[101, "status"] == "available"
    assert (
        requests.post(
            f"{served['api']}/incidents/JZ000/actions",
            json={"actor": "x", "action": "start"},
            timeout=30,
        ).status_code
        == 404
    )


def test_the_change_feed_tells_what_changed_since_a_position(served):
    feed = requests.get(f"{served['api']}/changes", timeout=30).json()
    start = feed["seq"]
    assert start >= 1 and feed["changes"][0]["op"] == "reload"  # the city was loaded
    assert confirm(served, [{"incident": "T1", "cadre_id": 101}]).status_code == 200
    after = requests.get(f"{served['api']}/changes", params={"since": start}, timeout=30).json()
    assert [c["entity"] for c in after["changes"]] == ["incident"]
    change = after["changes"][0]
    assert change["payload"]["public_id"] == "T1" and change["payload"]["status"] == "dispatched"
    assert change["payload"]["cadres"] == [{"id": 101, "status": "en_route"}]
    assert after["seq"] == change["seq"] > start and after["more"] is False
    paged = requests.get(f"{served['api']}/changes", params={"since": 0, "limit": 1}, timeout=30)
    assert paged.json()["more"] is True and len(paged.json()["changes"]) == 1
    bad = requests.get(f"{served['api']}/changes", params={"since": "yesterday"}, timeout=30)
    assert bad.status_code == 400 and "since" in bad.json()["error"]["message"]
