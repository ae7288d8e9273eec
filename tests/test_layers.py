"""Map layers as pure functions over small frames."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from layers import cadres, dispatch_lines, grids, incidents, towns, view
from layers.map_figure import WALL_LAYERS, MapView, build_wall_layers, toggle_of
from layers.registry import LAYER_IDS
from layers.style import MapStyle, scale_for_width
from tests.tiny_city import NOW, tiny_city


@pytest.fixture
def city():
    return tiny_city()


def _incident_frame(city):
    frame = city.incidents.copy()
    frame["grid_name"] = frame["grid_code"]
    return frame


def _cadre_frame(city):
    frame = city.cadres.copy()
    frame["department"] = frame["department_id"].map({1: "应急管理局"})
    return frame


def _grid_frame(city):
    frame = pd.DataFrame(city.grids.drop(columns="geometry"))
    frame["community_name"] = ["甲社区", "甲社区", "乙村", "乙村"]
    frame["worker_name"] = ["张伟", "张伟", "王芳", None]
    load = pd.DataFrame({"grid_code": ["A-1", "B-1"], "open": [2, 9], "urgent": [1, 0]})
    return grids.with_load(frame, load)


def test_load_classes_band_counts():
    assert list(grids.load_class([0, 1, 2, 3, 4, 5, 7, 50, np.nan])) == [0, 1, 2, 3, 3, 4, 4, 4, 0]


def test_with_load_fills_missing_grids_with_zero(city):
    frame = _grid_frame(city).set_index("code")
    assert frame.loc["A-1", "open"] == 2 and frame.loc["A-1", "load_class"] == 2
    assert frame.loc["B-1", "load_class"] == 4
    assert frame.loc["A-2", "open"] == 0 and frame.loc["A-2", "load_class"] == 0


def test_only_grid_classes_and_counts_travel_the_geometry_comes_by_url(city):
    values = grids.hideout(_grid_frame(city), style=MapStyle())
    assert values["cls"] == {"A-1": 2, "A-2": 0, "B-1": 4, "B-2": 0}  # load classes by code
    assert values["open"] == {"A-1": 2, "A-2": 0, "B-1": 9, "B-2": 0}
    assert "geometry" not in json.dumps(values)
    fixed = grids.static_hideout("zh")
    assert fixed["fill"] == [c.colour for c in grids.LOAD_CLASSES] and fixed["show"] is True
    assert fixed["words"]["worker"] == "网格员"
    assert grids.static_hideout("en", show=False)["words"]["worker"] == "Grid worker"
    assert grids.static_hideout("en", show=False)["show"] is False


def _props(collection):
    return [f["properties"] for f in collection["features"]]


def test_incident_layer_colours_by_status_and_rings_urgent(city):
    shown = incidents.build_layer(_incident_frame(city), style=MapStyle(), now=NOW)
    assert shown["flash"]["features"] == []  # T2 was reported an hour ago: no longer new
    assert [f["geometry"]["coordinates"][0] for f in shown["halo"]["features"]] == [120.006]
    dots = _props(shown["dots"])
    assert dots[0]["c"] == incidents.STATUS_COLOURS["registered"]
    assert dots[3]["c"] == incidents.STATUS_COLOURS["done"]
    assert dots[1]["r"] > dots[2]["r"]  # urgent drawn bigger
    assert dots[0]["tooltip"].startswith("<b>消防通道占用")
    assert "06-20 10:00" in dots[0]["tooltip"]  # Beijing time
    later = incidents.build_layer(
        _incident_frame(city), style=MapStyle(), now=NOW + dt.timedelta(hours=3)
    )
    assert later["dots"] == shown["dots"]  # no ages: nothing goes stale
    fresh = incidents.build_layer(
        _incident_frame(city), style=MapStyle(), now=NOW - dt.timedelta(minutes=59, seconds=50)
    )
    assert [f["id"] for f in fresh["flash"]["features"]] == ["T2"]  # the white ring


def test_hover_cards_are_escaped(city):
    frame = _incident_frame(city)
    frame.loc[0, "description"] = "<img src=x onerror=alert(1)>"
    dots = _props(incidents.build_layer(frame, style=MapStyle(), now=NOW)["dots"])
    assert "<img" not in dots[0]["tooltip"] and "&lt;img" in dots[0]["tooltip"]


def test_cadre_layer_skips_cadres_without_position(city):
    layer = cadres.build_layer(_cadre_frame(city), style=MapStyle(), now=NOW)
    assert [f["id"] for f in layer["features"]] == ["1", "2"]
    card = layer["features"][0]["properties"]["tooltip"]
    assert "专职网格员" in card and "位置更新于" in card
    later = cadres.build_layer(
        _cadre_frame(city), style=MapStyle(), now=NOW + dt.timedelta(hours=3)
    )
    assert later == layer


def test_sizes_grow_on_a_wall(city):
    small = _props(cadres.build_layer(_cadre_frame(city), style=MapStyle(scale=1), now=NOW))
    wall = _props(cadres.build_layer(_cadre_frame(city), style=MapStyle(scale=2), now=NOW))
    assert wall[0]["r"] == 2 * small[0]["r"]
    assert scale_for_width(3840) == 2.0 and scale_for_width(1280) == 1.0


def test_close_town_labels_are_set_apart():
    # Two labels 3 km apart at county zoom would hide one another.
    lon, lat = [120.0137, 119.9756, 119.88], [36.2907, 36.2838, 36.10]
    widths = [75.0, 75.0, 75.0]
    positions = towns.label_positions(lon, lat, widths, 21, zoom=9.3)
    assert positions == ["middle right", "middle left", "middle center"]
    assert towns.label_positions(lon, lat, widths, 21, zoom=13) == ["middle center"] * 3


def test_wall_labels_carry_their_side_and_language(city):
    zh = towns.label_layer(city.towns, style=MapStyle(), zoom=14)
    en = towns.label_layer(city.towns, style=MapStyle(lang="en", scale=2), zoom=14)
    assert [p["name"] for p in _props(zh)] == ["甲街道", "乙镇"]
    assert "Jia Subdistrict" in [p["name"] for p in _props(en)]
    assert _props(en)[0]["s"] == 2 * _props(zh)[0]["s"]
    frame = pd.DataFrame(
        {
            "code": ["1", "2", "3"],
            "name": ["阜安街道", "中云街道", "里岔镇"],
            "name_en": ["Fu'an", "Zhongyun", "Licha"],
            "lon": [120.0137, 119.9756, 119.8137],
            "lat": [36.2907, 36.2838, 36.0916],
        }
    )
    sides = [p["a"] for p in _props(towns.label_layer(frame, style=MapStyle(), zoom=9.3))]
    assert sides == ["right", "left", "center"]


def test_view_fits_the_county_into_the_map():
    bounds = (119.63, 36.01, 120.21, 36.50)
    centre, zoom = view.view_for(bounds, 1200, 1000)
    assert centre["lon"] == pytest.approx(119.92, abs=0.01)
    assert 9 < zoom < 11
    _, wall_zoom = view.view_for(bounds, 2400, 2000)
    assert wall_zoom == pytest.approx(zoom + 1, abs=0.01)  # twice the pixels, one zoom level


WALL_EVENT = {
    "name": "甲街道内涝",
    "area": box(120.00, 36.00, 120.02, 36.02),
    "tasks": [
        {
            "id": 9,
            "title": "排水",
            "status": "dispatched",
            "on_task": 2,
            "headcount": 5,
            "lon": 120.01,
            "lat": 36.01,
        }
    ],
}


def test_the_wall_outlines_running_events_and_marks_their_tasks():
    from layers.event_map import wall_layers

    shown = wall_layers([WALL_EVENT], scale=2.0)
    (area,) = shown["areas"]["features"]
    assert area["geometry"]["type"] == "Polygon" and area["properties"]["w"] == 6  # 4K: thicker
    (task,) = shown["tasks"]["features"]
    assert task["geometry"]["coordinates"] == [120.01, 36.01]
    assert task["properties"]["c"] == "#f59e0b"  # hands on it: working
    assert task["properties"]["label"] == "排水 2/5人"
    empty = wall_layers([{**WALL_EVENT, "area": None, "tasks": []}])
    assert empty["areas"]["features"] == [] and empty["tasks"]["features"] == []


def test_every_wall_layer_is_plain_json_and_belongs_to_a_switch(city):
    layers = build_wall_layers(
        town_frame=city.towns,
        grid_frame=_grid_frame(city),
        incident_frame=_incident_frame(city),
        cadre_frame=_cadre_frame(city),
        view=MapView(120, 36, 10),
        style=MapStyle(),
        now=NOW,
        events=[WALL_EVENT],
    )
    assert tuple(layers) == WALL_LAYERS
    # The browser's layer switches rely on this (dashboard/pages/command_map.py).
    assert {toggle_of(name) for name in layers} == set(LAYER_IDS)
    json.dumps(layers)  # plain JSON, ready for dash-leaflet


# The dispatch console's map (layers/dispatch_lines.py)

INCIDENT = {"lon": 120.005, "lat": 36.005, "public_id": "T1", "label": "消防通道占用"}


def _recommended(n=3):
    return [
        {
            "name": f"干部{i}",
            "department": "应急管理局" if i == 0 else None,
            "eta_s": 120.0 * (i + 1),
            "distance_m": 500.0 * (i + 1),
            "from": [120.006 + 0.001 * i, 36.006],
            "to": [120.005, 36.005],
        }
        for i in range(n)
    ]


def _coords(collection) -> list:
    return [f["geometry"]["coordinates"] for f in collection["features"]]


def test_recommendations_draw_one_line_per_cadre_the_best_one_bold():
    sent = [{"name": "张伟", "from": [120.0, 36.0]}]
    layers = dispatch_lines.recommendation_layers(
        {**INCIDENT, "urgent": True}, _recommended(), style=MapStyle(), sent=sent
    )
    lines = layers["lines"]["features"]
    assert [f["geometry"]["type"] for f in lines] == ["LineString"] * 4
    sent_line, *others, best = lines  # sent first, the best last: on top
    assert best["geometry"]["coordinates"] == [[120.006, 36.006], [120.005, 36.005]]
    assert [o["geometry"]["coordinates"][0] for o in others] == [
        [120.007, 36.006],
        [120.008, 36.006],
    ]
    assert best["properties"]["w"] > others[0]["properties"]["w"]
    assert best["properties"]["c"] == dispatch_lines.BEST != others[0]["properties"]["c"]
    assert sent_line["geometry"]["coordinates"] == [[120.0, 36.0], [120.005, 36.005]]
    cadres = layers["cadres"]["features"]
    assert [f["properties"].get("label") for f in cadres] == [None, "3", "2", "1"]
    assert cadres[-1]["properties"]["tooltip"] == "<b>干部0</b><br>应急管理局<br>约 2 分钟 · 0.5 km"
    assert "—" in cadres[-2]["properties"]["tooltip"]  # no department
    halo, dot = layers["incident"]["features"]
    assert dot["properties"]["c"] == dispatch_lines.URGENT and dot["id"] == "T1"
    assert halo["properties"]["r"] > dot["properties"]["r"] and "tooltip" not in halo["properties"]
    json.dumps(layers)


def test_plan_lines_coloured_by_priority_urgent_on_top():
    rows = [
        {
            "incident": f"JZ{p}",
            "priority": p,
            "cadre_name": f"干部{p}",
            "eta_s": 300.0,
            "from": [120.0 + p / 100, 36.0],
            "to": [120.0 + p / 100, 36.01],
            "category": "garbage",
        }
        for p in (1, 2, 3, 4)
    ] + [
        {
            "incident": "JZ1",
            "priority": 1,
            "cadre_name": "干部9",
            "eta_s": 60.0,
            "from": [120.02, 36.02],
            "to": [120.01, 36.01],
        }
    ]
    layers = dispatch_lines.plan_layers(rows, style=MapStyle(lang="en"))
    colours = [f["properties"]["c"] for f in layers["lines"]["features"]]
    routine, high, urgent = dispatch_lines.ROUTINE, dispatch_lines.HIGH, dispatch_lines.URGENT
    assert colours == [routine, routine, high, urgent, urgent]  # normal and low alike
    assert len(layers["incident"]["features"]) == 4  # each incident once
    assert not any("tooltip" in f["properties"] for f in layers["incident"]["features"])
    assert "5 min" in layers["cadres"]["features"][0]["properties"]["tooltip"]
    assert len(layers["cadres"]["features"]) == 5


def test_backdrop_skips_incidents_without_a_place_and_names_each_by_its_row(city):
    frame = city.incidents.copy()
    frame["id"] = range(1, len(frame) + 1)
    frame.loc[0, "lon"] = None
    backdrop = dispatch_lines.backdrop_layer(frame, style=MapStyle())
    assert [f["id"] for f in backdrop["features"]] == ["2", "3", "4", "5"]
    assert backdrop["features"][0]["properties"]["tooltip"] == "<b>T2</b>"


def test_fit_bounds_frames_the_points_but_not_closer_than_a_street():
    (south, west), (north, east) = dispatch_lines.fit_bounds(
        [(120.005, 36.005), (120.0051, 36.0051)]
    )
    assert north - south == pytest.approx(dispatch_lines.MIN_SPAN_DEG)
    assert (west + east) / 2 == pytest.approx(120.00505)
    far = dispatch_lines.fit_bounds([(120.0, 36.0), (120.1, 36.05)])
    assert far == [[36.0, 120.0], [36.05, 120.1]]
    county = dispatch_lines.fit_bounds([None])
    assert county == [[36.01, 119.63], [36.5, 120.21]]


def test_the_import_map_fills_problems_by_kind_largest_first_and_fits_the_file():
    from domain.boundary_checks import Problem
    from layers.import_map import PROBLEM_FILL, SHAPE_LINE, import_map_layers

    shapes = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        crs=4326,
        geometry=[box(120.0, 36.2, 120.01, 36.21), box(120.01, 36.2, 120.02, 36.21)],
    )
    small = Problem("gap", ("a",), 50.0, box(120.009, 36.2, 120.0095, 36.2005), "a gap")
    large = Problem("overlap", ("a", "b"), 900.0, box(120.0, 36.2, 120.005, 36.205), "<b>x</b>")
    unplaced = Problem("bad_number", ("a",), None, None, "text")
    drawn = import_map_layers(shapes, [small, large, unplaced], names={"gap": "覆盖空隙"})
    kinds = [f["properties"]["kind"] for f in drawn["problems"]["features"]]
    assert kinds == ["overlap", "gap"]  # the small one drawn last, on top
    first = drawn["problems"]["features"][0]["properties"]
    assert (first["c"], first["o"]) == PROBLEM_FILL["overlap"]
    assert "&lt;b&gt;x&lt;/b&gt;" in first["tooltip"]  # the file's text is never markup
    assert "覆盖空隙" in drawn["problems"]["features"][1]["properties"]["tooltip"]
    assert [f["properties"]["code"] for f in drawn["shapes"]["features"]] == ["a", "b"]
    assert {f["properties"]["c"] for f in drawn["shapes"]["features"]} == {SHAPE_LINE}
    (south, west), (north, east) = drawn["bounds"]
    assert south <= 36.2 and west <= 120.0 and north >= 36.21 and east >= 120.02
    assert north - south < 0.02 and east - west < 0.03  # fitted to the file, not the county


def test_an_import_with_no_usable_shape_shows_the_county():
    from layers.import_map import import_map_layers

    empty = gpd.GeoDataFrame({"code": ["a"]}, crs=4326, geometry=[None])
    drawn = import_map_layers(empty, [], names={})
    assert drawn["shapes"]["features"] == [] and drawn["problems"]["features"] == []
    assert drawn["bounds"] == dispatch_lines.fit_bounds([])


def test_the_review_map_sends_each_grid_a_colour_and_value_not_shapes():
    from domain.review_metrics import METRICS
    from layers.review_map import CONCERN, NO_DATA, review_map_layers

    grids = pd.DataFrame(
        {"code": ["a", "b", "c"], "incidents": [0, 5, 10], "satisfaction_rate": [None, 0.9, 1.0]}
    )
    hot = pd.DataFrame({"code": ["c"], "name": ["<c>"], "lon": [120.0], "lat": [36.3]})
    rate = METRICS["satisfaction_rate"]
    drawn = review_map_layers(
        grids, metric=rate, period_label="2026-11", lang="zh", selected="b", hot=hot
    )
    hideout = drawn["grids"]
    assert set(hideout["fill"]) == {"b", "c"}  # no rating: grey, not a colour that reads as one
    assert hideout["nodata"] == NO_DATA
    assert hideout["fill"]["b"] == CONCERN[-1][1] and hideout["fill"]["c"] == CONCERN[0][1]
    assert hideout["value"] == {"a": "—", "b": "90%", "c": "100%"}
    assert hideout["incidents"] == {"a": 0, "b": 5, "c": 10} and hideout["selected"] == "b"
    assert "满意率" in drawn["legend"]["title"] and drawn["legend"]["period"] == "2026-11"
    assert drawn["legend"]["ticks"][-1] == "100%"
    (dot,) = drawn["hot"]["features"]
    assert dot["properties"]["code"] == "c"  # a click on it drills into that grid
    assert "&lt;c&gt;" in dot["properties"]["tooltip"]
    counts = review_map_layers(grids, metric=METRICS["incidents"], period_label="", lang="en")
    assert counts["grids"]["fill"]["a"] == CONCERN[0][1]  # a count of 0 is a value
    assert counts["grids"]["value"]["c"].startswith("10")
    assert counts["hot"]["features"] == []


def test_the_review_legend_never_shows_the_same_tick_twice():
    """A count from 0 to 1 (one report in the busiest grid) reads 0, 0.5, 1,
    not 0, 0, 1; whole counts stay whole."""
    from domain.review_metrics import METRICS
    from layers.review_map import legend

    incidents = METRICS["incidents"]
    assert legend(incidents, "本月", "zh", 0, 1)["ticks"] == ["0", "0.5", "1"]
    assert legend(incidents, "本月", "zh", 0, 40)["ticks"] == ["0", "20", "40"]
    assert legend(METRICS["closure_rate"], "本月", "en", 50, 100)["ticks"] == [
        "50.0%",
        "75.0%",
        "100%",
    ]
