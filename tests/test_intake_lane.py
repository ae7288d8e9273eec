"""The intake lane (api/intake_lane.py): plain reports served ahead of Flask,
with Flask's answer; everything else handed to Flask as it came.

Each test sends real requests through the app's whole WSGI stack (the lane
wrapping Flask), on a real database, and tells which of the two answered by
Flask's ``request_started`` signal.
"""

from __future__ import annotations

import json

import pytest
import requests
from flask import request_started

from api.intake_lane import MAX_BODY
from tests.servers import thread_server, tiny_app

INTAKE = "/open311/v2/requests.json"
REPORT = {
    "service_code": "garbage",
    "description": "垃圾未清运",
    "lat": "36.011",
    "long": "120.005",
}


@pytest.fixture
def lane(tmp_path):
    """(app, store, key, flask_served): ``flask_served`` lists the paths Flask itself served."""
    app, store = tiny_app(tmp_path, intake_rate="5/minute")
    key = store.create_api_key("小程序", actor="test", scopes="open311")
    flask_served: list[str] = []

    def served(_sender, **_extra):
        from flask import request

        flask_served.append(request.path)

    request_started.connect(served, app.server)
    before = store.count_reports()  # the tiny city's own incidents
    store.added = lambda: store.count_reports() - before
    yield app, store, key, flask_served
    request_started.disconnect(served, app.server)
    store.close()


def _flask_alone(app):
    """A test client of the same app with the lane taken off."""
    lane = app.server.wsgi_app
    app.server.wsgi_app = lane.app
    return lane


def test_a_plain_report_is_stored_by_the_lane_with_flasks_answer_and_headers(lane):
    app, store, key, flask_served = lane
    client = app.server.test_client()
    by_lane = {
        fmt: client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **REPORT})
        for fmt in ("json", "xml")
    }
    assert flask_served == []
    the_lane = _flask_alone(app)
    try:
        by_flask = {
            fmt: client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **REPORT})
            for fmt in ("json", "xml")
        }
    finally:
        app.server.wsgi_app = the_lane
    assert len(flask_served) == 2
    for fmt in ("json", "xml"):
        ours, theirs = by_lane[fmt], by_flask[fmt]
        assert (ours.status_code, theirs.status_code) == (200, 200)
        assert sorted(ours.headers.keys()) == sorted(theirs.headers.keys())
        for name, value in theirs.headers.items():
            if name != "Content-Length":
                assert ours.headers[name] == value, name
    ours, theirs = by_lane["json"].get_json()[0], by_flask["json"].get_json()[0]
    assert ours.keys() == theirs.keys() and ours["service_notice"] == theirs["service_notice"]
    stored = store.incident_by_public_id(ours["service_request_id"])
    assert stored["grid_code"] == "A-1" and stored["description"] == "垃圾未清运"
    assert b"<service_request_id>JZ" in by_lane["xml"].data
    assert store.added() == 4


def test_the_lane_stores_a_report_sent_over_real_http_with_its_key_in_the_header(lane):
    app, store, key, flask_served = lane
    with thread_server(app.server) as base:
        answer = requests.post(base + INTAKE, data=REPORT, headers={"X-API-Key": key}, timeout=10)
    assert answer.status_code == 200 and flask_served == []
    assert store.incident_by_public_id(answer.json()[0]["service_request_id"]) is not None


def _form_body(fields: dict) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


