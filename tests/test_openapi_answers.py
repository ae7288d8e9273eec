"""Real answers of every operation in the OpenAPI document, checked against the
document with an OpenAPI 3.1 validator, on SQLite and PostgreSQL.

A real server on the tiny city (with hands to send) answers realistic requests
of every operation: successes, with fields null and not null (an event running
and ended, a task figure without target), and the errors each operation
documents (400, 401, 403, 404, 409, 422). Each answer must have a documented
status code and media type; a JSON body must validate against its schema
(``openapi_schema_validator.OAS31Validator``, the document's ``$ref`` resolved
by ``referencing``), an XML body must carry the element names the document
gives, a file must be the file it says. Every answer the document lists must
be seen here, except the few in ``UNREACHED`` (each says why).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
import requests
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from api.media import MEDIA_STORE
from api.openapi import document
from app import create_app
from data.store_dispatch import Assignment
from domain.services import SERVICES
from services.photos import save_photo
from settings import Settings
from tests.servers import thread_server
from tests.test_event_work_api import city_with_hands
from tests.test_photos import image_bytes

ALL_SCOPES = "open311,field,display,dispatch,events"
WRONG_KEY = "gc_not-a-key"
URI = "urn:grid-command:openapi"
SERVICE = SERVICES[0].code
UNREACHED = {  # documented answers a test cannot bring about on purpose, and why
    ("post", "/open311/v2/requests.json", "409"): "a request with the same key still in flight",
    ("post", "/open311/v2/requests.xml", "409"): "a request with the same key still in flight",
    ("post", "/open311/v2/requests.json", "429"): "the intake rate (tests/test_access.py)",
    ("post", "/open311/v2/requests.xml", "429"): "the intake rate (tests/test_access.py)",
    (
        "post",
        "/api/v1/incidents/{service_request_id}/actions",
        "409",
    ): "another move of the same incident between the read and the write",
    ("get", "/api/v1/review/export.png", "503"): "the browser drawing the map timing out",
    ("post", "/api/v1/public/reports", "409"): "a report with the same key still in flight",
    ("post", "/api/v1/public/reports", "413"): "three photos' limit, 30 MB (test_resident_api)",
    ("post", "/api/v1/public/reports", "429"): "the residents' rates (tests/test_resident_api.py)",
    ("post", "/api/v1/public/lookup", "429"): "the residents' rates (tests/test_resident_api.py)",
    ("post", "/api/v1/public/cases/{case}/me-too", "429"): "the residents' rates (as above)",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY_MAGIC = {"image/png": b"\x89PNG", XLSX: b"PK"}  # a PNG; a zip


def pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Conformance:
    """Sends requests to ``base`` and checks each answer against ``spec``."""

    base: str
    spec: dict
    keys: dict[str, str]
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    places: dict = field(default_factory=dict)  # path values made before the tests ask
    problems: list[str] = field(default_factory=list)

    def __post_init__(self):
        resource = DRAFT202012.create_resource(self.spec)
        self.registry = Registry().with_resource(URI, resource)

    def ask(
        self,
        status: int,
        method: str,
        template: str,
        *,
        key: str | None = "all",
        path: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        """Send one request; its answer must have ``status`` and conform."""
        url = self.base + re.sub(r"\{(\w+)\}", lambda m: quote(str((path or {})[m[1]])), template)
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = self.keys.get(key, key)
        answer = requests.request(method, url, headers=headers, timeout=120, **kwargs)
        label = f"{method} {template} -> {answer.status_code}"
        if answer.status_code != status:
            self.problems.append(f"{label}: expected {status}: {answer.text[:300]}")
            return answer
        self.seen.add((method.lower(), template, str(status)))
        for problem in self.conforms(method.lower(), template, answer):
            self.problems.append(f"{label}: {problem}")
        return answer

    def conforms(self, method: str, template: str, answer: requests.Response) -> list[str]:
        operation = self.spec["paths"].get(template, {}).get(method)
        if operation is None:
            return ["the operation is not in the document"]
        status = str(answer.status_code)
        if status not in operation["responses"]:
            return [f"status {status} is not documented"]
        documented = operation["responses"][status]
        content = documented.get("content", {})
        media = answer.headers.get("Content-Type", "").split(";")[0].strip()
        if not content:
            return [] if not answer.content else [f"a body where none is documented: {media}"]
        if media not in content:
            return [f"media type {media!r}, documented {sorted(content)}"]
        where = pointer("paths", template, method, "responses", status, "content", media, "schema")
        schema = content[media]["schema"]
        if media == "application/json" or media.endswith("+json"):
            validator = OAS31Validator(
                {"$ref": URI + "#" + where},
                registry=self.registry,
                format_checker=oas31_format_checker,
            )
            return [
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(answer.json())
            ][:5]
        if media.endswith("xml"):
            return xml_problems(answer.content, schema)
        if media in BINARY_MAGIC and not answer.content.startswith(BINARY_MAGIC[media]):
            return [f"not a {media} file"]
        if media.startswith("text/"):
            answer.content.decode("utf-8")
        return []


def xml_problems(body: bytes, schema: dict) -> list[str]:
    """An XML body against the element names of its schema's ``xml`` objects."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        return [f"not XML: {error}"]
    name = schema.get("xml", {}).get("name")
    if name is not None and root.tag != name:
        return [f"root element <{root.tag}>, documented <{name}>"]
    item = schema.get("items", {}).get("xml", {}).get("name")
    strays = sorted({child.tag for child in root} - {item}) if item else []
    return [f"<{name}> holds <{', '.join(strays)}>, documented <{item}>"] if strays else []


