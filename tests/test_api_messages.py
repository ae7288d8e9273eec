"""The API's messages name what the caller sent, and say where a key goes
(issue 16, item 11).

``start_date=yesterday`` was refused as "since must be an ISO 8601 time":
the parsers of api/params.py had the name of one route built in. Now each
takes the caller's name; a walk over the API's source checks every call,
and real requests check the messages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import requests

from app import create_app
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

ROOT = Path(__file__).resolve().parent.parent
PARSERS = {"parse_bbox", "parse_time", "parse_statuses", "parse_int", "parse_choices"}


def _sent_name(node: ast.expr) -> str | None:
    """The parameter a value was read from: K of ``args.get("K")`` or ``body["K"]``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return node.args[0].value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value
    return None


def parser_calls() -> list[tuple[str, int, ast.Call]]:
    calls = []
    for path in sorted((ROOT / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in PARSERS
            ):
                calls.append((path.name, node.lineno, node))
    return calls


def test_every_parser_call_names_the_parameter_it_reads():
    calls = parser_calls()
    assert len(calls) >= 12, "the walk found too few calls: has api/params.py moved?"
    for module, line, call in calls:
        where = f"api/{module}:{line} {call.func.id}"
        assert len(call.args) >= 2 and isinstance(call.args[1], ast.Constant), (
            f"{where} must pass the parameter's name as the caller sent it"
        )
        sent = _sent_name(call.args[0])
        if sent is not None:
            assert call.args[1].value == sent, f"{where} reads {sent!r} but names it otherwise"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('names') / 'grid.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    key = store.create_api_key("测试", actor="test", scopes="open311,field,dispatch")
    with thread_server(app.server) as base:
        yield {"base": base, "key": key, "store": store}
    store.close()


@pytest.mark.parametrize(
    "method, path, sent, name",
    [
        ("GET", "/open311/v2/requests.json", {"start_date": "yesterday"}, "start_date"),
        ("GET", "/open311/v2/requests.json", {"end_date": "yesterday"}, "end_date"),
        ("GET", "/api/v1/incidents.geojson", {"since": "yesterday"}, "since"),
        ("GET", "/api/v1/incidents.geojson", {"bbox": "1,2,3"}, "bbox"),
        ("GET", "/api/v1/incidents.geojson", {"status": "lost"}, "status"),
        ("GET", "/api/v1/cadres/1/trail.geojson", {"since": "yesterday"}, "since"),
        (
            "POST",
            "/api/v1/field/status",
            {"cadre_id": 1, "status": "done", "at": "yesterday"},
            "at",
        ),
        (
            "POST",
            "/api/v1/field/status",
            {"cadre_id": 1, "status": "done", "at": "1900-01-01"},
            "at",
        ),
    ],
)
def test_regression_each_bad_parameter_is_named_as_sent(served, method, path, sent, name):
    store = served["store"]
    audit_before = len(store.audit(1000))
    headers = {"X-API-Key": served["key"]}
    if method == "GET":
        answer = requests.get(served["base"] + path, params=sent, headers=headers, timeout=30)
    else:
        answer = requests.post(served["base"] + path, json=sent, headers=headers, timeout=30)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    message = body[0]["description"] if path.startswith("/open311/") else body["error"]["message"]
    assert message.startswith(f"{name} ") or f"unknown {name} " in message, message
    others = {"since", "start_date", "end_date", "at"} - {name}
    assert not any(f"{other} " in message for other in others), message
    assert len(store.audit(1000)) == audit_before  # refused, nothing written


@pytest.mark.parametrize(
    "path", ["/api/v1/grids.geojson", "/api/v1/incidents.geojson", "/api/v1/cadres.geojson"]
)
def test_regression_a_feed_without_a_key_says_where_the_key_goes(served, path):
    answer = requests.get(served["base"] + path, timeout=30)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert "X-API-Key header" in error["message"] and "sign in" in error["message"]
    assert "X-API-Key" in error["message_zh"]
    with_key = requests.get(served["base"] + path, headers={"X-API-Key": served["key"]}, timeout=30)
    assert with_key.status_code == 200