# What the lane does not answer itself: each goes to Flask, gets Flask's
# usual answer, and (for a refusal) stores nothing.
HANDED_ON = [
    ("no key", {}, {}, 401, "api_key"),
    ("wrong key", {"api_key": "gc_wrong"}, {}, 403, "wrong or revoked"),
    ("a bad field", {"lat": "north"}, {}, 400, "lat"),
    ("outside the city", {"lat": "30.0", "long": "110.0"}, {}, 400, "outside"),
    ("an unknown service", {"service_code": "nope"}, {}, 400, "service_code"),
    ("another jurisdiction", {"jurisdiction_id": "beijing"}, {}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize(
    ("case", "change", "headers", "status", "phrase"), HANDED_ON, ids=[c[0] for c in HANDED_ON]
)
def test_a_refused_report_is_answered_by_flask_and_stores_nothing(
    lane, case, change, headers, status, phrase
):
    app, store, key, flask_served = lane
    fields = {"api_key": key, **REPORT, **change}
    fields = {k: v for k, v in fields.items() if not (k == "api_key" and case == "no key")}
    answer = app.server.test_client().post(INTAKE, data=fields, headers=headers)
    assert answer.status_code == status
    assert flask_served == [INTAKE]
    assert phrase in answer.get_json()[0]["description"]
    assert store.added() == 0


def test_a_key_without_the_report_scope_is_refused_by_flask(lane):
    app, store, _, flask_served = lane
    wall = store.create_api_key("大屏", actor="test", scopes="display")
    answer = app.server.test_client().post(INTAKE, data={"api_key": wall, **REPORT})
    assert answer.status_code == 403 and flask_served == [INTAKE]
    assert store.added() == 0


HANDED_ON_WHOLE = [
    ("a cookie", {"cookie": ("session", "abc")}),
    ("an Idempotency-Key", {"headers": {"Idempotency-Key": "retry-1"}}),
    ("the key in the query", {"query_string": {"api_key": "KEY"}, "no_form_key": True}),
]


@pytest.mark.parametrize(("case", "how"), HANDED_ON_WHOLE, ids=[c[0] for c in HANDED_ON_WHOLE])
def test_requests_the_lane_does_not_judge_are_stored_by_flask(lane, case, how):
    app, store, key, flask_served = lane
    fields = dict(REPORT) if how.get("no_form_key") else {"api_key": key, **REPORT}
    query = {k: key for k in how.get("query_string", {})}
    client = app.server.test_client()
    if "cookie" in how:
        client.set_cookie(*how["cookie"])
    answer = client.post(INTAKE, data=fields, headers=how.get("headers", {}), query_string=query)
    assert answer.status_code == 200, answer.data
    assert flask_served == [INTAKE]
    assert store.added() == 1


def test_a_body_flask_must_judge_reaches_it_whole(lane):
    """A body too large for the lane, one that is not UTF-8 and one sent as JSON
    reach Flask as they came: Flask reads the same fields the client sent."""
    app, store, key, flask_served = lane
    client = app.server.test_client()
    long_text = "很长的描述" * (MAX_BODY // 10)
    large = client.post(INTAKE, data={"api_key": key, **REPORT, "description": long_text})
    assert large.status_code == 400 and "description" in large.get_json()[0]["description"]
    latin = _form_body({"api_key": key, **REPORT, "description": "x"}) + b"%FF&address=\xff"
    odd = client.post(INTAKE, data=latin, content_type="application/x-www-form-urlencoded")
    as_json = client.post(
        INTAKE, data=json.dumps(REPORT), headers={"X-API-Key": key}, content_type="application/json"
    )
    assert as_json.status_code == 400 and "form-encoded" in as_json.get_json()[0]["description"]
    assert flask_served == [INTAKE] * 3
    assert store.added() == (1 if odd.status_code == 200 else 0)


def test_the_rate_limit_counts_each_report_once_on_either_path(lane):
    """The lane and Flask count on the same counters: a report Flask refused
    for a bad field counts once, the lane's reports once each, and the report
    over the limit gets Flask's 429 with Retry-After."""
    app, store, key, flask_served = lane  # GC_INTAKE_RATE 5/minute
    client = app.server.test_client()
    bad = client.post(INTAKE, data={"api_key": key, **REPORT, "lat": "north"})
    assert bad.status_code == 400
    good = [client.post(INTAKE, data={"api_key": key, **REPORT}) for _ in range(4)]
    assert [a.status_code for a in good] == [200] * 4
    assert flask_served == [INTAKE]  # the bad one only
    over = client.post(INTAKE, data={"api_key": key, **REPORT})
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert "rate limit" in over.get_json()[0]["description"]
    assert store.added() == 4


def test_a_store_that_fails_in_the_lane_gets_flasks_error_answer_and_stores_nothing(
    lane, monkeypatch
):
    """A database error while the lane stores a report reaches no client raw:
    nothing was stored, Flask tries the report once more, and answers its own
    failure in the Open311 error format."""
    app, store, key, flask_served = lane
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise OSError("disk I/O error")

    monkeypatch.setattr(store, "add_report", failing)
    answer = app.server.test_client().post(INTAKE, data={"api_key": key, **REPORT})
    assert answer.status_code == 500
    assert answer.get_json()[0]["code"] == 500 and "disk" not in answer.get_data(as_text=True)
    assert len(calls) == 2 and flask_served == [INTAKE]
    assert store.added() == 0
