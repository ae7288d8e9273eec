"""Fuzz every operation of the OpenAPI document against the real server: never a
5xx, and every answer as the document describes it.

Schemathesis makes requests from the document, valid ones and broken ones
(its coverage phase: the edges of every parameter; its fuzzing phase:
Hypothesis, derandomized with a fixed seed, so every run sends the same
requests), and sends them to `python app.py serve` on the tiny city. The
document fuzzed is the one in ``api.openapi``, which must be exactly what the
server serves at /api/openapi.json (the ``served`` fixture checks that).

- With a key of every scope (Open311 POST: in the form's api_key, as the spec
  has it): no answer of 500 or above (schemathesis's ``not_a_server_error``).
  About half of the requests are pointed at things that exist (incidents
  T1…T5, cadres 1…3, a spot inside the city) so that they get past lookups.
- Without a key, or with a wrong one: no 5xx, and no success where a key is
  needed.

Every answer must conform to the document (schemathesis's status code,
content type, body schema and header checks): one that does not fails its
test with a curl command that repeats it. Real answers of every operation,
error answers included, are also checked with an OpenAPI 3.1 validator in
``tests/test_openapi_answers.py``.

The 5xx this fuzz found (ids past the database's integer, '¹' taken for a
digit, times before year 1 in UTC) are fixed (``domain.bounds``);
``FIXED_5XX`` keeps a minimal request for each, and
``test_fixed_5xx_stay_fixed`` checks each gets a clear 4xx and no traceback.

A deeper run: GC_FUZZ_EXAMPLES=1000 GC_FUZZ_SEED=7 pytest tests/test_api_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.openapi import document
from data.store import Store
from scripts.app_process import app_process
from tests.tiny_city import tiny_city

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("GC_FUZZ_SEED", "2026"))
KEYED_EXAMPLES = int(os.environ.get("GC_FUZZ_EXAMPLES", "150"))  # fuzzing phase, per operation
ANONYMOUS_EXAMPLES = 10  # the keyed pass also runs the coverage phase; this one does not
PLACEHOLDER = "http://127.0.0.1:9/"  # the document's server; every call names the real one
OPEN311_POSTS = {("POST", "/open311/v2/requests.json"), ("POST", "/open311/v2/requests.xml")}
PUBLIC = {  # operations anyone may call (web.route_rules.ROUTE_RULES), in JSON and XML
    ("GET", "/api/v1/health"),
    ("GET", "/api/openapi.json"),
    *[
        ("GET", f"/open311/{path}.{fmt}")
        for fmt in ("json", "xml")
        for path in ("discovery", "v2/services", "v2/services/{service_code}")
    ],
    *[  # the residents' page (api.resident): no key, no sign-in
        (method.upper(), path)
        for path, operations in document(PLACEHOLDER)["paths"].items()
        if path.startswith("/api/v1/public/")
        for method in operations
    ],
}
INCIDENTS = ["T1", "T2", "T3", "T4", "T5"]  # tests/tiny_city.py
CADRES = [1, 2, 3]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class Known5xx:
    """A 5xx the fuzz found, now fixed: its operation, the error it raised,
    and a minimal request that shows it."""

    operation: str
    error: str
    method: str
    path: str
    json: dict | None = None
    where: str = ""


TOO_BIG = 2**63  # one past SQLite's INTEGER (PostgreSQL's integer columns: 2**31)
EARLY = "0001-01-01T00:00:00+14:00"  # valid ISO 8601, but before datetime.min in UTC
SQLITE_INT = "OverflowError: Python int too large to convert to SQLite INTEGER"
DATE_RANGE = "OverflowError: date value out of range"
NOT_INT = "ValueError: invalid literal for int()"
FIXED_5XX = {
    # Found by this fuzz (seed 2026 or deeper runs).
    "recommendations-incident-superscript": Known5xx(
        "GET /api/v1/dispatch/recommendations",
        NOT_INT,
        "GET",
        "/api/v1/dispatch/recommendations?incident=%C2%B9",
        where="api/dispatch.py recommendations: '¹'.isdigit() is True, int('¹') raises",
    ),
    "field-status-huge-cadre": Known5xx(
        "POST /api/v1/field/status",
        SQLITE_INT,
        "POST",
        "/api/v1/field/status",
        {"cadre_id": TOO_BIG, "status": "done"},
        where="data/store_field.py report_field_status",
    ),
    "field-positions-huge-cadre": Known5xx(
        "POST /api/v1/field/positions",
        SQLITE_INT,
        "POST",
        "/api/v1/field/positions",
        {
            "positions": [
                {
                    "cadre_id": TOO_BIG,
                    "lon": 120.01,
                    "lat": 36.01,
                    "recorded_at": "2026-01-01T00:00:00Z",
                }
            ]
        },
        where="data/store_field.py record_positions",
    ),
    "trail-huge-cadre": Known5xx(
        "GET /api/v1/cadres/{cadre_id}/trail.geojson",
        SQLITE_INT,
        "GET",
        f"/api/v1/cadres/{TOO_BIG}/trail.geojson",
        where="data/store_field.py position_history",
    ),
    "confirm-huge-incident": Known5xx(
        "POST /api/v1/dispatch/confirm",
        SQLITE_INT,
        "POST",
        "/api/v1/dispatch/confirm",
        {"actor": "fuzz", "assignments": [{"incident": TOO_BIG, "cadre_id": 1}]},
        where="data/store_dispatch.py _lock_incident",
    ),
    # Found by hand, next to the fuzz's finds: the same mistakes elsewhere.
    "recommendations-limit-superscript": Known5xx(
        "GET /api/v1/dispatch/recommendations",
        NOT_INT,
        "GET",
        "/api/v1/dispatch/recommendations?incident=T1&limit=%C2%B9",
        where="api/dispatch.py recommendations: limit.isdigit() then int(limit)",
    ),
    "recommendations-huge-incident": Known5xx(
        "GET /api/v1/dispatch/recommendations",
        SQLITE_INT,
        "GET",
        f"/api/v1/dispatch/recommendations?incident={TOO_BIG}",
        where="services/dispatch.py recommendations -> data/store_incidents.py incidents",
    ),
    "confirm-huge-cadre": Known5xx(
        "POST /api/v1/dispatch/confirm",
        SQLITE_INT,
        "POST",
        "/api/v1/dispatch/confirm",
        {"actor": "fuzz", "assignments": [{"incident": "T1", "cadre_id": TOO_BIG}]},
        where="data/store_dispatch.py _take_cadre",
    ),
    "incidents-geojson-early-since": Known5xx(
        "GET /api/v1/incidents.geojson",
        DATE_RANGE,
        "GET",
        "/api/v1/incidents.geojson?since=0001-01-01T00:00:00%2B14:00",
        where="api/params.py parse_time -> data/column_types.py process_bind_param astimezone",
    ),
    "open311-requests-early-start": Known5xx(
        "GET /open311/v2/requests.json",
        DATE_RANGE,
        "GET",
        "/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B14:00",
        where="api/open311.py list_requests -> data/column_types.py process_bind_param",
    ),
    "trail-early-since": Known5xx(
        "GET /api/v1/cadres/{cadre_id}/trail.geojson",
        DATE_RANGE,
        "GET",
        "/api/v1/cadres/1/trail.geojson?since=0001-01-01T00:00:00%2B14:00",
        where="api/field.py trail -> data/column_types.py process_bind_param",
    ),
    "field-positions-early-time": Known5xx(
        "POST /api/v1/field/positions",
        DATE_RANGE,
        "POST",
        "/api/v1/field/positions",
        {"positions": [{"cadre_id": 1, "lon": 120.01, "lat": 36.01, "recorded_at": EARLY}]},
        where="domain/field_report.py _time: stamp.astimezone(dt.UTC)",
    ),
    "confirm-early-position-at": Known5xx(
        "POST /api/v1/dispatch/confirm",
        DATE_RANGE,
        "POST",
        "/api/v1/dispatch/confirm",
        {"actor": "fuzz", "assignments": [{"incident": "T1", "cadre_id": 1, "position_at": EARLY}]},
        where="services/dispatch.py _parse_time: stamp.astimezone(dt.UTC)",
    ),
}


def fuzz_config(max_examples: int, *, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"coverage": {"enabled": coverage}, "stateful": {"enabled": False}},
            "output": {"sanitization": {"enabled": False}},  # the key is hidden below, as $KEY
        }
    )


# Collected from the code's document: no server runs at import time.
# Each valid case of these builds a whole review (the PNG also draws a map in
# Chromium): fewer examples, so the run stays within minutes.
HEAVY = r"^/api/v1/review/export"
HEAVY_EXAMPLES = int(os.environ.get("GC_FUZZ_HEAVY_EXAMPLES", "20"))
KEYED = schemathesis.openapi.from_dict(
    document(PLACEHOLDER), config=fuzz_config(KEYED_EXAMPLES, coverage=True)
).exclude(path_regex=HEAVY)
KEYED_HEAVY = schemathesis.openapi.from_dict(
    document(PLACEHOLDER), config=fuzz_config(HEAVY_EXAMPLES, coverage=True)
).include(path_regex=HEAVY)
ANONYMOUS = schemathesis.openapi.from_dict(
    document(PLACEHOLDER), config=fuzz_config(ANONYMOUS_EXAMPLES, coverage=False)
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`python app.py serve` (one worker) on the tiny city, and a key of every scope."""
    workdir = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{workdir / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    key = store.create_api_key("fuzz", actor="test", scopes="open311,field,dispatch,display,events")
    store.close()
    log = workdir / "server.log"
    env = {"DATABASE_URL": url, "GC_TEST_LOG": str(log), "GC_INTAKE_RATE": "100000/minute"}
    # One worker starts fastest, and the log then holds just the request in hand.
    with app_process(env, args=("serve", "--workers", "1"), timeout=120) as base:
        served_document = schemathesis.openapi.from_url(f"{base}/api/openapi.json").raw_schema
        assert served_document == document(f"{base}/"), "the server serves another document"
        yield {"base": base, "key": key, "log": log}


def dice(case) -> random.Random:
    """A random source seeded by the case itself: the same choices for the same case."""
    return random.Random(zlib.crc32(case.as_curl_command().encode()))


def aim_at_real_things(case) -> None:
    """Point about half of the cases at incidents and cadres that exist, and into the city."""
    rng = dice(case)

    def real(choices: list):
        return rng.choice(choices) if rng.random() < 0.5 else None

    params, query, body = case.path_parameters or {}, case.query or {}, case.body
    if "service_request_id" in params and (incident := real(INCIDENTS)):
        params["service_request_id"] = incident
    if "cadre_id" in params and (cadre := real(CADRES)):
        params["cadre_id"] = cadre
    if "incident" in query and (incident := real(INCIDENTS)):
        query["incident"] = incident
    if not isinstance(body, dict):
        return
    if isinstance(body.get("cadre_id"), int) and (cadre := real(CADRES)):
        body["cadre_id"] = cadre
    lists = [body.get("assignments"), body.get("positions")]
    for item in [item for listed in lists if isinstance(listed, list) for item in listed]:
        if isinstance(item, dict) and (cadre := real(CADRES)):
            item["cadre_id"] = cadre
            if "incident" in item:
                item["incident"] = rng.choice(INCIDENTS)
            if "lon" in item:
                item["lon"], item["lat"] = 120.01, 36.01
    if "lat" in body and real([True]):
        body["lat"], body["long"] = 36.01, 120.01


def log_since(log: Path, offset: int) -> str:
    """What the server wrote to its log after ``offset`` (its last 6,000 characters)."""
    with log.open(encoding="utf-8", errors="replace") as lines:
        lines.seek(offset)
        return lines.read()[-6000:]


def send(case, served, headers: dict[str, str]):
    """Send ``case``; a 5xx, or an answer the document does not describe, fails
    with every problem found, a curl command and (for a 5xx) the server's traceback."""
    log: Path = served["log"]
    before = log.stat().st_size
    response = case.call(base_url=served["base"], headers=headers, timeout=60)
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (AssertionError, BaseExceptionGroup) as failure:
        problems = [
            f"- {getattr(one, 'title', type(one).__name__)}: "
            + getattr(one, "message", str(one)).strip().replace("\n", "\n  ")
            for one in getattr(failure, "exceptions", [failure])
        ]
        curl = case.as_curl_command(headers=headers, base_url=served["base"])
        curl = curl.replace(served["key"], "$KEY")
        server_log = log_since(log, before) if response.status_code >= 500 else ""
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code}\n"
            + "\n".join(problems)
            + f"\n{curl}\n--- server log ---\n"
            f"{server_log}"
        ) from None
    return response


