"""Open311 GeoReport v2 over a real HTTP server, read by a standard client (georeport)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import requests
import xmltodict
from georeport import GeoReport

from app import create_app
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

INSIDE = {"lat": "36.011", "long": "120.005"}  # grid A-1 of the tiny city


@pytest.fixture
def served(database_url, monkeypatch):
    """The server, and a client that sends its key with every read, as ours must.

    Reading requests back needs a key here (they hold residents' words and
    places); the standard client (georeport) sends its key only on POST, so
    its GETs get the key added, as a client configured for this city would.
    """
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    key = store.create_api_key("测试客户端", actor="test")
    plain_get = requests.get

    def get_with_key(url, params=None, **kwargs):
        if "/open311/v2/requests" in url:
            params = {"api_key": key, **(params or {})}
        return plain_get(url, params=params, **kwargs)

    monkeypatch.setattr(requests, "get", get_with_key)
    with thread_server(app.server) as base:
        yield {
            "base": base,
            "v2": f"{base}/open311/v2",
            "key": key,
            "store": store,
            "plain_get": plain_get,
        }
    store.close()


def post(served, fmt="json", headers=None, **fields):
    data = {
        "api_key": served["key"],
        "service_code": "garbage",
        "description": "垃圾未清运",
        **INSIDE,
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(f"{served['v2']}/requests.{fmt}", data=data, headers=headers, timeout=30)


def stored(served) -> int:
    return served["store"].count_reports()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_standard_client_lists_services_and_reads_a_definition(served, fmt):
    client = GeoReport(served["v2"], output_format=fmt)
    services = client.get_service_list()
    assert len(services) == 18
    flood = next(s for s in services if s["service_code"] == "waterlogging")
    assert flood["service_name"] == "积水内涝"
    assert flood["metadata"] in (True, "true")
    definition = client.get_service_definition("waterlogging")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes] == ["depth", "people_trapped"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_then_read_back_with_a_standard_client(served, fmt):
    answer = post(served, fmt, description="小区北门消防通道被私家车堵塞", service_code="fire_lane")
    assert answer.status_code == 200, answer.text
    if fmt == "json":
        created = answer.json()[0]
    else:
        created = xmltodict.parse(answer.content)["service_requests"]["request"]
    request_id = created["service_request_id"]
    assert request_id.startswith("JZ") and created["service_notice"]
    client = GeoReport(served["v2"], output_format=fmt)
    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id
    assert read["description"] == "小区北门消防通道被私家车堵塞"
    assert read["status"] == "open" and read["service_code"] == "fire_lane"
    assert math.isclose(float(read["lat"]), 36.011) and math.isclose(float(read["long"]), 120.005)
    listed = client.get_service_requests(status="open", service_code="fire_lane")
    listed = listed if isinstance(listed, list) else [listed]
    assert request_id in [r["service_request_id"] for r in listed]


def test_report_lands_in_its_grid_with_priority_and_deadlines(served):
    answer = post(served, description="楼道里冒烟了，有老人被困", service_code="safety_hazard")
    request_id = answer.json()[0]["service_request_id"]
    row = served["store"].incident_by_public_id(request_id)
    assert (row["grid_code"], row["town_code"]) == ("A-1", "370281001")
    assert row["priority"] == 1  # smoke, someone trapped
    assert row["due_contact_at"] > row["reported_at"]
    assert row["due_resolve_at"] > row["due_contact_at"]
    assert row["channel"] == "app" and row["status"] == "reported"


def test_gcj02_location_is_converted_and_the_original_kept(served):
    answer = post(served, lat="36.00855", long="120.01014", coordinate_system="gcj02")
    request_id = answer.json()[0]["service_request_id"]
    read = requests.get(
        f"{served['v2']}/requests/{request_id}.json", params={"extensions": "true"}, timeout=30
    ).json()[0]
    extended = read["extended_attributes"]
    assert extended["coordinate_system"] == "gcj02"
    assert (extended["original_lat"], extended["original_long"]) == (36.00855, 120.01014)
    # GCJ-02 is offset by a few hundred metres from WGS84 around Qingdao.
    assert 0.001 < abs(read["long"] - 120.01014) < 0.01


def test_markup_is_stored_as_given_and_escaped_in_xml(served):
    text = "<script>alert('x')</script> & 1=1; DROP TABLE incidents;--"
    request_id = post(served, description=text).json()[0]["service_request_id"]
    as_json = requests.get(f"{served['v2']}/requests/{request_id}.json", timeout=30)
    assert as_json.json()[0]["description"] == text
    as_xml = requests.get(f"{served['v2']}/requests/{request_id}.xml", timeout=30)
    assert b"<script>" not in as_xml.content
    assert xmltodict.parse(as_xml.content)["service_requests"]["request"]["description"] == text


@pytest.mark.parametrize(
    "fields, status, phrase",
    [
        ({"api_key": "gc_wrong"}, 403, "api_key"),
        ({"api_key": None}, 401, "api_key"),
        ({"service_code": "unicorns"}, 400, "service_code"),
        ({"description": ""}, 400, "description"),
        ({"lat": "nan"}, 400, "lat"),
        ({"long": "inf"}, 400, "long"),
        ({"lat": "北纬36度"}, 400, "lat"),
        ({"lat": "39.9", "long": "116.4"}, 400, "outside"),
        ({"lat": None, "long": None}, 400, "address_string"),
        ({"lat": None, "long": None, "address_string": "北京市朝阳区"}, 400, "address"),
        ({"description": "坏了\x00\x07"}, 400, "control"),
        ({"description": "长" * 5000}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"coordinate_system": "mars"}, 400, "coordinate"),
        ({"jurisdiction_id": "beijing"}, 404, "jurisdiction_id"),
        ({"service_code": "waterlogging"}, 400, "attribute[depth]"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_reports_get_the_spec_error_shape_and_store_nothing(
    served, fields, status, phrase, fmt
):
    before, audit_before = stored(served), len(served["store"].audit(1000))
    answer = post(served, fmt, **fields)
    assert answer.status_code == status, answer.text
    if fmt == "json":
        (error,) = answer.json()
    else:
        error = xmltodict.parse(answer.content)["errors"]["error"]
    assert int(error["code"]) == status and phrase in error["description"]
    assert "Traceback" not in answer.text
    assert stored(served) == before and len(served["store"].audit(1000)) == audit_before


def test_json_bodies_are_refused_with_a_clear_message(served):
    answer = requests.post(
        f"{served['v2']}/requests.json",
        timeout=30,
        json={"api_key": served["key"], "service_code": "garbage"},
    )
    # The key inside a JSON body is not where Open311 puts it: refused before anything else.
    assert answer.status_code == 401 and "form-encoded" in answer.json()[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "param, value",
    [
        ("start_date", "yesterday"),
        ("end_date", "yesterday"),
        ("start_date", "1900-01-01"),
        ("end_date", "2300-01-01T00:00:00Z"),
    ],
)
def test_regression_a_bad_date_is_named_as_the_caller_sent_it_not_since(served, param, value, fmt):
    answer = requests.get(f"{served['v2']}/requests.{fmt}", params={param: value}, timeout=30)
    assert answer.status_code == 400, answer.text
    if fmt == "json":
        (error,) = answer.json()
    else:
        error = xmltodict.parse(answer.content)["errors"]["error"]
    assert error["description"].startswith(f"{param} must "), error
    assert "since" not in error["description"]


def test_regression_a_get_without_a_key_is_told_where_a_gets_key_goes(served):
    """A GET has no form: its 401 names the api_key query parameter and the
    X-API-Key header, never a form-encoded body; a POST's names the form."""
    public_id = post(served).json()[0]["service_request_id"]
    before = stored(served)
    for url in (f"{served['v2']}/requests/{public_id}.json", f"{served['v2']}/requests.json"):
        answer = served["plain_get"](url, timeout=30)
        assert answer.status_code == 401, answer.text
        message = answer.json()[0]["description"]
        assert "api_key query parameter" in message and "X-API-Key" in message
        assert "form" not in message
    xml = served["plain_get"](f"{served['v2']}/requests/{public_id}.xml", timeout=30)
    assert xml.status_code == 401
    assert (
        "api_key query parameter" in xmltodict.parse(xml.content)["errors"]["error"]["description"]
    )
    post_answer = requests.post(
        f"{served['v2']}/requests.json",
        timeout=30,
        data={"service_code": "garbage", "description": "x", **INSIDE},
    )
    assert post_answer.status_code == 401
    message = post_answer.json()[0]["description"]
    assert "form-encoded" in message and "X-API-Key" in message
    assert "query parameter" not in message
    assert stored(served) == before  # refused, nothing stored
    # The key as the README shows it, in the query, is enough to read one back.
    answer = served["plain_get"](
        f"{served['v2']}/requests/{public_id}.json",
        timeout=30,
        params={"api_key": served["key"], "extensions": "true"},
    )
    assert answer.status_code == 200 and answer.json()[0]["service_request_id"] == public_id


