"""A city small enough to read in one screen, built inline for tests."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in Beijing


def tiny_city(now: dt.datetime = NOW) -> SimpleNamespace:
    """Two towns side by side, two grids each, three cadres, five incidents.

    Town A spans lon 120.00–120.02, town B 120.02–120.04, both lat 36.00–36.02.
    """
    towns = gpd.GeoDataFrame(
        {
            "code": ["370281001", "370281002"],
            "name": ["甲街道", "乙镇"],
            "name_en": ["Jia Subdistrict", "Yi Town"],
            "kind": ["subdistrict", "town"],
            "population": [6000, 4000],
            "households": [2300, 1500],
            "area_km2": [4.0, 4.0],
            "lon": [120.01, 120.03],
            "lat": [36.01, 36.01],
        },
        geometry=[box(120.00, 36.00, 120.02, 36.02), box(120.02, 36.00, 120.04, 36.02)],
        crs="EPSG:4326",
    )
    communities = gpd.GeoDataFrame(
        {
            "code": ["370281001001", "370281002001"],
            "town_code": ["370281001", "370281002"],
            "name": ["甲社区", "乙村"],
            "kind": ["community", "village"],
            "population": [6000, 4000],
            "households": [2300, 1500],
            "lon": [120.01, 120.03],
            "lat": [36.01, 36.01],
        },
        geometry=list(towns.geometry),
        crs="EPSG:4326",
    )
    grid_boxes = [
        box(120.00, 36.00, 120.01, 36.02),
        box(120.01, 36.00, 120.02, 36.02),
        box(120.02, 36.00, 120.03, 36.02),
        box(120.03, 36.00, 120.04, 36.02),
    ]
    grids = gpd.GeoDataFrame(
        {
            "code": ["A-1", "A-2", "B-1", "B-2"],
            "town_code": ["370281001", "370281001", "370281002", "370281002"],
            "community_code": ["370281001001"] * 2 + ["370281002001"] * 2,
            "name": ["甲社区第1网格", "甲社区第2网格", "乙村第1网格", "乙村第2网格"],
            "population": [3000, 3000, 2000, 2000],
            "households": [1150, 1150, 750, 750],
            "area_km2": [2.0] * 4,
            "worker_id": pd.array([1, 1, 2, 2], dtype="Int64"),
            "secretary": ["王书记", "王书记", "李书记", "李书记"],
            "lon": [120.005, 120.015, 120.025, 120.035],
            "lat": [36.01] * 4,
        },
        geometry=grid_boxes,
        crs="EPSG:4326",
    )
    departments = pd.DataFrame(
        {
            "id": [1, 2],
            "name": ["应急管理局", "农业农村局"],
            "name_en": ["Emergency Management Bureau", "Agriculture Bureau"],
        }
    )
    pairings = pd.DataFrame({"department_id": [1, 2], "town_code": ["370281001", "370281002"]})
    cadres = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["张伟", "王芳", "刘洋"],
            "phone": ["13800000001", "13800000002", "13800000003"],
            "role": ["grid_worker", "grid_worker", "dept_cadre"],
            "department_id": pd.array([None, None, 1], dtype="Int64"),
            "town_code": ["370281001", "370281002", None],
            "skills": ["", "", "flood_control"],
            "status": ["available", "on_site", "en_route"],
            "lon": [120.006, 120.031, None],
            "lat": [36.011, 36.012, None],
            "position_at": [now - dt.timedelta(minutes=5), now - dt.timedelta(minutes=20), None],
        }
    )
    hour = dt.timedelta(hours=1)
    incidents = pd.DataFrame(
        {
            "public_id": [f"T{i}" for i in range(1, 6)],
            "channel": ["app", "hotline", "patrol", "app", "plaza"],
            "category": ["fire_lane", "waterlogging", "garbage", "street_light", "dispute"],
            "description": ["消防通道被占用", "路口积水", "垃圾未清运", "路灯不亮", "邻里纠纷"],
            "lon": [120.005, 120.006, 120.025, 120.035, 120.015],
            "lat": [36.005, 36.015, 36.01, 36.01, 36.01],
            "grid_code": ["A-1", "A-1", "B-1", "B-2", "A-2"],
            "town_code": ["370281001", "370281001", "370281002", "370281002", "370281001"],
            "priority": [2, 1, 3, 3, 3],
            "status": ["registered", "reported", "dispatched", "closed", "closed"],
            "reported_at": [
                now - 2 * hour,
                now - hour,
                now - 30 * hour,
                now - 50 * hour,
                now - 80 * hour,
            ],
            "closed_at": [None, None, None, now - 20 * hour, now - 60 * hour],
            "due_resolve_at": [now + 14 * hour, now + 7 * hour, now - 10 * hour, None, None],
            "satisfaction": pd.array([None, None, None, 5, 4], dtype="Int64"),
            "updated_at": [
                now - 2 * hour,
                now - hour,
                now - 29 * hour,
                now - 20 * hour,
                now - 60 * hour,
            ],
        }
    )
    return SimpleNamespace(
        towns=towns,
        communities=communities,
        grids=grids,
        departments=departments,
        pairings=pairings,
        cadres=cadres,
        incidents=incidents,
    )
