"""Live screens: only changed layers are sent, points as edits; kiosk URLs never blank a wall."""

from __future__ import annotations

import copy
import json
import random

from dash import Patch, no_update

from dashboard.command_map_layout import WALL
from dashboard.kiosk import parse_kiosk
from dashboard.live import features_patch, layer_digests, layer_update
from dashboard.pages.command_map import focus_town, map_updates
from layers.registry import LAYER_IDS

TOWNS = {"370281009": "370281009", "胶西街道": "370281009", "Jiaoxi Subdistrict": "370281009"}


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


def _feature(fid: str, rng: random.Random) -> dict:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {
            "type": "Point",
            "coordinates": [round(rng.uniform(119.6, 120.2), 6), round(rng.uniform(36.0, 36.5), 6)],
        },
        "properties": {"c": rng.choice(["#ffe066", "#3a86ff"]), "r": 6, "tooltip": f"<b>{fid}</b>"},
    }


def _points(ids: list[str], rng: random.Random) -> dict:
    return {"type": "FeatureCollection", "features": [_feature(i, rng) for i in ids]}


def _wall(rng: random.Random, incidents: list[str]) -> dict:
    layers = {name: _points([], rng) for name in WALL}
    layers["grids"] = {"cls": {"a": 0, "b": 1}, "open": {"a": 0, "b": 1}, "weight": 0.6}
    layers["towns"] = {"color": "#7fd1ff", "weight": 1.8}
    layers["incidents"] = _points(incidents, rng)
    return layers


class View:
    def __init__(self, layers):
        self.layers, self.digests = layers, layer_digests(layers)


def test_a_first_look_gets_every_layer_and_a_quiet_one_nothing(monkeypatch):
    rng = random.Random(3)
    view = View(_wall(rng, ["JZ1"]))
    first = map_updates(view, None)
    assert first[WALL.index("incidents")] == view.layers["incidents"]
    grids = first[WALL.index("grids")]
    assert isinstance(grids, Patch)  # the screen's own key (switched on or off) stays
    assert {op["location"][0] for op in grids.to_plotly_json()["operations"]} == {
        "cls",
        "open",
        "weight",
    }
    assert map_updates(view, view.digests) == [no_update] * len(WALL)


def test_a_new_incident_sends_only_that_point_never_grid_geometry():
    rng = random.Random(4)
    before = View(_wall(rng, [f"JZ{i}" for i in range(300)]))
    after = copy.deepcopy(before.layers)
    after["incidents"]["features"].append(_feature("NEW", rng))
    sent = map_updates(View(after), before.digests)
    changed = [name for name, value in zip(WALL, sent, strict=True) if value is not no_update]
    assert changed == ["incidents"]
    edit = layer_update(after["incidents"], before.layers["incidents"], "data")
    assert isinstance(edit, Patch) and len(json.dumps(edit.to_plotly_json())) < 600
    assert apply_patch(before.layers["incidents"], edit) == after["incidents"]


def test_point_edits_turn_the_shown_points_into_the_new_ones_whatever_changed():
    rng = random.Random(2022)
    for _ in range(300):
        ids = [f"JZ{i}" for i in rng.sample(range(400), rng.randrange(0, 60))]
        before = _points(ids, rng)
        after = copy.deepcopy(before)
        features = after["features"]
        for _ in range(rng.randrange(1, 6)):
            n = len(features)
            action = rng.choice(["add", "drop", "move", "recolour"])
            if action == "add" or n == 0:
                new = f"JZ{rng.randrange(400, 800)}"
                if new not in {f["id"] for f in features}:
                    features.insert(rng.randrange(n + 1), _feature(new, rng))
            elif action == "drop":
                del features[rng.randrange(n)]
            elif action == "move":
                features[rng.randrange(n)]["geometry"]["coordinates"][0] += 0.01
            else:
                features[rng.randrange(n)]["properties"]["c"] = "#f72585"
        sent = layer_update(after, before, "data")
        result = apply_patch(before, sent) if isinstance(sent, Patch) else sent
        assert result == after


