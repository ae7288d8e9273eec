"""Applying a city's boundary file (issue 9): all or nothing, by code,
incidents re-assigned to the grid that now holds them, undoable.

Files are written here in real formats and go through the whole path that
the command line and /admin take: read, map, reproject, check, apply. Every
test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from domain.errors import Conflict, InvalidInput
from services.boundary_import import apply_check, check_file, preview_check

TOWN_A, TOWN_B = "370281001", "370281002"
COMMUNITY_A, COMMUNITY_B = "370281001001", "370281002001"
B_GRIDS = [("B-1", box(120.02, 36.00, 120.03, 36.02)), ("B-2", box(120.03, 36.00, 120.04, 36.02))]


def write(tmp_path: Path, name: str, columns: dict, shapes: list, crs=4326) -> Path:
    frame = gpd.GeoDataFrame(columns, geometry=shapes, crs="EPSG:4326").to_crs(crs)
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG", engine="pyogrio")
    return path


def grids_file(
    tmp_path,
    grids: list[tuple[str, object]],
    *,
    parents=None,
    population=None,
    name="grids.gpkg",
    crs=4549,
) -> Path:
    codes = [code for code, _ in grids]
    columns = {
        "网格编码": codes,
        "网格名称": [f"{c}网格" for c in codes],
        "所属社区编码": parents
        or [COMMUNITY_A if c.startswith("A") else COMMUNITY_B for c in codes],
    }
    if population is not None:
        columns["人口"] = population
    return write(tmp_path, name, columns, [shape for _, shape in grids], crs)


def state(store) -> tuple:
    grids = store.grids()
    incidents = store.incidents()[["public_id", "grid_code", "town_code"]]
    return (
        store.table_counts(),
        store.latest_seq(),
        sorted(
            zip(
                grids["code"],
                grids["worker_id"].astype(str),
                shapely.to_wkt(grids.geometry.to_numpy(), rounding_precision=9),
                strict=True,
            )
        ),
        sorted(map(tuple, incidents.astype(str).to_numpy())),
    )


def apply_file(store, kind, path, **options):
    """Preview, then apply: the preview must say what the apply then does."""
    check = check_file(store, kind, path, **options)
    seq = store.latest_seq()
    preview = preview_check(store, check)
    assert store.latest_seq() == seq, "a preview writes nothing"
    counts = apply_check(store, check, actor="admin", source=Path(path).name)
    assert {k: v for k, v in counts.items() if k in preview} == preview
    return counts


def grid_of(store, public_id: str) -> str | None:
    found = store.incidents(public_ids=[public_id])
    return found["grid_code"].iloc[0]


# Town A re-drawn: A-1 narrower, A-2 gone, a new A-3 in its place; T5
# (120.015, 36.01) was in A-2 and is now in A-3.
REDRAWN = [
    ("A-1", box(120.00, 36.00, 120.012, 36.02)),
    ("A-3", box(120.012, 36.00, 120.02, 36.02)),
    *B_GRIDS,
]


def test_a_redrawn_town_updates_by_code_and_moves_incidents(city_store, tmp_path):
    version = city_store.geometry_version()
    counts = apply_file(
        city_store, "grids", grids_file(tmp_path, REDRAWN, population=[10, 20, 30, 40])
    )
    assert {k: counts[k] for k in ("added", "updated", "unchanged", "removed")} == {
        "added": 1,
        "updated": 3,
        "unchanged": 0,
        "removed": 1,
    }
    assert counts["incidents_moved"] == 1 and counts["incidents_without_grid"] == 0
    grids = city_store.grids().set_index("code")
    assert list(grids.index) == ["A-1", "A-3", "B-1", "B-2"]
    assert grids.loc["A-1", "worker_id"] == 1, "the grid worker stays with the grid"
    assert grids.loc["A-3", "town_code"] == TOWN_A and grids.loc["A-3", "population"] == 20
    assert grids.loc["A-1", "area_km2"] == pytest.approx(1.08 * 2.22, rel=0.05)
    assert shapely.equals_exact(grids.loc["A-1", "geometry"], REDRAWN[0][1], 1e-7)
    assert grid_of(city_store, "T5") == "A-3" and grid_of(city_store, "T1") == "A-1"
    assert city_store.geometry_version() > version, "maps and locators must rebuild"
    entry = city_store.audit(1).iloc[0]
    assert entry["action"] == "import_grids" and json.loads(entry["after"])["incidents_moved"] == 1


def test_undo_puts_back_grids_workers_and_incidents(city_store, tmp_path):
    before = state(city_store)
    counts = apply_file(city_store, "grids", grids_file(tmp_path, REDRAWN))
    assert grid_of(city_store, "T5") == "A-3"
    undone = city_store.undo_import(counts["import_id"], actor="admin")
    assert undone["added"] == 1 and undone["removed"] == 1 and undone["incidents_moved"] == 1
    after = state(city_store)
    assert after[0] == before[0] and after[2:] == before[2:], "the city is as it was"
    imports = city_store.imports()
    assert imports.iloc[0]["undone_by"] == "admin"
    with pytest.raises(Conflict, match="already undone"):
        city_store.undo_import(counts["import_id"], actor="admin")


def test_only_the_latest_import_of_a_layer_can_be_undone(city_store, tmp_path):
    first = apply_file(city_store, "grids", grids_file(tmp_path, REDRAWN))
    second = apply_file(
        city_store,
        "grids",
        grids_file(
            tmp_path,
            [REDRAWN[0], ("A-4", box(120.012, 36.00, 120.02, 36.02)), *B_GRIDS],
            name="again.gpkg",
        ),
    )
    with pytest.raises(Conflict, match=f"import {second['import_id']} of grids came later"):
        city_store.undo_import(first["import_id"], actor="admin")
    city_store.undo_import(second["import_id"], actor="admin")
    city_store.undo_import(first["import_id"], actor="admin")
    assert list(city_store.grids()["code"]) == ["A-1", "A-2", "B-1", "B-2"]
    assert grid_of(city_store, "T5") == "A-2"


def test_the_same_file_again_changes_nothing(city_store, tmp_path):
    """A round trip: the store's grids written out in another CRS and read back."""
    stored = city_store.grids()
    path = write(
        tmp_path,
        "export.gpkg",
        {
            "code": stored["code"],
            "name": stored["name"],
            "parent": stored["community_code"],
            "population": stored["population"],
        },
        list(stored.geometry),
        crs=32650,
    )
    before = state(city_store)
    counts = apply_file(city_store, "grids", path, mapping={"parent_code": "parent"})
    assert (counts["added"], counts["updated"], counts["removed"], counts["unchanged"]) == (
        0,
        0,
        0,
        4,
    )
    assert counts["incidents_moved"] == 0
    assert state(city_store)[2:] == before[2:]


