"""Live screens: only changed traces are sent; kiosk URLs never blank a wall."""

from __future__ import annotations

import copy
import json
import random

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


def apply_patch(figure: dict, patch: Patch) -> dict:
    """``patch`` applied as dash-renderer applies it (patch.ts: one operation after another)."""
    result = copy.deepcopy(figure)
    for op in json.loads(json.dumps(patch.to_plotly_json()))["operations"]:
        *parents, last = op["location"]
        holder = result
        for key in parents:
            holder = holder[key]
        name, params = op["operation"], op["params"]
        if name == "Assign":
            holder[last] = params["value"]
        elif name == "Delete":
            del holder[last]
        elif name == "Insert":
            holder[last].insert(params["index"], params["value"])
        elif name == "Extend":
            holder[last].extend(params["value"])
        else:
            raise AssertionError(f"unexpected operation {name}")
    return result


def _points(ids: list[str], rng: random.Random) -> dict:
    return {
        "type": "scattermap",
        "uid": "incidents",
        "ids": ids,
        "lon": [round(rng.uniform(119.6, 120.2), 6) for _ in ids],
        "lat": [round(rng.uniform(36.0, 36.5), 6) for _ in ids],
        "marker": {"color": [rng.randrange(7) for _ in ids], "size": 12, "opacity": 0.9},
        "customdata": [[i, rng.choice(["积水", "垃圾"])] for i in ids],
        "hovertemplate": "%{customdata[0]}",
    }


def test_a_new_report_is_sent_as_one_insert_per_array_not_the_whole_layer():
    rng = random.Random(5)
    before = {"data": [_points([f"JZ{i}" for i in range(500)], rng)], "layout": {}}
    after = copy.deepcopy(before)
    trace = after["data"][0]
    for key, value in (
        ("ids", "NEW"),
        ("lon", 120.0),
        ("lat", 36.2),
        ("customdata", ["NEW", "积水"]),
    ):
        trace[key].insert(0, value)
    trace["marker"]["color"].insert(0, 1)
    _, digests = figure_patch(before, None)
    sent, _ = figure_patch(after, digests, shown=before)
    assert apply_patch(before, sent) == after
    operations = sent.to_plotly_json()["operations"]
    assert {op["operation"] for op in operations} == {"Insert"} and len(operations) == 5
    assert len(json.dumps(sent.to_plotly_json())) < 1000


def test_point_edits_turn_the_shown_figure_into_the_new_one_whatever_changed():
    rng = random.Random(2022)
    for _ in range(300):
        ids = [f"JZ{i}" for i in rng.sample(range(400), rng.randrange(0, 60))]
        before = {"data": [_points(ids, rng), {"uid": "halo", "lon": [1.0]}], "layout": {}}
        after = copy.deepcopy(before)
        trace = after["data"][0]
        for _ in range(rng.randrange(1, 6)):
            n = len(trace["ids"])
            action = rng.choice(["add", "drop", "move", "recolour", "style"])
            if action == "add" or n == 0:
                at, new = rng.randrange(n + 1), f"JZ{rng.randrange(400, 800)}"
                if new in trace["ids"]:
                    continue
                fresh = _points([new], rng)
                for key in ("ids", "lon", "lat", "customdata"):
                    trace[key].insert(at, fresh[key][0])
                trace["marker"]["color"].insert(at, fresh["marker"]["color"][0])
            elif action == "drop":
                at = rng.randrange(n)
                for key in ("ids", "lon", "lat", "customdata"):
                    del trace[key][at]
                del trace["marker"]["color"][at]
            elif action == "move":
                trace["lon"][rng.randrange(n)] += 0.01
            elif action == "recolour":
                trace["marker"]["color"][rng.randrange(n)] = 7
            else:
                trace["marker"]["size"] = rng.choice([10, 14])
        _, digests = figure_patch(before, None)
        sent, _ = figure_patch(after, digests, shown=before)
        if sent is None:
            assert after == before
            continue
        assert apply_patch(before, sent) == after


def test_without_the_shown_figure_or_when_most_points_changed_the_trace_is_replaced():
    rng = random.Random(1)
    before = {"data": [_points([f"JZ{i}" for i in range(100)], rng)], "layout": {}}
    after = copy.deepcopy(before)
    after["data"][0]["lon"] = [x + 0.001 for x in after["data"][0]["lon"]]  # everyone moved
    _, digests = figure_patch(before, None)
    for shown in (None, before):
        sent, _ = figure_patch(after, digests, shown=shown)
        assert [op["location"] for op in sent.to_plotly_json()["operations"]] == [["data", 0]]
        assert apply_patch(before, sent) == after


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


def test_screens_asking_at_once_share_one_build_of_the_picture(monkeypatch):
    import threading
    import time

    from dashboard import map_view

    builds = []

    class Store:
        def latest_seq(self):
            return 41

    def slow_view(store, **kwargs):
        builds.append(kwargs)
        time.sleep(0.2)
        return map_view.CommandView(figure=copy.deepcopy(FIGURE), situation=None,
                                    ranking=None, change_seq=41)  # fmt: skip

    monkeypatch.setattr(map_view, "command_view", slow_view)
    monkeypatch.setattr(map_view, "_CACHE", type(map_view._CACHE)())
    views = []
    threads = [
        threading.Thread(target=lambda: views.append(
            map_view.shared_view(Store(), lang="zh", screen=None, visible=["grids"])))
        for _ in range(8)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len({id(v) for v in views}) == 1
    assert views[0].digests == tuple(trace_digests(FIGURE))
    assert map_view.shown_figure(views[0].digests) is views[0].figure
    assert map_view.shown_figure(["other"]) is None


def test_unchanged_panels_are_not_sent_again():
    from dash import html, no_update

    from dashboard.pages.command_map import unchanged_panels

    panels = [html.Div("12 件"), html.Div("3 人")]
    sent, digests = unchanged_panels(panels, None)
    assert sent == panels
    later = [html.Div("12 件"), html.Div("4 人")]
    sent, new = unchanged_panels(later, digests)
    assert sent[0] is no_update and sent[1] is later[1] and new[0] == digests[0]
