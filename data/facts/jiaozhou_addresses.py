"""Names of Jiaozhou's roads, streets, compounds and landmarks, for the demo's addresses.

Only facts live here, as in ``data.facts.jiaozhou`` (the county's towns and
communities); ``data.demo_texts`` writes them into the demo city's reports.
"""

from __future__ import annotations

# Street names used in generated addresses and descriptions. Jiaozhou names many
# of its roads after other Chinese cities.
ROADS: tuple[str, ...] = (
    "兰州东路",
    "兰州西路",
    "郑州东路",
    "郑州西路",
    "扬州路",
    "扬州西路",
    "杭州路",
    "广州北路",
    "广州南路",
    "福州南路",
    "福州北路",
    "常州路",
    "徐州路",
    "温州路",
    "苏州路",
    "梧州路",
    "泉州路",
    "湖州路",
    "澳门路",
    "香港路",
    "北京东路",
    "上海路",
    "珠海路",
    "深圳路",
    "厦门路",
    "长江路",
    "洞庭湖路",
    "正阳路",
    "云溪路",
    "三里河路",
    "胶州东路",
    "胶州西路",
)
STREETS: tuple[str, ...] = (
    "浮萍街",
    "新立街",
    "阜安北街",
    "店子街",
    "方井街",
    "南关街",
    "西关街",
    "东关街",
    "北关街",
    "文化街",
    "市场街",
    "新华街",
)
# Residential compounds a report may name.
# Aligned by hand: this table reads better laid out as a table.
COMPOUNDS: tuple[str, ...] = (
    "阳光丽景小区", "水岸府邸小区", "东湖星城小区", "青建景苑小区", "金色家园小区",
    "书香名苑小区", "馨河湾小区", "正北名苑小区", "景尚名都小区", "鑫汇新都小区",
    "宝佳花园", "绿城百合公寓", "少海国际花园", "映月园小区", "云溪河畔小区",
)  # fmt: skip
# Markets, parks, schools and other landmarks.
# Aligned by hand: this table reads better laid out as a table.
LANDMARKS: tuple[str, ...] = (
    "中云农贸市场", "三里河公园", "少海湿地公园", "市民广场", "胶州火车站", "实验小学",
    "第一中学", "人民医院", "汽车站", "体育中心",
)  # fmt: skip