@pytest.mark.parametrize("case", ["duplicate", "text_in_numbers", "unknown_parent", "line"])
def test_a_file_with_blocking_problems_writes_nothing(city_store, tmp_path, case):
    grids, population, parents = list(REDRAWN), None, None
    if case == "duplicate":
        grids[1] = ("A-1", grids[1][1])
    elif case == "text_in_numbers":
        population = ["10", "约300", "30", "40"]
    elif case == "unknown_parent":
        parents = [COMMUNITY_A, "NO-SUCH", COMMUNITY_B, COMMUNITY_B]
    else:
        grids[1] = ("A-3", shapely.LineString([(120.012, 36.0), (120.02, 36.02)]))
    path = grids_file(
        tmp_path, grids, parents=parents, population=population, name="bad.geojson", crs=4326
    )
    before = state(city_store)
    check = check_file(city_store, "grids", path)
    assert check.result.blocking
    if case == "text_in_numbers":
        assert "population must be a whole number" in check.result.blocking[0].message
        assert "A-3='约300'" in check.result.blocking[0].message
    with pytest.raises(InvalidInput, match="nothing was imported"):
        apply_check(city_store, check, actor="admin", source="bad.geojson")
    assert state(city_store) == before


def test_a_failure_half_way_leaves_the_store_as_it_was(city_store, tmp_path):
    check = check_file(city_store, "grids", grids_file(tmp_path, REDRAWN))
    before = state(city_store)

    def fail_after_some(done, total, stage):
        if done >= 1:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        apply_check(city_store, check, actor="admin", source="x", progress=fail_after_some)
    assert state(city_store) == before
    assert city_store.imports().empty


