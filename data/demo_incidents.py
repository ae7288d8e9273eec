"""Citizen reports of the demo city: the "我要报事" channel since April 2022.

Volume grows as the channel becomes known and follows the week, the seasons
(waterlogging in summer, heating in winter, farm work in the growing season)
and the hour (mid-morning and afternoon peaks, plaza night talks in the
evening). Each report lies inside a grid chosen by population, reads like a
real one, and has a consistent lifecycle: registered within minutes, a call
back the same day, dispatched, resolved mostly within the category's limit,
closed after checking. Recent ones are still open.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data import demo_geometry as geo
from data.demo_people import person_names, phones
from data.facts import jiaozhou as facts
from domain.categories import CATEGORIES, CHANNELS

START = dt.datetime(2022, 4, 1)  # the channel opened (local date)
_LOCAL = 8 * 3600  # Asia/Shanghai is UTC+8 all year
_DAY = 86400.0
_CODES = [c.code for c in CATEGORIES]
_CHANNELS = list(CHANNELS)  # app, hotline, patrol, plaza, sensor

# Channel mix per category: most through the mini-program, patrols find the
# street problems, plaza night talks hear disputes and the elderly, sensors
# only watch water, lights, sewers, air, smoke and pipes.
_PATROL = {"fire_lane", "garbage", "illegal_building", "road_damage", "traffic", "greening"}
_PLAZA = {"dispute", "elderly_care", "farm_help", "other", "noise"}
# Aligned by hand: this table reads better laid out as a table.
_SENSOR = {
    "waterlogging": 0.08, "street_light": 0.06, "sewage": 0.04, "pollution": 0.05,
    "safety_hazard": 0.03, "water_supply": 0.03,
}  # fmt: skip


def _channel_mix() -> np.ndarray:
    mix = np.array([[0.58, 0.24, 0.14, 0.03, 0.0]] * len(_CODES))
    for i, code in enumerate(_CODES):
        if code in _PATROL:
            mix[i] = (0.48, 0.2, 0.29, 0.03, 0.0)
        if code in _PLAZA:
            mix[i] = (0.52, 0.26, 0.12, 0.10, 0.0)
        mix[i, 4] = _SENSOR.get(code, 0.0)
    return mix / mix.sum(axis=1, keepdims=True)


# Local hour of day per channel (relative weights).
_HOURS = np.array(
    [
        [
            0.3,
            0.2,
            0.1,
            0.1,
            0.1,
            0.3,
            0.8,
            1.8,
            3.5,
            5,
            5.5,
            4.8,
            3,
            3,
            4.2,
            4.8,
            4.5,
            3.8,
            3,
            3.2,
            3.4,
            2.8,
            1.8,
            0.8,
        ],
        [
            0.6,
            0.4,
            0.3,
            0.3,
            0.3,
            0.5,
            1,
            2,
            4,
            5,
            5,
            4.5,
            3,
            3,
            4,
            4.5,
            4,
            3.5,
            3,
            2.8,
            2.5,
            2,
            1.5,
            1,
        ],
        [0, 0, 0, 0, 0, 0, 0, 0.5, 3, 5, 5, 4, 1.5, 2, 4, 4.5, 4, 2, 0.3, 0, 0, 0, 0, 0],
        [0] * 19 + [4, 5, 2, 0, 0],
        [1] * 24,
    ]
)
_WEEKDAY = np.array([1.08, 1.05, 1.03, 1.02, 1.0, 0.85, 0.8])  # Monday first

# Aligned by hand: this table reads better laid out as a table.
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "fire_lane": ("{loc}消防通道被私家车占用", "{loc}消防通道堆放杂物，消防车无法通行",
                  "{loc}有车辆长期占用消防通道", "{loc}楼道内电动车充电，存在起火隐患"),
    "road_damage": ("{loc}路面塌陷，出现大坑", "{loc}人行道地砖破损松动",
                    "{loc}井盖破损，行人容易踩空", "{loc}路面坑洼不平，一下雨就积水"),
    "street_light": ("{loc}路灯不亮已有一周", "{loc}一排路灯夜间全部熄灭",
                     "{loc}路灯白天常亮浪费电", "{loc}路灯杆倾斜，灯罩脱落"),
    "garbage": ("{loc}垃圾桶满溢无人清运", "{loc}建筑垃圾乱堆乱放",
                "{loc}生活垃圾两天未清运，异味很大", "{loc}有人乱倒垃圾"),
    "waterlogging": ("{loc}积水严重，车辆无法通行", "{loc}下雨后积水没过脚踝",
                     "{loc}地下车库进水", "{loc}低洼处积水，老人出行不便"),
    "illegal_building": ("{loc}有住户私自搭建彩钢棚", "{loc}楼顶违规加建房屋",
                         "{loc}一楼住户私自扩建院墙", "{loc}占用公共绿地搭建棚子"),
    "noise": ("{loc}夜间施工噪音扰民", "{loc}广场舞音响声音过大",
              "{loc}烧烤店深夜噪音大", "{loc}楼上住户装修噪音扰民"),
    "sewage": ("{loc}污水井冒水，污水外溢", "{loc}下水道堵塞，污水漫到路面",
               "{loc}化粪池满溢，气味难闻"),
    "greening": ("{loc}绿化带树木枯死", "{loc}树枝遮挡窗户，需要修剪",
                 "{loc}绿地杂草丛生无人管理", "{loc}行道树倾斜有倒伏危险"),
    "dispute": ("{loc}邻居之间因漏水发生纠纷", "{loc}两户因停车位发生争执",
                "{loc}楼上楼下因噪音产生矛盾", "{loc}两户因宅基地边界发生纠纷"),
    "elderly_care": ("{loc}独居老人行动不便，需要上门帮扶", "{loc}有老人走失，家属请求帮助寻找",
                     "{loc}高龄老人家中无人照顾，请求协助", "{loc}老人家中取暖设施损坏"),
    "farm_help": ("{loc}{crop}地块受灾，需要帮助抢收", "{loc}{crop}滞销，请求帮助联系销路",
                  "{loc}农田灌溉设施损坏", "{loc}{crop}出现病虫害，请求农技指导",
                  "{loc}大棚被大风刮坏"),
    "water_supply": ("{loc}停水一天，没有看到通知", "{loc}自来水水压低，高层无水",
                     "{loc}供水管道破裂，水流到路上", "{loc}自来水发黄有异味"),
    "heating": ("{loc}暖气不热，室温不到十五度", "{loc}暖气管道漏水",
                "{loc}供暖开始后仍未通暖", "{loc}暖气片阀门损坏"),
    "pollution": ("{loc}有工厂夜间排放刺鼻气体", "{loc}露天焚烧垃圾，浓烟很大",
                  "{loc}河道有油污和漂浮物", "{loc}工地扬尘严重，未覆盖防尘网"),
    "traffic": ("{loc}车辆乱停乱放，堵塞道路", "{loc}红绿灯故障",
                "{loc}上下学时段交通拥堵，需要疏导", "{loc}占道经营影响通行"),
    "safety_hazard": ("{loc}广告牌松动，随时可能掉落", "{loc}电线私拉乱接，存在火灾隐患",
                      "{loc}燃气管道有异味，疑似泄漏", "{loc}空置房屋墙体开裂"),
    "other": ("{loc}流浪狗伤人，请求处理", "{loc}公共健身器材损坏",
              "{loc}小区物业不作为，多次反映无果", "{loc}公交站牌损坏"),
}  # fmt: skip
_SENSOR_TEXT = {
    "waterlogging": "积水监测点报警：{loc}水位超过警戒值",
    "street_light": "单灯控制器报警：{loc}路灯离线",
    "sewage": "管网液位计报警：{loc}污水井液位超限",
    "pollution": "空气质量监测点报警：{loc}颗粒物浓度超标",
    "safety_hazard": "烟感报警：{loc}烟雾报警器触发",
    "water_supply": "供水压力监测报警：{loc}管网压力异常",
}
_PREFIX = {"patrol": "网格员巡查发现：", "plaza": "广场夜话群众反映："}
# Village versions of the categories whose town wording makes no sense there.
# Aligned by hand: this table reads better laid out as a table.
_RURAL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "fire_lane": ("{loc}村内道路被柴草堆占用，消防车进不去", "{loc}柴草垛紧挨民房，存在起火隐患"),
    "road_damage": ("{loc}村内道路坑洼不平", "{loc}生产路被雨水冲毁", "{loc}漫水桥桥面破损"),
    "garbage": ("{loc}垃圾池满了多日无人清运", "{loc}河沟里有人倾倒垃圾"),
    "waterlogging": ("{loc}道路积水，农田被淹", "{loc}排水沟堵塞，雨后积水严重",
                     "{loc}低洼处积水进院，老人家中需转移"),
    "illegal_building": ("{loc}有村民占用耕地建房", "{loc}有人在河道边私搭棚子"),
    "noise": ("{loc}夜间有加工厂机器噪音扰民", "{loc}养殖场犬吠噪音扰民"),
    "sewage": ("{loc}生活污水直排进河沟", "{loc}化粪池满溢，气味难闻"),
    "dispute": ("{loc}两户因宅基地边界发生纠纷", "{loc}村民因土地流转费用发生争执",
                "{loc}邻居之间因排水问题产生矛盾"),
    "heating": ("{loc}清洁取暖设备故障，家中不热", "{loc}煤改气后壁挂炉点不着火"),
    "traffic": ("{loc}农用车占道停放", "{loc}村口路段车速过快，缺少减速带"),
    "other": ("{loc}流浪狗伤人，请求处理", "{loc}健身器材损坏", "{loc}公交站牌损坏"),
}  # fmt: skip
_URBAN_LOC = (
    "{road}与{street}交叉口",
    "{road}{no}号门前",
    "{compound}{bldg}号楼",
    "{compound}",
    "{landmark}附近",
    "{comm}{road}段",
    "{road}{side}",
)
_RURAL_LOC = (
    "{comm}东头",
    "{comm}{side}",
    "{comm}村委会附近",
    "{comm}第{group}村民小组",
    "{comm}南边",
)
_FIELD_LOC = ("{comm}南边农田", "{comm}东边的大棚", "{comm}第{group}村民小组的地里")
_SIDES = ("东侧", "西侧", "南侧", "北侧")
# Categories that happen in or at a building.
_AT_HOME = {
    "fire_lane",
    "noise",
    "water_supply",
    "heating",
    "dispute",
    "elderly_care",
    "sewage",
    "illegal_building",
    "waterlogging",
}
_CROPS = ("土豆", "大白菜", "小麦", "玉米", "花生", "大蒜", "芋头")


def make_incidents(rng, places, cadres, worker_of_grid, spec, now: dt.datetime) -> pd.DataFrame:
    """``spec.incidents`` reports from 2022-04-01 (local) to ``now``.

    Returns a frame with every column of ``data.schema.incidents`` but ``id``,
    sorted by ``reported_at``; times are ``datetime64[ns, UTC]``.
    """
    n = spec.incidents
    grids = places.grids
    now_s = now.timestamp()
    start = START.replace(tzinfo=dt.UTC).timestamp() - _LOCAL
    if now_s - start < 60 * _DAY:  # a "now" before the channel: one year of history
        start = (np.floor((now_s + _LOCAL) / _DAY) - 365) * _DAY - _LOCAL
    rep, day_month = _report_times(rng, n, start, now_s)
    gi, cat = _where_and_what(rng, places, day_month)
    mix = _channel_mix()[cat]
    chan = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    chan = np.minimum(chan, len(_CHANNELS) - 1)
    rep = _time_of_day(rng, rep, chan, now_s)
    order = np.argsort(rep, kind="stable")
    rep, gi, cat, chan = rep[order], gi[order], cat[order], chan[order]
    lon, lat = geo.sample_points_in(grids.geometry.to_numpy(), gi, rng)
    text, address = _texts(rng, places, gi, cat, chan)
    # About 200 open at county scale, the load of a normal day (a crisis
    # brings it towards 1,000).
    life = _lifecycle(rng, rep, cat, now_s, open_target=n / 150)
    priority = _priorities(rng, cat, text)
    headcount = np.ones(n, int)
    farm = (np.array(_CODES)[cat] == "farm_help") & (rng.random(n) < 0.4)
    headcount[farm] = rng.integers(2, 9, farm.sum())
    names, tels = _reporters(rng, cadres, worker_of_grid, gi, chan)
    frame = pd.DataFrame(
        {
            # Numbered on loading, from the row id, as live intake numbers them.
            "public_id": pd.Series([None] * n, dtype=object),
            "channel": np.array(_CHANNELS)[chan],
            "category": np.array(_CODES)[cat],
            "description": text,
            "address": address,
            "lon": lon,
            "lat": lat,
            "orig_lon": lon,
            "orig_lat": lat,
            "orig_crs": "wgs84",
            "grid_code": grids["code"].to_numpy()[gi],
            "town_code": grids["town_code"].to_numpy()[gi],
            "priority": priority,
            "headcount": headcount,
            "event_id": pd.array([None] * n, dtype="Int64"),
            "status": life.pop("status"),
            "reporter_name": pd.Series(names, dtype=object),
            "reporter_phone": pd.Series(tels, dtype=object),
        }
    )
    satisfaction = life.pop("satisfaction")
    for name in (
        "reported_at",
        "registered_at",
        "first_contact_at",
        "dispatched_at",
        "resolved_at",
        "closed_at",
        "due_contact_at",
        "due_resolve_at",
    ):
        frame[name] = _utc(life[name])
    frame["satisfaction"] = pd.array(satisfaction, dtype="Int64")
    frame["updated_at"] = _utc(life["updated_at"])
    return frame


def _utc(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds (NaN for missing) as a datetime64[ns, UTC] column."""
    out = np.full(len(seconds), np.datetime64("NaT"), "datetime64[ns]")
    ok = ~np.isnan(seconds)
    out[ok] = (np.round(seconds[ok]).astype(np.int64) * 1_000_000_000).astype("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(out).tz_localize("UTC"))


def _report_times(rng, n: int, start: float, now_s: float):
    """Day of every report (as epoch seconds of its local midnight) and the month.

    The daily volume grows over the first year as the channel becomes known,
    dips at weekends and follows the seasons of the category mix.
    """
    n_days = int(np.ceil((now_s - start) / _DAY))
    days = np.datetime64(dt.datetime.fromtimestamp(start + _LOCAL + 1, dt.UTC).date()) + np.arange(
        n_days
    )
    month = days.astype("datetime64[M]").astype(int) % 12
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    d = np.arange(n_days)
    growth = (0.15 + 0.85 / (1 + np.exp(-(d - 150) / 50))) * (1 + 0.08 * d / 365)
    share = np.array([c.share for c in CATEGORIES])
    season = np.array([c.season for c in CATEGORIES])
    weight = growth * _WEEKDAY[weekday] * (share @ season)[month]
    weight[-1] *= min(1.0, (now_s - (start + (n_days - 1) * _DAY)) / _DAY)
    pick = rng.choice(n_days, n, p=weight / weight.sum())
    return start + pick * _DAY, month[pick]


def _time_of_day(rng, day_start, chan, now_s):
    """Add a local time of day by channel; nothing later than ``now``."""
    cum = np.cumsum(_HOURS, axis=1)
    cum /= cum[:, -1:]
    hour = (rng.random(len(chan))[:, None] > cum[chan]).sum(axis=1)
    t = day_start + hour * 3600.0 + rng.uniform(0, 3600, len(chan))
    # Today's reports cannot be later than now: they move to yesterday, same hour.
    while (late := t > now_s - 60).any():
        t[late] -= _DAY
    return t


def _where_and_what(rng, places, month):
    """Grid (by population) and category (by share, season and rurality)."""
    grids = places.grids
    pop = grids["population"].to_numpy().astype(float)
    gi = rng.choice(len(grids), len(month), p=pop / pop.sum())
    rural = places.towns_info["rural"].reindex(grids["town_code"]).to_numpy()
    village = places.community_kind.to_numpy() == "village"
    rural = np.where(village, np.maximum(rural, 0.7), 0.6 * rural)[gi]
    share = np.array([c.share for c in CATEGORIES])
    season = np.array([c.season for c in CATEGORIES])  # (categories, 12)
    bias = np.array([c.rural for c in CATEGORIES])
    w = share * season[:, month].T * bias ** rural[:, None]
    cum = np.cumsum(w, axis=1)
    cat = (rng.random(len(month))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    return gi, cat


def _texts(rng, places, gi, cat, chan):
    """A description and a street address for every report.

    Town grids get streets, compounds and landmarks, village grids the village;
    farm work happens in the fields; patrols and plaza talks say so.
    """
    grids = places.grids
    towns = places.towns.set_index("code")["name"]
    comm_names = places.communities.set_index("code")["name"]
    comm = comm_names.reindex(grids["community_code"]).to_numpy()[gi]
    town = towns.reindex(grids["town_code"]).to_numpy()[gi]
    district = places.towns_info["district"].reindex(grids["town_code"]).to_numpy()[gi]
    village = places.community_kind.to_numpy()[gi] == "village"
    n = len(gi)
    r = rng.integers(0, 1 << 30, (n, 9))
    texts, addresses = [], []
    for i in range(n):
        ri = r[i]
        slots = {
            "road": facts.ROADS[ri[0] % len(facts.ROADS)],
            "street": facts.STREETS[ri[1] % len(facts.STREETS)],
            "compound": facts.COMPOUNDS[ri[2] % len(facts.COMPOUNDS)],
            "landmark": facts.LANDMARKS[ri[2] % len(facts.LANDMARKS)],
            "comm": comm[i],
            "no": ri[3] % 300 + 1,
            "bldg": ri[4] % 30 + 1,
            "group": ri[4] % 12 + 1,
            "side": _SIDES[ri[5] % len(_SIDES)],
            "crop": _CROPS[ri[6] % len(_CROPS)],
        }
        code, channel = _CODES[cat[i]], _CHANNELS[chan[i]]
        rural = village[i] or code == "farm_help"
        locs = _FIELD_LOC if code == "farm_help" else _RURAL_LOC if rural else _URBAN_LOC
        pattern = locs[ri[7] % len(locs)]
        if "{bldg}号楼" in pattern and code not in _AT_HOME:
            pattern = "{compound}"  # a street light is in a compound, not in a building
        loc = pattern.format(**slots)
        if channel == "sensor":
            text = _SENSOR_TEXT[code].format(loc=loc)
        else:
            options = _RURAL_TEMPLATES.get(code, ()) if rural else ()
            options = options or _TEMPLATES[code]
            text = options[ri[8] % len(options)].format(loc=loc, crop=slots["crop"])
            text = _PREFIX.get(channel, "") + text
        texts.append(text)
        if rural:
            where = comm[i]
        else:
            where = f"{slots['road']}{slots['no']}号"
            if "{compound}" in pattern:
                where += slots["compound"]
        addresses.append(f"{district[i]}{town[i]}{where}")
    return texts, addresses


def _priorities(rng, cat, texts) -> np.ndarray:
    """Category default, raised for fire, standing water and the elderly."""
    base = np.array([c.priority for c in CATEGORIES])[cat]
    fire = np.array(["火" in t for t in texts])
    alarm = fire | np.array([("积水" in t) or ("老人" in t) for t in texts])
    u = rng.random(len(cat))
    out = np.where(alarm & (u < 0.5), np.minimum(base, 2), base)
    out = np.where(fire & (u < 0.2), 1, out)
    return np.where(rng.random(len(cat)) < 0.01, 1, out)  # the odd real emergency


def _reporters(rng, cadres, worker_of_grid, gi, chan):
    """Citizens for the app, hotline and plaza; the grid worker for patrols;
    nobody for sensors."""
    n = len(gi)
    names = np.array(person_names(rng, n), dtype=object)
    tels = np.array(phones(rng, n), dtype=object)
    patrol = chan == _CHANNELS.index("patrol")
    worker = cadres.set_index("id").reindex(worker_of_grid[gi[patrol]])
    names[patrol] = worker["name"].to_numpy()
    tels[patrol] = worker["phone"].to_numpy()
    sensor = chan == _CHANNELS.index("sensor")
    names[sensor] = None
    tels[sensor] = None
    return names, tels


def _lifecycle(rng, rep, cat, now_s, open_target: float) -> dict[str, np.ndarray]:
    """Status, every timestamp (epoch seconds, NaN for none) and satisfaction.

    Every report first gets its whole natural course; then ``now`` cuts it:
    what lies in the future did not happen yet. On top of that some recent
    reports are stuck (hard cases, waiting for parts or owners) and a few are
    rejected (not a matter for the grid).
    """
    n = len(rep)
    t = _course(rng, rep, cat)
    age = (now_s - rep) / _DAY
    # What is naturally still in its course by now stays open, within its
    # deadline. On top, harder cases (waiting for owners, parts, another
    # department) run longer, mostly still inside their category's limit and
    # about one in six past it, scaled so that about ``open_target`` are open
    # in all: a normal day's load.
    natural = t["resolved"] > now_s
    limit_days = np.array([c.resolve_hours for c in CATEGORIES])[cat] / 24
    tail = np.exp(-((age / (1.4 * limit_days)) ** 2))
    scale = np.clip((open_target - natural.sum()) / max(tail.sum(), 1e-9), 0, 1)
    stuck = natural | (rng.random(n) < scale * tail)
    rejected = (rng.random(n) < 0.015) & (age > 0.2) & ~stuck
    done = ~stuck & ~rejected & (t["resolved"] <= now_s)
    open_ = ~done & ~rejected
    # Open work stops at the last stage reached by now: 0 reported, 1 registered,
    # 2 dispatched, 3 in progress (half an hour after dispatch).
    reached = (t["registered"] <= now_s).astype(int)
    reached += (t["dispatched"] <= now_s).astype(int) + (t["dispatched"] + 1800 <= now_s)
    wanted = rng.choice(4, n, p=(0.08, 0.2, 0.2, 0.52))
    stage = np.where(stuck, np.minimum(reached, wanted), reached)
    stage[~open_] = 3

    status = np.array(["reported", "registered", "dispatched", "in_progress"], dtype=object)[stage]
    escalated = open_ & (stage >= 1) & (rng.random(n) < 0.12)
    status[escalated] = "escalated"
    checking = done & (t["closed"] > now_s)  # resolved, being checked
    status[checking] = np.where(rng.random(n) < 0.5, "resolved", "verified")[checking]
    status[done & ~checking] = "closed"
    status[rejected] = "rejected"

    nan = np.full(n, np.nan)
    out = {
        "reported_at": rep,
        "registered_at": np.where(~rejected & (stage >= 1), t["registered"], nan),
        "first_contact_at": np.where((stage >= 1) & (t["contact"] <= now_s), t["contact"], nan),
        "dispatched_at": np.where(~rejected & (stage >= 2), t["dispatched"], nan),
        "resolved_at": np.where(done, t["resolved"], nan),
        "closed_at": np.where(done & ~checking, t["closed"], nan),
    }
    # A rejected report gets a call that explains why, and nothing else.
    call = np.minimum(rep + 600 + rng.exponential(2400, n), now_s)
    out["first_contact_at"] = np.where(rejected, call, out["first_contact_at"])
    updated = np.nanmax(np.column_stack(list(out.values())), axis=1)
    verified = status == "verified"
    updated[verified] = (t["resolved"] + 0.5 * (np.minimum(t["closed"], now_s) - t["resolved"]))[
        verified
    ]
    updated[escalated] += rng.uniform(0, 0.5, escalated.sum()) * (now_s - updated[escalated])
    fc_h = np.array([c.first_contact_hours for c in CATEGORIES])[cat] * 3600
    res_h = np.array([c.resolve_hours for c in CATEGORIES])[cat] * 3600
    late = t["resolved"] > rep + res_h
    return {
        **out,
        "due_contact_at": rep + fc_h,
        "due_resolve_at": rep + res_h,
        "updated_at": updated,
        "status": status,
        "satisfaction": _satisfaction(rng, status == "closed", late),
    }


def _course(rng, rep, cat) -> dict[str, np.ndarray]:
    """The natural course of every report (epoch seconds).

    Registered within minutes; called back well within the category's
    first-contact limit (5 % late); dispatched after the call; resolved within
    the category's resolution limit (7 % late); closed after a check.
    """
    n = len(rep)
    fc_h = np.array([c.first_contact_hours for c in CATEGORIES])[cat] * 3600
    res_h = np.array([c.resolve_hours for c in CATEGORIES])[cat] * 3600
    reg = rep + 60 + np.minimum(rng.exponential(600, n), 7200)
    contact = reg + np.maximum(120, fc_h * rng.beta(1.6, 4, n))
    late = rng.random(n) < 0.05
    contact[late] = rep[late] + fc_h[late] * rng.uniform(1.0, 2.0, late.sum())
    contact = np.maximum(contact, reg + 120)
    dis = contact + 180 + rng.exponential(1500, n)
    res = dis + np.maximum(1800, res_h * rng.beta(2, 3, n))
    late = rng.random(n) < 0.07
    res[late] = rep[late] + res_h[late] * rng.uniform(1, 2.2, late.sum())
    res = np.maximum(res, dis + 1800)
    closed = res + 3600 + rng.exponential(36000, n)
    return {
        "registered": reg,
        "contact": contact,
        "dispatched": dis,
        "resolved": res,
        "closed": closed,
    }


def _satisfaction(rng, closed: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Rating 1 (worst) to 5 (best), None if not rated: most closed reports are
    rated, late ones less kindly; 4 and 5 count as satisfied."""
    u = rng.random(len(closed))
    on_time = np.select([u < 0.78, u < 0.94, u < 0.98, u < 0.995], [5, 4, 3, 2], 1)
    delayed = np.select([u < 0.45, u < 0.70, u < 0.85, u < 0.95], [5, 4, 3, 2], 1)
    rated = closed & (rng.random(len(closed)) < 0.88)
    return np.where(rated, np.where(late, delayed, on_time), None)
