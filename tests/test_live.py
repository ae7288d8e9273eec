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


def test_wall_panels_show_rates_trends_and_the_newest_reports_with_priority_colours():
    import datetime as dt

    import pandas as pd

    from dashboard.components.panels import service_tiles, ticker, trend_bars
    from domain.kpis import ServiceFigures, trend

    tiles = service_tiles(ServiceFigures(0.931, None, 0.9, None), "zh")
    values = [str(tile.children[1].children[0]) for tile in tiles]
    assert values == ["93.1", "—", "0.9", "—"]  # nothing to count shows a dash, not 0
    now = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
    bars = trend_bars(trend(pd.Series([now, now]), now, step="h", periods=24), "zh", step="h")
    columns = bars.children[0].children
    assert len(columns) == 24 and columns[-1].className == "col now"
    rows = pd.DataFrame({"reported_at": [now, now], "priority": [1, 3],
                         "category": ["waterlogging", "garbage"], "grid_name": ["甲网格", None]})  # fmt: skip
    items = ticker(rows, "zh").children
    assert items[0].className == "gc-tick p1" and items[0].children[1].children == "积水内涝"
    assert items[0].children[0].children == "12:00" and items[1].children[2].children == "—"
