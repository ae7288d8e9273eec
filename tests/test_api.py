"""The GeoJSON feeds and health endpoint over a real HTTP server."""

from __future__ import annotations

import gzip
import json
import re
import urllib.error
import urllib.request

import pytest
import shapely
from shapely.geometry import shape

from app import create_app
from settings import Settings
from tests.servers import thread_server
from tests.tiny_city import tiny_city

# The key these tests read the feeds with (access rules have their own tests).
KEY: dict[str, str] = {}


@pytest.fixture
def served_store(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    KEY["X-API-Key"] = store.create_api_key("feeds", actor="test", scopes="dispatch")
    with thread_server(app.server) as url:
        yield url, store
    KEY.clear()
    store.close()


@pytest.fixture
def base_url(served_store):
    return served_store[0]


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers={**KEY, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def geojson(url: str) -> dict:
    status, headers, body = get(url)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/geo+json")
    return json.loads(body)


def assert_rfc7946(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946 drops it: WGS84 only
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        if geometry.geom_type in ("Polygon", "MultiPolygon"):
            polygons = getattr(geometry, "geoms", [geometry])
            for polygon in polygons:
                assert polygon.exterior.is_ccw  # exterior rings counter-clockwise
        lon, lat = geometry.centroid.x, geometry.centroid.y
        assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_towns_geojson(base_url):
    towns = geojson(f"{base_url}/api/v1/towns.geojson")
    assert_rfc7946(towns)
    assert [f["properties"]["name"] for f in towns["features"]] == ["甲街道", "乙镇"]


def test_grids_geojson_with_load_and_filters(base_url):
    grids = geojson(f"{base_url}/api/v1/grids.geojson")
    assert_rfc7946(grids)
    by_code = {f["properties"]["code"]: f["properties"] for f in grids["features"]}
    assert by_code["A-1"]["open"] == 2 and by_code["A-1"]["load_class"] == 2
    assert "worker_phone" not in by_code["A-1"]
    town = geojson(f"{base_url}/api/v1/grids.geojson?town=370281002")
    assert {f["properties"]["code"] for f in town["features"]} == {"B-1", "B-2"}
    quiet = geojson(f"{base_url}/api/v1/grids.geojson?load_class=0")
    assert {f["properties"]["code"] for f in quiet["features"]} == {"A-2", "B-2"}
    boxed = geojson(f"{base_url}/api/v1/grids.geojson?bbox=120.031,36.0,120.05,36.1")
    assert [f["properties"]["code"] for f in boxed["features"]] == ["B-2"]


def test_versioned_geometry_may_be_kept_by_the_browser_until_the_boundaries_change(
    served_store,
):
    """Issue 17: the maps fetch grids and towns once per geometry version."""
    base_url, store = served_store
    version = store.geometry_version()
    for name in ("grids", "towns"):
        status, headers, _ = get(f"{base_url}/api/v1/{name}.geojson?v={version}")
        assert status == 200 and headers["Cache-Control"] == "private, max-age=86400"
        again, _, _ = get(
            f"{base_url}/api/v1/{name}.geojson?v={version}", {"If-None-Match": headers["ETag"]}
        )
        assert again == 304
        for url in (f"{name}.geojson", f"{name}.geojson?v={version - 1}"):  # unversioned, or old
            _, plain, _ = get(f"{base_url}/api/v1/{url}")
            assert plain["Cache-Control"] == "no-cache" and plain["ETag"]


def test_new_boundaries_replace_the_cached_grid_shapes(served_store):
    base_url, store = served_store
    before = geojson(f"{base_url}/api/v1/grids.geojson")["features"][0]["geometry"]
    moved = tiny_city()
    moved.grids["geometry"] = moved.grids.geometry.translate(xoff=0.001)
    store.load_city(moved, replace=True)
    after = geojson(f"{base_url}/api/v1/grids.geojson")["features"][0]["geometry"]
    assert shape(after).bounds[0] == pytest.approx(shape(before).bounds[0] + 0.001)


def test_geojson_is_compressed_when_the_client_accepts_it(base_url):
    status, headers, body = get(f"{base_url}/api/v1/grids.geojson", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["type"] == "FeatureCollection"


def test_incidents_geojson_filters(base_url):
    everything = geojson(f"{base_url}/api/v1/incidents.geojson")
    assert_rfc7946(everything)
    assert len(everything["features"]) == 5 and everything["truncated"] is False
    first = everything["features"][0]
    assert shapely.equals(shape(first["geometry"]), shapely.Point(120.006, 36.015))
    assert first["properties"]["category_name"] == "积水内涝"
    assert first["properties"]["reported_at"] == "2026-06-20T03:00:00Z"
    open_ = geojson(f"{base_url}/api/v1/incidents.geojson?status=open")
    assert {f["properties"]["public_id"] for f in open_["features"]} == {"T1", "T2", "T3"}
    since = geojson(f"{base_url}/api/v1/incidents.geojson?since=2026-06-20T01:30:00Z")
    assert {f["properties"]["public_id"] for f in since["features"]} == {"T1", "T2"}
    limited = geojson(f"{base_url}/api/v1/incidents.geojson?limit=2")
    assert len(limited["features"]) == 2 and limited["truncated"] is True


def test_cadres_geojson(base_url):
    cadres = geojson(f"{base_url}/api/v1/cadres.geojson")
    assert_rfc7946(cadres)
    assert [f["properties"]["name"] for f in cadres["features"]] == ["张伟", "王芳"]
    on_site = geojson(f"{base_url}/api/v1/cadres.geojson?status=on_site")
    assert [f["properties"]["name"] for f in on_site["features"]] == ["王芳"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("bbox=1,2,3", "bbox must be four numbers"),
        ("bbox=121,36,120,37", "west,south,east,north"),
        ("status=lost", "unknown status 'lost'"),
        ("since=yesterday", "ISO 8601"),
        ("limit=0", "limit must be between"),
        ("limit=many", "whole number"),
    ],
)
def test_bad_filters_get_a_clear_400(base_url, query, message):
    status, _headers, body = get(f"{base_url}/api/v1/incidents.geojson?{query}")
    assert status == 400
    error = json.loads(body)["error"]
    assert error["code"] == 400 and message in error["message"]
    assert "Traceback" not in body.decode()


def test_unknown_cadre_status_gets_a_clear_400(base_url):
    status, _, body = get(f"{base_url}/api/v1/cadres.geojson?status=asleep")
    assert status == 400 and "unknown status 'asleep'" in json.loads(body)["error"]["message"]


def test_unknown_api_path_is_json_404(base_url):
    status, _, body = get(f"{base_url}/api/v1/nothing-here")
    assert status == 404 and json.loads(body)["error"]["code"] == 404


def test_unchanged_feed_answers_304(base_url):
    status, headers, _ = get(f"{base_url}/api/v1/towns.geojson")
    again, _, body = get(f"{base_url}/api/v1/towns.geojson", {"If-None-Match": headers["ETag"]})
    assert (status, again, body) == (200, 304, b"")


def test_health_reports_backend_and_counts(base_url, database_url):
    status, _, body = get(f"{base_url}/api/v1/health")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok"
    assert health["database"] == database_url.split(":")[0].split("+")[0]
    assert health["counts"]["grids"] == 4 and health["change_seq"] == 1


def test_dashboard_page_and_assets_are_served_locally(base_url):
    status, _, body = get(f"{base_url}/")
    page = body.decode()
    assert status == 200 and "胶州市网格化指挥中心" in page
    assert "https://" not in page and "http://" not in page
    # No script or style from a CDN (a random token in the page may spell "cdn").
    assert re.findall(r"""(?:src|href)=["'][^"']*cdn""", page, flags=re.IGNORECASE) == []