def test_without_the_shown_points_or_when_most_changed_the_layer_is_sent_whole():
    rng = random.Random(1)
    before = _points([f"JZ{i}" for i in range(100)], rng)
    after = copy.deepcopy(before)
    for feature in after["features"]:
        feature["geometry"]["coordinates"][0] += 0.001  # everyone moved
    assert features_patch(before, after) is None
    assert layer_update(after, before, "data") is after
    assert layer_update(after, None, "data") is after


def test_kiosk_options_are_checked_and_wrong_ones_fall_back_with_a_note():
    good = parse_kiosk(
        {"town": "胶西街道", "layers": "grids,incidents", "refresh": "5", "tour": "30"},
        TOWNS,
        2.0,
        "zh",
    )
    assert (good.town, good.layers, good.refresh_s, good.tour_s) == (
        "370281009",
        ("grids", "incidents"),
        5.0,
        30.0,
    )
    assert good.notes == ()
    bad = parse_kiosk(
        {"town": "火星镇", "layers": "grids,rockets", "refresh": "0"}, TOWNS, 2.0, "zh"
    )
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
    rows = pd.DataFrame(
        {
            "reported_at": [now, now],
            "priority": [1, 3],
            "category": ["waterlogging", "garbage"],
            "grid_name": ["甲网格", None],
        }
    )
    items = ticker(rows, "zh").children
    assert items[0].className == "gc-tick p1" and items[0].children[1].children == "积水内涝"
    assert items[0].children[0].children == "12:00" and items[1].children[2].children == "—"


def test_screens_asking_at_once_share_one_build_of_the_picture(monkeypatch):
    import threading
    import time
    import types

    from sqlalchemy.engine import make_url

    from dashboard import map_view, view_cache

    builds = []

    class Store:
        engine = types.SimpleNamespace(url=make_url("sqlite:////nowhere/wall.db"))

        def latest_seq(self):
            return 41

    def slow_view(store, **kwargs):
        builds.append(kwargs)
        time.sleep(0.2)
        return map_view.CommandView(
            layers=copy.deepcopy(LAYERS), situation=None, ranking=None, change_seq=41
        )

    LAYERS = _wall(random.Random(7), ["JZ1"])
    monkeypatch.setattr(map_view, "command_view", slow_view)
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    views = []
    threads = [
        threading.Thread(
            target=lambda: views.append(view_cache.shared_view(Store(), lang="zh", screen=None))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len({id(v) for v in views}) == 1
    assert views[0].digests == layer_digests(LAYERS)
    digest = views[0].digests["incidents"]
    assert view_cache.shown_layer("incidents", digest) is views[0].layers["incidents"]
    assert view_cache.shown_layer("incidents", "other") is None


def test_unchanged_panels_are_not_sent_again():
    from dash import html, no_update

    from dashboard.pages.command_map import unchanged_panels

    panels = [html.Div("12 件"), html.Div("3 人")]
    sent, digests = unchanged_panels(panels, None)
    assert sent == panels
    later = [html.Div("12 件"), html.Div("4 人")]
    sent, new = unchanged_panels(later, digests)
    assert sent[0] is no_update and sent[1] is later[1] and new[0] == digests[0]


def test_a_new_report_edits_one_grid_of_the_hideout_not_the_whole_mapping():
    codes = [f"G{i:04d}" for i in range(1400)]
    before = {"cls": dict.fromkeys(codes, 0), "open": dict.fromkeys(codes, 0), "weight": 0.6}
    after = copy.deepcopy(before)
    after["cls"]["G0007"], after["open"]["G0007"] = 1, 1
    del after["open"]["G0009"]
    edit = layer_update(after, before, "hideout")
    assert isinstance(edit, Patch) and len(json.dumps(edit.to_plotly_json())) < 400
    screen = {**copy.deepcopy(before), "show": False}  # the screen's own key stays
    assert apply_patch(screen, edit) == {**after, "show": False}
    whole = layer_update(after, None, "hideout")  # what the screen shows is not known
    assert apply_patch(screen, whole) == {**after, "show": False}
