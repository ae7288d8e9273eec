"""People of the demo city: names, departments and their pairings, cadres.

Names are drawn from the commonest surnames of Shandong and ordinary given-name
characters; synthetic place names (region scale) from common elements of
Shandong village and town names. Phone numbers are 11-digit mobile numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

import numpy as np
import pandas as pd

from data import demo_geometry as geo
from data.facts.departments import DEPARTMENTS
from domain.categories import SKILLS

# Surnames with rough weights (王, 张, 李, 刘 lead in Shandong).
_SURNAMES = (
    "王张李刘孙赵高杨徐于姜宋韩陈周郭马孟丁薛杜冷匡法纪崔袁程曹董田范林许吕苏朱胡任"
    "郑谢邱江单隋管栾逄矫宫"
)
_SURNAME_W = np.r_[[9, 9, 8, 7, 5, 4, 4, 3, 3, 3, 3, 2.5, 2.5, 2, 2, 2, 2, 2], [1.0] * 32]
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红海燕波鹏辉宁晓"
    "飞鑫浩文博宇欣怡佳慧婷雪梅春林峰亮成凯永庆福德新振东升学瑞"
)
_MOBILE = tuple(
    str(prefix)
    for prefix in (
        *range(130, 140),
        *range(150, 154),
        *range(155, 160),
        166,
        177,
        *range(180, 184),
        *range(185, 190),
        198,
        199,
    )
)

_STATUS = ("available", "en_route", "on_site", "off_duty")
# A normal weekday: most available, some out on a job, some off duty.
_STATUS_MIX = {
    "grid_worker": (0.70, 0.07, 0.13, 0.10),
    "town_cadre": (0.72, 0.05, 0.10, 0.13),
    "dept_cadre": (0.70, 0.05, 0.08, 0.17),
    "volunteer": (0.55, 0.05, 0.05, 0.35),
}


def apportion(total: int, weights) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    weights = np.asarray(weights, float)
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(int)
    out[np.argsort(-(exact - out), kind="stable")[: total - out.sum()]] += 1
    return out


def person_names(rng, n: int) -> list[str]:
    """``n`` Chinese personal names (surname + one or two given characters)."""
    sur = rng.choice(len(_SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())
    given = rng.integers(0, len(_GIVEN), (n, 2))
    two = rng.random(n) < 0.7
    return [
        _SURNAMES[s] + _GIVEN[g[0]] + (_GIVEN[g[1]] if t else "")
        for s, g, t in zip(sur, given, two, strict=True)
    ]


def phones(rng, n: int) -> list[str]:
    """``n`` 11-digit mainland mobile numbers."""
    prefix = rng.choice(_MOBILE, n)
    rest = rng.integers(0, 100_000_000, n)
    return [f"{p}{r:08d}" for p, r in zip(prefix, rest, strict=True)]


# Elements of place names, with pinyin for the English names.
# Aligned by hand: this table reads better laid out as a table.
_PLACE_CHARS = {
    "东": "dong", "西": "xi", "南": "nan", "北": "bei", "中": "zhong", "大": "da",
    "小": "xiao", "新": "xin", "前": "qian", "后": "hou", "河": "he", "山": "shan",
    "海": "hai", "泉": "quan", "石": "shi", "龙": "long", "凤": "feng", "金": "jin",
    "青": "qing", "白": "bai", "兴": "xing", "安": "an", "华": "hua", "宁": "ning",
    "平": "ping", "康": "kang", "福": "fu", "明": "ming", "云": "yun", "松": "song",
    "柳": "liu", "马": "ma", "桥": "qiao", "店": "dian", "集": "ji", "营": "ying",
    "屯": "tun", "埠": "bu", "口": "kou", "城": "cheng", "岭": "ling", "湾": "wan",
    "港": "gang", "园": "yuan", "林": "lin", "庄": "zhuang", "台": "tai", "沟": "gou",
}  # fmt: skip
_FIRST = "东西南北中大小新前后河山海泉石龙凤金青白兴安华宁平康福明云松柳马"
_SECOND = "河山海泉桥店集营屯埠口城岭湾港园林庄台沟"
_VILLAGE_END = ("家庄", "家屯", "家疃", "戈庄", "家村", "家沟", "家埠", "村")
_COMMUNITY_FIRST = "福兴安华康和平祥瑞泰盛丰富嘉裕锦绣阳光春景馨"
_COMMUNITY_SECOND = "苑园府城里居庭湾林阁"


def place_name(rng, used: set[str]) -> tuple[str, str]:
    """A new two-character town name and its pinyin (e.g. 河店, Hedian)."""
    while True:
        name = rng.choice(list(_FIRST)) + rng.choice(list(_SECOND))
        if name[0] != name[1] and name not in used:
            used.add(name)
            return name, (_PLACE_CHARS[name[0]] + _PLACE_CHARS[name[1]]).capitalize()


def village_names(rng, k: int, n_village: int) -> list[tuple[str, str]]:
    """``k`` distinct community-level names: communities (社区) first, then
    ``n_village`` villages (村), as (name, kind)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < k:
        if len(out) < k - n_village:
            name = rng.choice(list(_COMMUNITY_FIRST)) + rng.choice(list(_COMMUNITY_SECOND))
            name, kind = name + "社区", "community"
        else:
            end = _VILLAGE_END[rng.integers(len(_VILLAGE_END))]
            head = (
                _SURNAMES[rng.integers(len(_SURNAMES))]
                if "家" in end
                else _FIRST[rng.integers(len(_FIRST))] + _SURNAMES[rng.integers(len(_SURNAMES))]
            )
            name, kind = head + end, "village"
        if name not in seen:
            seen.add(name)
            out.append((name, kind))
    return out