@KEYED.parametrize()
def test_answers_conform_with_a_key(case, served):
    keyed(case, served)


@KEYED_HEAVY.parametrize()
def test_answers_conform_with_a_key_heavy_operations(case, served):
    keyed(case, served)


def keyed(case, served) -> None:
    aim_at_real_things(case)
    headers = {"X-API-Key": served["key"]}
    if (case.method, case.path) in OPEN311_POSTS and isinstance(case.body, dict):
        case.body["api_key"] = served["key"]  # the spec's way; X-API-Key would win over it
        headers = {}
    send(case, served, headers)


@ANONYMOUS.parametrize()
def test_answers_conform_without_a_key(case, served):
    headers = {"X-API-Key": "gc_not-a-key"} if dice(case).random() < 0.5 else {}
    response = send(case, served, headers)
    if (case.method, case.path) not in PUBLIC:
        curl = case.as_curl_command(headers=headers, base_url=served["base"])
        assert not 200 <= response.status_code < 400, f"answered without a key: {curl}"


@pytest.mark.parametrize("fixed", FIXED_5XX.values(), ids=list(FIXED_5XX))
def test_fixed_5xx_stay_fixed(fixed, served):
    """Each 5xx the fuzz found, by its minimal request: now a clear 4xx, no traceback."""
    before = served["log"].stat().st_size
    answer = requests.request(
        fixed.method,
        served["base"] + fixed.path,
        json=fixed.json,
        headers={"X-API-Key": served["key"]},
        timeout=60,
    )
    assert 400 <= answer.status_code < 500, f"{fixed.operation}: {answer.status_code}"
    assert answer.json(), "a 4xx says what is wrong"
    assert "Traceback" not in log_since(served["log"], before)