@pytest.fixture(scope="module")
def served(module_database_url, tmp_path_factory):
    media = str(tmp_path_factory.mktemp("media"))
    app = create_app(Settings.from_env({"DATABASE_URL": module_database_url, "GC_MEDIA": media}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(city_with_hands(dt.datetime.now(dt.UTC)))
    t1 = int(store.incident_by_public_id("T1")["id"])
    photo = save_photo(
        store,
        app.server.extensions[MEDIA_STORE],
        t1,
        image_bytes("JPEG"),
        actor="test",
        max_bytes=10**7,
    )
    keys = {
        scopes: store.create_api_key(f"key {scopes}", actor="test", scopes=scopes)
        for scopes in ("open311", "field", "display", "dispatch", "events")
    }
    keys["all"] = store.create_api_key("every scope", actor="test", scopes=ALL_SCOPES)
    with thread_server(app.server) as base:
        check = Conformance(base, document(base + "/"), keys, places={"photo_id": photo["id"]})
        check.store = store  # the field app's phones sign in through the store's invites
        check.media = app.server.extensions[MEDIA_STORE]  # the residents' proof photo
        yield check
    store.close()


def test_real_answers_of_every_operation_conform_to_the_document(served):
    check = served
    assert check.ask(200, "GET", "/api/openapi.json", key=None).json() == check.spec
    places = open311(check)
    places |= feeds_and_dispatch(check)
    places |= events(check)
    review(check)
    places |= photos(check)
    places |= field_app(check)
    places |= residents(check)
    refusals(check, places)
    assert check.problems == [], "\n".join(check.problems)
    documented = {
        (method, path, status)
        for path, operations in check.spec["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert sorted(documented - check.seen - set(UNREACHED)) == []
    assert set(UNREACHED) <= documented


def open311(check: Conformance) -> dict:
    ask = check.ask
    for fmt in ("json", "xml"):
        ask(200, "GET", f"/open311/discovery.{fmt}", key=None)
        ask(200, "GET", f"/open311/v2/services.{fmt}", key=None)
        ask(
            404,
            "GET",
            f"/open311/v2/services.{fmt}",
            key=None,
            params={"jurisdiction_id": "110000"},
        )
        one = f"/open311/v2/services/{{service_code}}.{fmt}"
        ask(200, "GET", one, key=None, path={"service_code": SERVICE})
        ask(404, "GET", one, key=None, path={"service_code": "no_such_service"})
        form = {
            "api_key": check.keys["open311"],
            "service_code": SERVICE,
            "lat": "36.01",
            "long": "120.005",
            "description": f"井盖缺失 ({fmt})",
        }
        post = f"/open311/v2/requests.{fmt}"
        ask(200, "POST", post, key=None, data=form)
        ask(400, "POST", post, key=None, data={**form, "description": ""})
        ask(404, "POST", post, key=None, data={**form, "jurisdiction_id": "110000"})
        ask(403, "POST", post, key=None, data={**form, "api_key": check.keys["display"]})
        again = {"Idempotency-Key": f"report-{fmt}"}
        ask(200, "POST", post, key=None, data=form, headers=again)
        ask(200, "POST", post, key=None, data=form, headers=again)  # the first answer again
        ask(422, "POST", post, key=None, data={**form, "description": "另一件事"}, headers=again)
        listing = f"/open311/v2/requests.{fmt}"
        ask(200, "GET", listing, key="display", params={"extensions": "true"})
        ask(200, "GET", listing, key="display", params={"service_request_id": "T1,T4"})
        ask(400, "GET", listing, key="display", params={"start_date": "yesterday"})
        ask(404, "GET", listing, key="display", params={"jurisdiction_id": "110000"})
        single = f"/open311/v2/requests/{{service_request_id}}.{fmt}"
        ask(200, "GET", single, key="display", path={"service_request_id": "T4"})
        ask(404, "GET", single, key="display", path={"service_request_id": "JZ000000"})
    return {"service_code": SERVICE, "service_request_id": "T1"}


def feeds_and_dispatch(check: Conformance) -> dict:
    ask = check.ask
    ask(200, "GET", "/api/v1/health", key=None)
    malformed = {
        "grids": {"bbox": "1,2,3"},
        "incidents": {"limit": "0"},
        "cadres": {"status": "asleep"},
    }  # towns.geojson takes no filter
    for feed in ("towns", "grids", "incidents", "cadres"):
        path = f"/api/v1/{feed}.geojson"
        etag = ask(200, "GET", path, key="display").headers["ETag"]
        ask(304, "GET", path, key="display", headers={"If-None-Match": etag})
        if feed in malformed:
            ask(400, "GET", path, key="display", params=malformed[feed])
    ask(
        200,
        "GET",
        "/api/v1/incidents.geojson",
        key="display",
        params={"status": "open", "since": "2026-01-01T00:00:00+08:00", "limit": "3"},
    )
    ask(200, "GET", "/api/v1/changes", key="display", params={"since": "0", "limit": "5"})
    ask(400, "GET", "/api/v1/changes", key="display", params={"since": "-1"})
    ask(200, "GET", "/api/v1/changes/wait", key="display", params={"after": "0", "wait": "0"})
    ask(400, "GET", "/api/v1/changes/wait", key="display", params={"wait": "26"})

    recommend = "/api/v1/dispatch/recommendations"
    ask(200, "GET", recommend, key="dispatch", params={"incident": "T1", "lang": "en"})
    ask(400, "GET", recommend, key="dispatch", params={"incident": "no such"})
    ask(404, "GET", recommend, key="dispatch", params={"incident": "99999"})
    ask(200, "POST", "/api/v1/dispatch/plan", key="dispatch", json={"max_travel_min": 60})
    ask(400, "POST", "/api/v1/dispatch/plan", key="dispatch", json={"town": 5})
    ask(404, "POST", "/api/v1/dispatch/plan", key="dispatch", json={"incidents": ["JZ000000"]})
    confirm = "/api/v1/dispatch/confirm"
    sent = {"actor": "调度员", "assignments": [{"incident": "T1", "cadre_id": 1}]}
    ask(200, "POST", confirm, key="dispatch", json=sent)
    ask(409, "POST", confirm, key="dispatch", json=sent)  # cadre 1 is on T1 now
    ask(400, "POST", confirm, key="dispatch", json={"actor": "调度员", "assignments": []})
    ask(
        404,
        "POST",
        confirm,
        key="dispatch",
        json={"actor": "调度员", "assignments": [{"incident": "T2", "cadre_id": 99999}]},
    )
    act = "/api/v1/incidents/{service_request_id}/actions"
    ask(
        200,
        "POST",
        act,
        key="dispatch",
        path={"service_request_id": "T2"},
        json={"actor": "调度员", "action": "register", "note": "已核实"},
    )
    ask(
        400,
        "POST",
        act,
        key="dispatch",
        path={"service_request_id": "T2"},
        json={"actor": "调度员", "action": "close"},
    )
    ask(
        404,
        "POST",
        act,
        key="dispatch",
        path={"service_request_id": "JZ000000"},
        json={"actor": "调度员", "action": "register"},
    )

    now = dt.datetime.now(dt.UTC).isoformat()
    ask(
        200,
        "POST",
        "/api/v1/field/positions",
        key="field",
        json={
            "positions": [
                {"cadre_id": 1, "lon": 120.006, "lat": 36.012, "recorded_at": now},
                {"cadre_id": 1, "lon": 120.007, "lat": 36.013, "recorded_at": now},
            ]
        },
    )
    ask(400, "POST", "/api/v1/field/positions", key="field", json={"positions": "here"})
    ask(200, "POST", "/api/v1/field/status", key="field", json={"cadre_id": 1, "status": "arrived"})
    ask(400, "POST", "/api/v1/field/status", key="field", json={"cadre_id": 1, "status": "asleep"})
    ask(
        404,
        "POST",
        "/api/v1/field/status",
        key="field",
        json={"cadre_id": 99999, "status": "off_duty"},
    )
    trail = "/api/v1/cadres/{cadre_id}/trail.geojson"
    ask(200, "GET", trail, key="dispatch", path={"cadre_id": 1})
    ask(200, "GET", trail, key="dispatch", path={"cadre_id": 3})  # no positions: no geometry
    ask(400, "GET", trail, key="dispatch", path={"cadre_id": 1}, params={"since": "soon"})
    ask(404, "GET", trail, key="dispatch", path={"cadre_id": "one"})
    return {"cadre_id": 1}


def events(check: Conformance) -> dict:
    ask = check.ask
    declaration = {
        "name": "甲街道土豆抢收",
        "kind": "harvest_help",
        "severity": 3,
        "grids": ["A-1", "A-2"],
        "checkin_minutes": 30,
    }
    event = ask(201, "POST", "/api/v1/events", key="events", json=declaration).json()["id"]
    ask(400, "POST", "/api/v1/events", key="events", json={**declaration, "kind": "asteroid"})
    ended = ask(
        201, "POST", "/api/v1/events", key="events", json={**declaration, "name": "已结束的事件"}
    ).json()["id"]
    one = "/api/v1/events/{event_id}"
    ask(200, "GET", one, key="display", path={"event_id": event})  # ended_at null
    ask(404, "GET", one, key="display", path={"event_id": 99999})

    task_path = one + "/tasks"
    task_body = {
        "title": "1号地抢收",
        "lon": 120.005,
        "lat": 36.01,
        "headcount": 2,
        "targets": {"area_mu": 300},
    }
    task = ask(
        201, "POST", task_path, key="events", path={"event_id": event}, json=task_body
    ).json()  # figures without a target: target null
    ask(
        400,
        "POST",
        task_path,
        key="events",
        path={"event_id": event},
        json={**task_body, "headcount": 0},
    )
    ask(404, "POST", task_path, key="events", path={"event_id": 99999}, json=task_body)
    progress = one + "/tasks/{task_id}/progress"
    ids = {"event_id": event, "task_id": task["id"]}
    ask(200, "POST", progress, key="field", path=ids, json={"done": {"area_mu": 120}})
    ask(400, "POST", progress, key="field", path=ids, json={"done": {"area_mu": -1}})
    ask(
        404,
        "POST",
        progress,
        key="field",
        path={**ids, "task_id": 99999},
        json={"done": {"area_mu": 1}},
    )

    mobilisation = one + "/mobilisation"
    ask(
        200,
        "GET",
        mobilisation,
        key="events",
        path={"event_id": event},
        params={"include_rest": "true", "lang": "en"},
    )
    ask(
        400,
        "GET",
        mobilisation,
        key="events",
        path={"event_id": event},
        params={"include_rest": "maybe"},
    )
    ask(404, "GET", mobilisation, key="events", path={"event_id": 99999})
    send = {"assignments": [{"incident": task["public_id"], "cadre_id": 4}], "actor": "指挥长"}
    ask(201, "POST", mobilisation, key="events", path={"event_id": event}, json=send)
    ask(409, "POST", mobilisation, key="events", path={"event_id": event}, json=send)
    ask(
        400,
        "POST",
        mobilisation,
        key="events",
        path={"event_id": event},
        json={"assignments": "all"},
    )
    ask(404, "POST", mobilisation, key="events", path={"event_id": 99999}, json=send)
    checkins = one + "/checkins"
    ask(
        201,
        "POST",
        checkins,
        key="field",
        path={"event_id": event},
        json={"cadre_id": 4, "lon": 120.005, "lat": 36.01},
    )
    ask(
        400,
        "POST",
        checkins,
        key="field",
        path={"event_id": event},
        json={"cadre_id": 4, "lon": 120.005},
    )
    ask(404, "POST", checkins, key="field", path={"event_id": 99999}, json={"cadre_id": 4})
    ask(409, "POST", checkins, key="field", path={"event_id": event}, json={"cadre_id": 1})

    for view in ("/board", "/report", "/report.xlsx", "/replay", "/cap.xml"):
        ask(200, "GET", one + view, key="display", path={"event_id": event})
        ask(400, "GET", one + view, key="display", path={"event_id": event}, params={"lang": "fr"})
        ask(404, "GET", one + view, key="display", path={"event_id": 99999})
    ask(
        200,
        "GET",
        one + "/replay",
        key="display",
        path={"event_id": event},
        params={"at": "2000-01-01T00:00:00+08:00", "lang": "en"},
    )
    ask(200, "GET", "/api/v1/events", key="display", params={"active": "true"})
    ask(400, "GET", "/api/v1/events", key="display", params={"active": "maybe"})

    end = one + "/end"
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    ask(400, "POST", end, key="events", path={"event_id": ended}, json={"ended_at": future})
    ask(200, "POST", end, key="events", path={"event_id": ended}, json={"actor": "指挥长"})
    ask(409, "POST", end, key="events", path={"event_id": ended})
    ask(404, "POST", end, key="events", path={"event_id": 99999})
    ask(200, "GET", one, key="display", path={"event_id": ended})  # ended_at a time
    ask(200, "GET", "/api/v1/events", key="display")  # running and ended
    for path, body in (
        (task_path, task_body),
        (progress, {"done": {"area_mu": 1}}),
        (checkins, {"cadre_id": 4}),
    ):
        ask(409, "POST", path, key="events", path={**ids, "event_id": ended}, json=body)
    ask(409, "GET", mobilisation, key="events", path={"event_id": ended})
    return {"event_id": event, "task_id": task["id"]}


def review(check: Conformance) -> None:
    for ext in ("xlsx", "csv", "geojson", "png"):
        path = f"/api/v1/review/export.{ext}"
        params = {"period": "custom", "from": "2026-01-01", "to": "2026-12-31", "lang": "en"}
        if ext == "png":
            params |= {"width": "640", "height": "480"}
        check.ask(200, "GET", path, key="display", params=params)
        check.ask(
            400, "GET", path, key="display", params={"from": "2026-03-01", "to": "2026-02-01"}
        )
        check.ask(404, "GET", path, key="display", params={"town": "999999999"})
    check.ask(
        200,
        "GET",
        "/api/v1/review/export.csv",
        key="display",
        params={"table": "units", "town": "370281001"},
    )


def photos(check: Conformance) -> dict:
    one = check.places["photo_id"]
    for path in ("/media/photos/{photo_id}", "/media/photos/{photo_id}/thumb"):
        etag = check.ask(200, "GET", path, key="display", path={"photo_id": one}).headers["ETag"]
        check.ask(
            304, "GET", path, key="display", path={"photo_id": one}, headers={"If-None-Match": etag}
        )
        check.ask(404, "GET", path, key="display", path={"photo_id": 999999})
    return {"photo_id": one}


def field_app(check: Conformance) -> dict:
    """A cadre's phone (cadre 5, free) through each operation and its answers; cadre 4,
    mobilised by ``events``, checks in."""
    store, ask = check.store, check.ask

    def phone(number: str) -> dict:
        token, _ = store.create_field_invite(number, actor="test")
        return {"gc_field": store.redeem_field_invite(token)[0]}

    def heads(key: str) -> dict:
        return {"X-GC-Field": "1", "Idempotency-Key": key}

    def new_task() -> int:
        form = {
            "service_code": "fire_lane",
            "lat": 36.005,
            "long": 120.005,
            "description": "消防通道被占用",
        }
        report = ask(200, "POST", "/open311/v2/requests.json", key="open311", data=form)
        incident = store.incident_by_public_id(report.json()[0]["service_request_id"])["id"]
        store.apply_action(int(incident), "register", actor="test")
        store.dispatch([Assignment(int(incident), 5)], actor="test")
        return int(store.field_tasks(5)["dispatch_id"].iloc[0])

    invites = "/api/v1/field/invites"
    ask(201, "POST", invites, key="dispatch", json={"phone": "13900000006"})
    ask(400, "POST", invites, key="dispatch", json={})
    ask(404, "POST", invites, key="dispatch", json={"phone": "1"})
    five, four = phone("13900000005"), phone("13900000004")
    me = "/api/v1/field/me"
    act = "/api/v1/field/tasks/{dispatch_id}/{action}"
    first = new_task()
    ask(200, "GET", me, key=None, cookies=five)
    ask(400, "GET", me, key=None, cookies=five, params={"lon": "east", "lat": 36})
    at = {"dispatch_id": first, "action": "accept"}
    ask(200, "POST", act, key=None, cookies=five, path=at, headers=heads("a1"), json={})
    declining = {**at, "action": "decline"}
    ask(
        422,
        "POST",
        act,
        key=None,
        cookies=five,
        path=declining,
        headers=heads("a1"),
        json={"reason": "车坏了"},
    )
    ask(
        400,
        "POST",
        act,
        key=None,
        cookies=five,
        path=declining,
        headers=heads("a2"),
        json={"reason": ""},
    )
    ask(
        404,
        "POST",
        act,
        key=None,
        cookies=five,
        path={**at, "dispatch_id": 999999},
        headers=heads("a3"),
        json={},
    )
    ask(
        200,
        "POST",
        act,
        key=None,
        cookies=five,
        path=declining,
        headers=heads("a4"),
        json={"reason": "车坏了"},
    )
    ask(409, "POST", act, key=None, cookies=five, path=at, headers=heads("a5"), json={})

    second = new_task()
    photos = "/api/v1/field/tasks/{dispatch_id}/photos"
    shot = {"dispatch_id": second}
    upload = {"photo": ("proof.jpg", image_bytes("JPEG"), "image/jpeg")}
    ask(200, "POST", photos, key=None, cookies=five, path=shot, headers=heads("p1"), files=upload)
    other = {"photo": ("other.png", image_bytes("PNG"), "image/png")}
    ask(422, "POST", photos, key=None, cookies=five, path=shot, headers=heads("p1"), files=other)
    text = {"photo": ("proof.jpg", b"not a picture at all", "image/jpeg")}
    ask(400, "POST", photos, key=None, cookies=five, path=shot, headers=heads("p2"), files=text)
    ask(
        404,
        "POST",
        photos,
        key=None,
        cookies=five,
        path={"dispatch_id": 999999},
        headers=heads("p3"),
        files=upload,
    )

    duty = "/api/v1/field/duty"
    ask(409, "POST", duty, key=None, cookies=five, headers=heads("d1"), json={"on": False})
    ask(400, "POST", duty, key=None, cookies=five, headers=heads("d2"), json={"on": "off"})
    ask(200, "POST", duty, key=None, cookies=five, headers=heads("d3"), json={"on": True})
    ask(422, "POST", duty, key=None, cookies=five, headers=heads("d3"), json={"on": False})

    now = dt.datetime.now(dt.UTC).isoformat()
    positions = "/api/v1/field/me/positions"
    here = {"positions": [{"lon": 120.01, "lat": 36.01, "at": now}]}
    ask(200, "POST", positions, key=None, cookies=five, headers=heads("x1"), json=here)
    ask(422, "POST", positions, key=None, cookies=five, headers=heads("x1"), json={"positions": []})
    away = {"positions": [{"lon": 116.4, "lat": 39.9, "at": now}]}
    ask(400, "POST", positions, key=None, cookies=five, headers=heads("x2"), json=away)

    checkin = "/api/v1/field/checkin"
    ask(
        200,
        "POST",
        checkin,
        key=None,
        cookies=four,
        headers=heads("c1"),
        json={"lon": 120.005, "lat": 36.01},
    )
    ask(422, "POST", checkin, key=None, cookies=four, headers=heads("c1"), json={"lon": 120.006})
    ask(
        400,
        "POST",
        checkin,
        key=None,
        cookies=four,
        headers=heads("c2"),
        json={"lon": 116.4, "lat": 39.9},
    )

    read = "/api/v1/field/notifications/{notification_id}/read"
    mine = ask(200, "GET", me, key=None, cookies=five).json()["notifications"]
    theirs = ask(200, "GET", me, key=None, cookies=four).json()["notifications"]
    assert mine and theirs, "a dispatch and a mobilisation each notify their cadre"
    ask(
        200,
        "POST",
        read,
        key=None,
        cookies=five,
        path={"notification_id": mine[0]["id"]},
        headers={"X-GC-Field": "1"},
    )
    ask(
        403,
        "POST",
        read,
        key=None,
        cookies=five,
        path={"notification_id": theirs[0]["id"]},
        headers={"X-GC-Field": "1"},
    )
    ask(
        404,
        "POST",
        read,
        key=None,
        cookies=five,
        path={"notification_id": 999999},
        headers={"X-GC-Field": "1"},
    )
    return {"dispatch_id": second, "action": "accept", "notification_id": mine[0]["id"]}


def refusals(check: Conformance, places: dict) -> None:
    """Every operation without a key (401, unless anyone may call it) and with a
    wrong one (403)."""
    for template, operations in check.spec["paths"].items():
        for method, operation in operations.items():
            if "401" in operation["responses"]:
                check.ask(401, method.upper(), template, key=None, path=places, json={})
            check.ask(403, method.upper(), template, key=WRONG_KEY, path=places, json={})


def residents(check: Conformance) -> dict:
    """The residents' page (public): a report with a photo, its view, its proof
    once resolved, a look-up, a rating, nearby and me too, with their refusals."""
    store, ask = check.store, check.ask
    base = "/api/v1/public"
    ask(200, "GET", f"{base}/services", key=None)
    form = {"category": SERVICE, "description": "路灯不亮", "lon": "120.005", "lat": "36.005"}
    form |= {"phone": "13912345678"}
    heads = {"Idempotency-Key": "openapi-resident", "X-GC-Device": "openapi-phone"}
    photo = [("photos", ("p.jpg", image_bytes("JPEG"), "image/jpeg"))]
    report = "/api/v1/public/reports"
    made = ask(201, "POST", report, key=None, data=form, files=photo, headers=heads).json()
    ask(400, "POST", report, key=None, data={**form, "description": ""}, headers=heads)
    other = {**form, "description": "路灯一直不亮"}
    ask(422, "POST", report, key=None, data=other, files=photo, headers=heads)
    token, case = made["token"], made["case"]
    one = f"{base}/cases/{{token}}"
    ask(200, "GET", one, key=None, path={"token": token})
    ask(404, "GET", one, key=None, path={"token": "not-a-token"})
    incident_id = int(store.incident_by_public_id(case)["id"])
    for action in ("register", "dispatch", "start"):
        store.apply_action(incident_id, action, actor="user:desk")
    proof = save_photo(
        store, check.media, incident_id, image_bytes("JPEG"), actor="cadre:x", max_bytes=10**7
    )
    store.apply_action(
        incident_id,
        "resolve",
        actor="cadre:x",
        note="已修复",
        photo_url=f"{check.base}/media/photos/{proof['id']}",
    )
    photo_path = f"{base}/cases/{{token}}/photos/{{photo_id}}"
    ask(200, "GET", photo_path, key=None, path={"token": token, "photo_id": proof["id"]})
    ask(404, "GET", photo_path, key=None, path={"token": token, "photo_id": 999999})
    lookup = f"{base}/lookup"
    ask(200, "POST", lookup, key=None, json={"case": case, "phone_tail": "5678"})
    ask(400, "POST", lookup, key=None, json={"case": case})
    ask(404, "POST", lookup, key=None, json={"case": case, "phone_tail": "0000"})
    rating = f"{base}/cases/{{token}}/rating"
    ask(400, "POST", rating, key=None, path={"token": token}, json={"rating": 0})
    ask(404, "POST", rating, key=None, path={"token": "not-a-token"}, json={"rating": 4})
    ask(200, "POST", rating, key=None, path={"token": token}, json={"rating": 4})
    near = f"{base}/nearby"
    ask(200, "GET", near, key=None, params={"lon": "120.005", "lat": "36.005"})
    ask(400, "GET", near, key=None, params={"lon": "x"})
    me_too = f"{base}/cases/{{case}}/me-too"
    mine = {"Idempotency-Key": "openapi-me-too", "X-GC-Device": "openapi-neighbour"}
    ask(201, "POST", me_too, key=None, path={"case": "T1"}, headers=mine)
    again = {**mine, "Idempotency-Key": "openapi-me-too-2"}
    ask(409, "POST", me_too, key=None, path={"case": "T1"}, headers=again)
    ask(400, "POST", me_too, key=None, path={"case": "T1"}, headers={"Idempotency-Key": "k"})
    ask(404, "POST", me_too, key=None, path={"case": "NO-SUCH"}, headers=again)
    return {"token": token, "case": "T1"}