def _localise(name: str, district: str) -> str:
    """A county department's name for another district (市水务局 → 城阳区水务局)."""
    if name.startswith("市"):
        return district + name[1:]
    return name.replace("胶州市", district).replace("胶州", district)


def make_departments(places) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, tuple]]:
    """Departments, their pairings with towns, and per department id its
    (skills, staff weight, district).

    The county has the 36 departments of ``data.facts.departments`` with their
    real pairings; a region has the 36 in every district, three paired with
    each town of the district in turn.
    """
    info = places.towns_info
    districts = list(dict.fromkeys(info["district"]))
    rows, pairs, skills = [], [], {}
    for district in districts:
        towns = list(info.index[info["district"] == district])
        base = len(rows)
        for fact in DEPARTMENTS:
            dep_id = len(rows) + 1
            if len(districts) == 1:
                rows.append((dep_id, fact.name, fact.name_en, district))
                if fact.paired_town in towns:
                    pairs.append((dep_id, fact.paired_town))
            else:
                en = f"{fact.name_en}, {_DISTRICT_EN.get(district, district)}"
                rows.append((dep_id, _localise(fact.name, district), en, district))
            skills[dep_id] = (fact.skills, fact.staff, district)
        if len(districts) > 1:
            for i, town in enumerate(sorted(towns)):
                pairs += [(base + (3 * i + j) % len(DEPARTMENTS) + 1, town) for j in range(3)]
    departments = pd.DataFrame(rows, columns=["id", "name", "name_en", "district"])
    pairings = pd.DataFrame(pairs, columns=["department_id", "town_code"]).drop_duplicates()
    return departments.drop(columns="district"), pairings.reset_index(drop=True), skills


# Aligned by hand: this table reads better laid out as a table.
_DISTRICT_EN = {
    "市南区": "Shinan", "市北区": "Shibei", "李沧区": "Licang", "崂山区": "Laoshan",
    "城阳区": "Chengyang", "黄岛区": "Huangdao", "即墨区": "Jimo", "胶州市": "Jiaozhou",
    "平度市": "Pingdu", "莱西市": "Laixi",
}  # fmt: skip


def _worker_groups(places, per_worker: float) -> list[np.ndarray]:
    """Each grid worker's grids: consecutive runs of a community's grids in
    breadth-first order over the grid adjacency, so a worker's grids touch."""
    grids = places.grids
    graph = places.grid_graph
    groups = []
    for _, idx in grids.groupby("community_code", sort=True).indices.items():
        members = set(idx.tolist())
        start = int(idx[np.argmin(grids["lon"].to_numpy()[idx])])
        order, seen, queue = [], {start}, deque([start])
        while queue:
            g = queue.popleft()
            order.append(g)
            for nb in graph[g]:
                if nb in members and nb not in seen:
                    seen.add(int(nb))
                    queue.append(int(nb))
        order += sorted(members - seen)  # a community in pieces: the rest at the end
        k = max(1, round(len(order) / per_worker))
        groups += np.array_split(np.array(order), k)
    return groups


def _per_worker(places, target: int) -> float:
    """Grids per worker that gives about ``target`` workers over all communities."""
    sizes = places.grids.groupby("community_code").size().to_numpy()
    lo, hi = 0.5, 50.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if np.maximum(1, np.round(sizes / mid)).sum() > target:
            lo = mid
        else:
            hi = mid
    return hi