def test_a_town_that_still_has_communities_cannot_be_removed(city_store, tmp_path):
    path = write(
        tmp_path,
        "towns.geojson",
        {"code": [TOWN_A], "name": ["甲街道"]},
        [box(120.00, 36.00, 120.02, 36.02)],
    )
    before = state(city_store)
    preview = preview_check(city_store, check_file(city_store, "towns", path))
    assert preview["removed"] == 1 and "still have 1 communities" in preview["blocked"]
    with pytest.raises(
        Conflict,
        match=r"1 towns of the store are not in the file \(370281002\) "
        r"but still have 1 communities, 2 grids, 1 cadres, 1 pairings",
    ):
        apply_file(city_store, "towns", path)
    assert state(city_store) == before


def test_a_community_moved_to_another_town_takes_its_grids_and_incidents(city_store, tmp_path):
    # 乙村 becomes part of 甲街道, whose shape now covers both.
    towns = write(
        tmp_path,
        "towns.geojson",
        {"code": [TOWN_A, TOWN_B], "name": ["甲街道", "乙镇"]},
        [box(120.00, 36.00, 120.04, 36.02), box(120.04, 36.00, 120.06, 36.02)],
    )
    apply_file(city_store, "towns", towns)
    communities = write(
        tmp_path,
        "communities.geojson",
        {"code": [COMMUNITY_A, COMMUNITY_B], "name": ["甲社区", "乙村"], "town": [TOWN_A, TOWN_A]},
        [box(120.00, 36.00, 120.02, 36.02), box(120.02, 36.00, 120.04, 36.02)],
    )
    counts = apply_file(city_store, "communities", communities, mapping={"parent_code": "town"})
    assert counts["updated"] == 1 and counts["grids_moved_town"] == 2
    assert set(city_store.grids()["town_code"]) == {TOWN_A}
    incidents = city_store.incidents()
    assert set(incidents["town_code"]) == {TOWN_A}
    town_b = city_store.towns().set_index("code").loc[TOWN_B]
    assert town_b["kind"] == "town" and town_b["name_en"] == "Yi Town", "kept from the store"


def test_a_new_city_is_built_from_files_after_clearing_the_demo(city_store, tmp_path):
    cleared = city_store.clear_city(actor="admin")
    assert cleared["incidents"] == 5 and cleared["towns"] == 2
    assert city_store.is_empty()
    towns = write(
        tmp_path,
        "towns.gpkg",
        {"DM": ["370281100"], "MC": ["新城街道"], "RKS": ["5000"]},
        [box(119.9, 36.2, 120.0, 36.3)],
        crs=4490,
    )
    counts = apply_file(city_store, "towns", towns)
    assert counts["added"] == 1
    town = city_store.towns().iloc[0]
    assert (town["code"], town["name"], town["kind"], town["population"]) == (
        "370281100",
        "新城街道",
        "subdistrict",
        5000,
    )
    assert town["area_km2"] == pytest.approx(100, rel=0.1) and 119.9 < town["lon"] < 120.0
    communities = write(
        tmp_path,
        "c.geojson",
        {"code": ["370281100201"], "name": ["东关村"], "towncode": ["370281100"]},
        [box(119.9, 36.2, 120.0, 36.3)],
    )
    apply_file(city_store, "communities", communities)
    assert city_store.communities().iloc[0]["kind"] == "village"
    grids = write(
        tmp_path,
        "g.geojson",
        {"code": ["G1", "G2"], "name": ["一网格", "二网格"], "communitycode": ["370281100201"] * 2},
        [box(119.9, 36.2, 119.95, 36.3), box(119.95, 36.2, 120.0, 36.3)],
    )
    assert apply_file(city_store, "grids", grids)["added"] == 2
    assert list(city_store.grids()["town_code"]) == ["370281100"] * 2


def test_clearing_is_refused_while_a_town_leader_is_bound_to_a_town(city_store):
    city_store.create_user("leader", "correct-horse-battery", "town_leader", town=TOWN_A, actor="t")
    with pytest.raises(Conflict, match="town leaders leader are bound"):
        city_store.clear_city(actor="admin")
    assert not city_store.is_empty()


def roster(*people) -> list[dict]:
    keys = ("name", "phone", "role", "department", "town_code", "grid_code", "skills")
    return [dict(zip(keys, person, strict=True)) for person in people]