def test_regression_a_wrong_key_is_named_where_it_was_sent(served):
    url = f"{served['v2']}/requests.json"
    in_header = served["plain_get"](url, headers={"X-API-Key": "gc_wrong"}, timeout=30)
    in_query = served["plain_get"](url, params={"api_key": "gc_wrong"}, timeout=30)
    assert in_header.status_code == in_query.status_code == 403
    assert in_header.json()[0]["description"].startswith("X-API-Key is wrong")
    assert in_query.json()[0]["description"].startswith("api_key is wrong")


def test_unknown_ids_and_paths_are_spec_404s(served):
    answer = requests.get(f"{served['v2']}/requests/JZ000000.json", timeout=30)
    assert answer.status_code == 404 and answer.json()[0]["code"] == 404
    answer = requests.get(f"{served['v2']}/nothing.xml", timeout=30)
    assert answer.status_code == 404
    assert xmltodict.parse(answer.content)["errors"]["error"]["code"] == "404"


def test_a_retried_post_returns_the_first_answer_and_stores_once(served):
    headers = {"Idempotency-Key": "phone-42-report-1"}
    first = post(served, headers=headers)
    before = stored(served)
    again = post(served, headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert stored(served) == before


def test_the_same_key_with_another_body_is_refused(served):
    headers = {"Idempotency-Key": "phone-42-report-2"}
    post(served, headers=headers)
    before = stored(served)
    other = post(served, headers=headers, description="另一件事")
    assert other.status_code == 422 and "different request" in other.json()[0]["description"]
    assert stored(served) == before


def test_a_key_still_in_flight_gets_a_conflict(served):
    store = served["store"]
    client = store.client_for_key(served["key"])
    store.claim_idempotency_key(client.id, "phone-42-report-3", "a request being processed")
    answer = post(served, headers={"Idempotency-Key": "phone-42-report-3"})
    assert answer.status_code == 409 and answer.json()[0]["code"] == 409


def test_a_failed_post_frees_its_key_for_a_corrected_retry(served):
    headers = {"Idempotency-Key": "phone-42-report-4"}
    assert post(served, headers=headers, lat="nan").status_code == 400
    assert post(served, headers=headers, lat="nan").status_code == 400  # not a conflict


def test_revoked_key_is_refused(served):
    served["store"].revoke_api_keys("测试客户端", actor="test")
    assert post(served).status_code == 403


def test_reading_requests_needs_a_key_and_a_town_key_reads_only_its_town(served):
    request_id = post(served).json()[0]["service_request_id"]  # in the tiny city's first town
    plain_get = served["plain_get"]
    answer = plain_get(f"{served['v2']}/requests/{request_id}.json", timeout=30)
    assert answer.status_code == 401 and answer.json()[0]["code"] == 401
    store = served["store"]
    first, second = store.towns()["code"].iloc[:2]
    own = store.create_api_key("甲街道大屏", actor="test", scopes="display", town=first)
    other = store.create_api_key("乙镇大屏", actor="test", scopes="display", town=second)
    url = f"{served['v2']}/requests/{request_id}.json"
    assert plain_get(url, params={"api_key": own}, timeout=30).status_code == 200
    assert plain_get(url, params={"api_key": other}, timeout=30).status_code == 404
    listed = plain_get(f"{served['v2']}/requests.json", params={"api_key": other}, timeout=30)
    assert listed.status_code == 200 and request_id not in listed.text


def test_discovery_points_at_v2(served):
    found = requests.get(f"{served['base']}/open311/discovery.json", timeout=30).json()
    assert found["endpoints"][0]["url"].endswith("/open311/v2")
    assert "--scopes open311" in found["key_service"]  # names the scope a client needs
    xml = requests.get(f"{served['base']}/open311/discovery.xml", timeout=30)
    parsed = xmltodict.parse(xml.content)["discovery"]["endpoints"]["endpoint"]
    assert parsed["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_list_filters_and_their_errors(served):
    ids = [post(served).json()[0]["service_request_id"] for _ in range(3)]
    got = requests.get(
        f"{served['v2']}/requests.json",
        timeout=30,
        params={"service_request_id": ",".join(ids[:2])},
    ).json()
    assert sorted(r["service_request_id"] for r in got) == sorted(ids[:2])
    for params, phrase in [
        ({"status": "lost"}, "open or closed"),
        ({"start_date": "yesterday"}, "ISO 8601"),
        ({"end_date": "1900-01-01"}, "between 1970 and 2200"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ]:
        answer = requests.get(f"{served['v2']}/requests.json", params=params, timeout=30)
        assert answer.status_code == 400 and phrase in answer.json()[0]["description"]
    assert json.loads(requests.get(f"{served['v2']}/requests.json", timeout=30).text)


def test_the_reporter_of_a_duplicate_follows_the_incident_it_was_merged_into(served):
    store = served["store"]
    first = post(served, description="路灯不亮", service_code="street_light").json()[0]
    second = post(served, description="这里路灯坏了好几天", service_code="street_light").json()[0]
    original = store.incident_by_public_id(first["service_request_id"])
    duplicate = store.incident_by_public_id(second["service_request_id"])
    store.apply_action(int(duplicate["id"]), "merge", actor="值班员", into=int(original["id"]))
    client = GeoReport(served["v2"], output_format="json")

    read = client.get_service_request(second["service_request_id"])
    assert read["status"] == "open"  # the original is still open, so is the reporter's request
    assert first["service_request_id"] in read["status_notes"] and "合并" in read["status_notes"]

    for action, details in (
        ("register", {}),
        ("dispatch", {}),
        ("start", {}),
        ("resolve", {"note": "已更换灯泡", "photo_url": "https://x.cn/1.jpg"}),
        ("verify", {}),
        ("close", {}),
    ):
        actor = "核查员" if action == "verify" else "处置员"
        store.apply_action(int(original["id"]), action, actor=actor, **details)
    read = client.get_service_request(second["service_request_id"])
    assert read["status"] == "closed"
    assert "已办结" in read["status_notes"] or "closed" in read["status_notes"].lower()
    extended = requests.get(
        f"{served['v2']}/requests/{second['service_request_id']}.json",
        params={"extensions": "true"},
        timeout=30,
    ).json()[0]
    assert extended["extended_attributes"]["merged_into"] == first["service_request_id"]
    assert extended["extended_attributes"]["lifecycle_status"] == "duplicate"


def test_the_sla_policy_setting_sets_the_deadlines_of_new_reports(database_url, tmp_path):
    policy = tmp_path / "sla.json"
    policy.write_text('{"categories": {"garbage": {"resolve": "4 clock_hours"}}}')
    bad = tmp_path / "bad.json"
    bad.write_text('{"categories": {"garbage": {"resolve": "soon"}}}')
    with pytest.raises(ValueError, match=r"GC_SLA_POLICY: .*garbage.*soon"):
        Settings.from_env({"DATABASE_URL": database_url, "GC_SLA_POLICY": str(bad)})
    settings = Settings.from_env({"DATABASE_URL": database_url, "GC_SLA_POLICY": str(policy)})
    app = create_app(settings)
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    key = store.create_api_key("policy", actor="test")
    try:
        with thread_server(app.server) as base:
            answer = post({"v2": f"{base}/open311/v2", "key": key}, description="垃圾未清运")
        row = store.incident_by_public_id(answer.json()[0]["service_request_id"])
        assert row["due_resolve_at"] - row["reported_at"] == pd.Timedelta(hours=4)
    finally:
        store.close()


def test_a_farm_help_report_asks_for_the_hands_it_names(served):
    answer = post(
        served,
        service_code="farm_help",
        description="土豆地被淹，急需人手抢收",
        **{
            "attribute[crop]": "土豆",
            "attribute[area_mu]": "120",
            "attribute[helpers_needed]": "20",
        },
    )
    assert answer.status_code == 200, answer.text
    row = served["store"].incident_by_public_id(answer.json()[0]["service_request_id"])
    assert row["headcount"] == 20
    before = stored(served)
    for bad in ("0", "2.5", "100000"):
        refused = post(
            served,
            service_code="farm_help",
            description="抢收",
            **{"attribute[helpers_needed]": bad},
        )
        assert refused.status_code == 400 and "helpers_needed" in refused.json()[0]["description"]
    assert stored(served) == before