def make_cadres(rng, places, departments, pairings, meta, spec, now: dt.datetime):
    """Cadres of every role with skills, status and a position of the last hour.

    Grid workers stand in one of their grids; town cadres at the town hall or
    out in their town; volunteers in their town; department cadres near the
    city offices or out in their paired town. ``meta`` is the third value of
    ``make_departments``.

    Returns the cadres frame (ids from 1, WGS84 positions) and, per grid, the
    id of its grid worker.
    """
    grids, info = places.grids, places.towns_info
    groups = _worker_groups(places, _per_worker(places, spec.grid_workers))
    worker_of_grid = np.zeros(len(grids), int)
    for w, g in enumerate(groups):
        worker_of_grid[g] = w + 1
    pick_grid = _grid_picker(grids)
    grid_town = grids["town_code"].to_numpy()
    rows: list[tuple] = []  # role, town, department, skills, grid (-1: near point), point

    for g in groups:
        skills = _pick(rng, ("mediation", "social_work"), extra=("fire_safety", "sanitation"))
        rows.append(("grid_worker", grid_town[g[0]], None, skills, int(rng.choice(g)), None))
    towns = places.towns
    for code in np.repeat(towns["code"], apportion(spec.town_cadres, towns["population"] ** 0.5)):
        skills = _pick(rng, ("mediation",), extra=_TOWN_SKILLS)
        hall = (info.at[code, "seat_lon"], info.at[code, "seat_lat"])
        at_hall = rng.random() < 0.4
        rows.append(
            ("town_cadre", code, None, skills, -1 if at_hall else pick_grid(rng, code), hall)
        )
    for code in np.repeat(towns["code"], apportion(spec.volunteers, towns["population"])):
        skills = _pick(rng, ("social_work",), extra=("medical",))
        rows.append(("volunteer", code, None, skills, pick_grid(rng, code), None))
    paired = pairings.groupby("department_id")["town_code"].agg(list).to_dict()
    dep_ids = departments["id"].to_numpy()
    for d, n in zip(
        dep_ids, apportion(spec.dept_cadres, [meta[d][1] for d in dep_ids]), strict=True
    ):
        own, _, district = meta[d]
        for _ in range(n):
            skills = _pick(rng, own[:1], extra=(*own[1:], "medical"), p_extra=0.6)
            out = d in paired and rng.random() < 0.45
            grid = pick_grid(rng, rng.choice(paired[d])) if out else -1
            rows.append(("dept_cadre", None, int(d), skills, grid, places.offices[district]))

    role, town, dept, skills, grid, point = zip(*rows, strict=True)
    lon, lat = _positions(rng, grids, np.array(grid), point)
    n = len(rows)
    seconds = np.round(rng.uniform(0, 3600, n))
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": person_names(rng, n),
            "phone": phones(rng, n),
            "role": role,
            "department_id": pd.array(dept, dtype="Int64"),
            "town_code": pd.Series(town, dtype=object),
            "skills": skills,
            "status": [_STATUS[rng.choice(4, p=_STATUS_MIX[r])] for r in role],
            "lon": lon,
            "lat": lat,
            "position_at": pd.Timestamp(now) - pd.to_timedelta(seconds, unit="s"),
        }
    )
    frame["position_at"] = frame["position_at"].astype("datetime64[ns, UTC]")
    return frame, worker_of_grid


_TOWN_SKILLS = ("social_work", "flood_control", "sanitation", "agriculture", "enforcement")


def _positions(rng, grids, grid: np.ndarray, point) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 positions: inside ``grid`` where it is ≥ 0, else within a few
    streets (about 400 m) of ``point``."""
    lon, lat = np.empty(len(grid)), np.empty(len(grid))
    inside = grid >= 0
    lon[inside], lat[inside] = geo.sample_points_in(grids.geometry.to_numpy(), grid[inside], rng)
    base = np.array([p for p, g in zip(point, grid, strict=True) if g < 0]).reshape(-1, 2)
    near = np.round(base + rng.normal(0, 0.004, base.shape), geo.DECIMALS)
    lon[~inside], lat[~inside] = near[:, 0], near[:, 1]
    return lon, lat


def _grid_picker(grids):
    """A function drawing a grid index of a town, weighted by population."""
    by_town = grids.groupby("town_code", sort=True).indices
    pop = grids["population"].to_numpy().astype(float)

    def pick(rng, town_code) -> int:
        idx = by_town[town_code]
        return int(rng.choice(idx, p=pop[idx] / pop[idx].sum()))

    return pick


def _pick(rng, always, extra=(), p_extra=0.35) -> str:
    """Comma-separated skills: ``always`` plus each of ``extra`` by chance, in
    the order of ``domain.categories.SKILLS``."""
    chosen = set(always) | {s for s in extra if rng.random() < p_extra}
    return ",".join(s for s in SKILLS if s in chosen)
