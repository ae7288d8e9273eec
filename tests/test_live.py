"""Live screens: only changed traces are sent; kiosk URLs never blank a wall."""

from __future__ import annotations

import copy

from dash import Patch

from dashboard.kiosk import parse_kiosk
from dashboard.live import figure_patch, trace_digests
from dashboard.pages.command_map import focus_town
from layers.registry import LAYER_IDS

FIGURE = {
    "data": [
        {"uid": "grids", "geojson": "/api/v1/grids.geojson?v=3", "locations": ["a", "b"],
         "z": [0, 1]},
        {"uid": "incidents", "ids": ["JZ1"], "lon": [120.0], "lat": [36.2]},
        {"uid": "cadres", "lon": [120.1], "lat": [36.3]},
    ],
    "layout": {"map": {"zoom": 9}},
}  # fmt: skip
TOWNS = {"370281009": "370281009", "胶西街道": "370281009", "Jiaoxi Subdistrict": "370281009"}


def test_a_first_look_gets_the_whole_figure():
    sent, digests = figure_patch(FIGURE, None)
    assert sent is FIGURE and digests == trace_digests(FIGURE)


def test_nothing_changed_sends_nothing():
    _, digests = figure_patch(FIGURE, None)
    assert figure_patch(FIGURE, digests) == (None, digests)


def test_a_new_incident_sends_only_its_trace_never_the_grid_geometry():
    _, digests = figure_patch(FIGURE, None)
    later = copy.deepcopy(FIGURE)
    later["data"][1]["ids"].append("JZ2")
    later["data"][1]["lon"].append(120.2)
    later["data"][1]["lat"].append(36.1)
    sent, new = figure_patch(later, digests)
    assert isinstance(sent, Patch)
    operations = sent.to_plotly_json()["operations"]
    assert [op["location"] for op in operations] == [["data", 1]]
    assert "geojson" not in str(operations) and "layout" not in str(operations)
    assert new[1] != digests[1] and new[0] == digests[0]


def test_kiosk_options_are_checked_and_wrong_ones_fall_back_with_a_note():
    good = parse_kiosk({"town": "胶西街道", "layers": "grids,incidents", "refresh": "5",
                        "tour": "30"}, TOWNS, 2.0, "zh")  # fmt: skip
    assert (good.town, good.layers, good.refresh_s, good.tour_s) == (
        "370281009",
        ("grids", "incidents"),
        5.0,
        30.0,
    )
    assert good.notes == ()
    bad = parse_kiosk({"town": "火星镇", "layers": "grids,rockets", "refresh": "0"},
                      TOWNS, 2.0, "zh")  # fmt: skip
    assert bad.town is None and bad.layers == ("grids",) and bad.refresh_s == 2.0
    assert len(bad.notes) == 3 and any("火星镇" in n for n in bad.notes)
    english = parse_kiosk({"layers": "nothing"}, TOWNS, 2.0, "en")
    assert english.layers == LAYER_IDS and "unknown layers nothing" in english.notes[0]


def test_a_tour_moves_the_focus_from_town_to_town():
    codes = ["001", "002", "003"]
    stops = [focus_town({"tour_s": 10}, codes, t) for t in (0, 9.9, 10, 25, 31)]
    assert stops == ["001", "001", "002", "003", "001"]
    assert focus_town({"town": "002"}, codes, 50) == "002"
    assert focus_town({}, codes, 50) is None
