"""What the demo city's reports say, and where: descriptions and addresses.

Each category has a few ways citizens put it (village versions where the town
wording makes no sense there), sensors raise alarms in their own words, and
patrols and plaza night talks say who heard it. Addresses use Jiaozhou's own
roads, compounds and landmarks (``data.facts.jiaozhou_addresses``).
"""

from __future__ import annotations

from data.facts.jiaozhou_addresses import COMPOUNDS, LANDMARKS, ROADS, STREETS

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


def report_texts(rng, places, gi, categories, channels) -> tuple[list[str], list[str]]:
    """A description and a street address for every report.

    ``gi`` is each report's grid (a row of ``places.grids``), ``categories``
    and ``channels`` its category code and channel. Town grids get streets,
    compounds and landmarks, village grids the village; farm work happens in
    the fields; patrols and plaza talks say so.
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
            "road": ROADS[ri[0] % len(ROADS)],
            "street": STREETS[ri[1] % len(STREETS)],
            "compound": COMPOUNDS[ri[2] % len(COMPOUNDS)],
            "landmark": LANDMARKS[ri[2] % len(LANDMARKS)],
            "comm": comm[i],
            "no": ri[3] % 300 + 1,
            "bldg": ri[4] % 30 + 1,
            "group": ri[4] % 12 + 1,
            "side": _SIDES[ri[5] % len(_SIDES)],
            "crop": _CROPS[ri[6] % len(_CROPS)],
        }
        code, channel = categories[i], channels[i]
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