def test_a_roster_updates_people_by_phone_gives_workers_their_grids_and_undoes(city_store):
    before = state(city_store)
    cadres_before = city_store.cadres()
    counts = city_store.import_cadres(
        roster(
            (
                "张伟",
                "13800000001",
                "grid_worker",
                None,
                TOWN_A,
                "A-1",
                "mediation",
            ),  # gives up A-2
            ("赵敏", "13900000009", "grid_worker", None, TOWN_A, "A-2", ""),
            ("钱八", "13900000010", "dept_cadre", "市水务局", None, None, "flood_control"),
        ),
        ["市水务局"],
        actor="admin",
        source="roster.xlsx",
    )
    assert (
        counts["added"],
        counts["updated"],
        counts["not_in_file"],
        counts["departments_created"],
    ) == (2, 1, 2, 1)
    workers = city_store.grids().set_index("code")["worker_name"]
    assert (workers["A-1"], workers["A-2"], workers["B-1"]) == ("张伟", "赵敏", "王芳")
    cadres = city_store.cadres().set_index("phone")
    assert cadres.loc["13900000010", "department"] == "市水务局"
    assert cadres.loc["13800000001", "skills"] == "mediation"
    assert cadres.loc["13800000001", "status"] == "available", "status and position are kept"
    city_store.undo_import(counts["import_id"], actor="admin")
    assert state(city_store)[0] == before[0] and state(city_store)[2] == before[2]
    after = city_store.cadres()
    assert after.drop(columns="position_at").equals(cadres_before.drop(columns="position_at"))


def test_a_roster_import_cannot_be_undone_once_its_people_are_sent(city_store):
    from data.store_dispatch import Assignment

    counts = city_store.import_cadres(
        roster(("赵敏", "13900000009", "volunteer", None, TOWN_A, None, "")),
        [],
        actor="admin",
        source="r.csv",
    )
    new_id = int(city_store.cadres().set_index("phone").loc["13900000009", "id"])
    incident = int(city_store.incidents(public_ids=["T1"])["id"].iloc[0])
    city_store.dispatch([Assignment(incident_id=incident, cadre_id=new_id)], actor="op")
    with pytest.raises(Conflict, match="in use since"):
        city_store.undo_import(counts["import_id"], actor="admin")
    assert "13900000009" in set(city_store.cadres()["phone"])


def test_pairings_are_replaced_whole_and_undone(city_store):
    counts = city_store.import_pairings(
        [("应急管理局", TOWN_B), ("市水务局", TOWN_A)],
        ["市水务局"],
        actor="admin",
        source="pairs.csv",
    )
    assert (counts["pairs"], counts["added"], counts["removed"]) == (2, 2, 2)
    pairs = set(
        zip(city_store.pairings()["department"], city_store.pairings()["town_code"], strict=True)
    )
    assert pairs == {("应急管理局", TOWN_B), ("市水务局", TOWN_A)}
    city_store.undo_import(counts["import_id"], actor="admin")
    pairs = set(
        zip(city_store.pairings()["department"], city_store.pairings()["town_code"], strict=True)
    )
    assert pairs == {("应急管理局", TOWN_A), ("农业农村局", TOWN_B)}
    assert "市水务局" not in set(city_store.departments()["name"])


@pytest.mark.parametrize(
    ("kind", "suffix", "crs"),
    [
        ("towns", ".geojson", None),
        ("communities", ".gpkg", "EPSG:4490"),
        ("grids", ".zip", "EPSG:4549"),
        ("grids", ".gpkg", "EPSG:32650"),
        ("grids", ".geojson", None),
    ],
)
def test_export_then_import_is_a_round_trip_that_changes_nothing(
    city_store, tmp_path, kind, suffix, crs
):
    from services.exports import export_kind

    path = tmp_path / f"{kind}{suffix}"
    export_kind(city_store, kind, path, crs=crs)
    before = state(city_store)
    counts = apply_file(city_store, kind, path)
    assert (counts["added"], counts["updated"], counts["removed"]) == (0, 0, 0), counts
    assert counts["unchanged"] == {"towns": 2, "communities": 2, "grids": 4}[kind]
    assert state(city_store)[2:] == before[2:]
