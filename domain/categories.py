"""Incident categories: what residents report and how fast it must be handled.

The share of reports, the season and the service levels are those of a county
"我要报事" channel: many small urban-management items, a summer peak of
waterlogging, a winter peak of heating complaints, farm work in the rural towns.
Deadlines are in working hours (first contact) and working hours (resolution),
after the per-category limits of GB/T 30428-style city-management platforms.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One kind of incident.

    Attributes
    ----------
    code : str
        Stable machine code, used in the database and the APIs.
    zh, en : str
        Display names.
    share : float
        Relative share of all reports (weights, need not sum to 1).
    first_contact_hours : float
        Deadline for the first call back to the reporter, in working hours.
    resolve_hours : float
        Deadline for resolution, in working hours (8 working hours a day).
    priority : int
        Default priority, 1 urgent, 2 high, 3 normal, 4 low.
    skills : tuple[str, ...]
        Skills a cadre should have to handle it (see ``SKILLS``).
    season : tuple[float, ...]
        Twelve monthly multipliers, January first.
    rural : float
        How much more often it is reported in rural towns than in the city
        core (1.0 the same, >1 mostly rural, <1 mostly urban).
    """

    code: str
    zh: str
    en: str
    share: float
    first_contact_hours: float
    resolve_hours: float
    priority: int
    skills: tuple[str, ...]
    season: tuple[float, ...] = (1.0,) * 12
    rural: float = 1.0


_FLAT = (1.0,) * 12
_SUMMER = (0.3, 0.3, 0.4, 0.6, 0.9, 2.2, 3.0, 2.6, 1.2, 0.5, 0.3, 0.3)
_WINTER = (2.5, 2.0, 1.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2.2, 2.8)
_GROWING = (0.3, 0.4, 0.9, 1.3, 1.5, 1.8, 1.6, 1.2, 1.4, 1.2, 0.6, 0.3)
_WARM = (0.6, 0.6, 0.8, 1.0, 1.2, 1.4, 1.5, 1.4, 1.1, 0.9, 0.7, 0.6)

CATEGORIES: tuple[Category, ...] = (
    Category("fire_lane", "消防通道占用", "Blocked fire lane", 6, 2, 16, 2,
             ("enforcement", "fire_safety"), _FLAT, 0.6),
    Category("road_damage", "道路破损", "Damaged road", 8, 4, 40, 3,
             ("construction",), _WARM, 1.1),
    Category("street_light", "路灯故障", "Street light out", 7, 4, 24, 3,
             ("electrical",), _WINTER[:1] + _FLAT[1:], 0.8),
    Category("garbage", "垃圾清运", "Uncollected rubbish", 13, 2, 8, 3,
             ("sanitation",), _WARM, 1.0),
    Category("waterlogging", "积水内涝", "Waterlogging", 5, 1, 8, 2,
             ("flood_control", "drainage"), _SUMMER, 1.3),
    Category("illegal_building", "违章搭建", "Illegal construction", 4, 8, 160, 3,
             ("enforcement", "construction"), _WARM, 1.0),
    Category("noise", "噪音扰民", "Noise", 6, 2, 16, 3,
             ("enforcement",), _WARM, 0.5),
    Category("sewage", "污水外溢", "Sewage overflow", 5, 2, 16, 2,
             ("drainage",), _WARM, 1.0),
    Category("greening", "绿化养护", "Trees and green space", 4, 8, 40, 4,
             ("sanitation",), _GROWING, 0.9),
    Category("dispute", "邻里纠纷", "Neighbour dispute", 7, 4, 40, 3,
             ("mediation",), _FLAT, 1.0),
    Category("elderly_care", "老人帮扶", "Help for the elderly", 5, 2, 24, 2,
             ("social_work",), _WINTER, 1.4),
    Category("farm_help", "农业生产", "Farm work and crops", 5, 4, 40, 3,
             ("agriculture",), _GROWING, 4.0),
    Category("water_supply", "供水问题", "Water supply", 5, 2, 16, 2,
             ("plumbing",), _SUMMER, 1.0),
    Category("heating", "供暖问题", "Heating", 5, 2, 16, 2,
             ("plumbing",), _WINTER, 0.3),
    Category("pollution", "环境污染", "Pollution", 4, 4, 40, 3,
             ("environment",), _WARM, 1.2),
    Category("traffic", "交通秩序", "Traffic and parking", 6, 4, 24, 3,
             ("traffic",), _FLAT, 0.7),
    Category("safety_hazard", "安全隐患", "Safety hazard", 4, 1, 16, 2,
             ("fire_safety", "construction"), _FLAT, 1.0),
    Category("other", "其他", "Other", 4, 8, 40, 4, (), _FLAT, 1.0),
)

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}

SKILLS: dict[str, tuple[str, str]] = {
    "enforcement": ("综合执法", "Law enforcement"),
    "fire_safety": ("消防安全", "Fire safety"),
    "construction": ("工程维修", "Construction and repair"),
    "electrical": ("电力维修", "Electrical repair"),
    "sanitation": ("环境卫生", "Sanitation"),
    "flood_control": ("防汛抢险", "Flood control"),
    "drainage": ("排水疏通", "Drainage"),
    "mediation": ("矛盾调解", "Mediation"),
    "social_work": ("社会救助", "Social work"),
    "agriculture": ("农业技术", "Agriculture"),
    "plumbing": ("水暖维修", "Plumbing and heating"),
    "environment": ("生态环境", "Environment"),
    "traffic": ("交通管理", "Traffic"),
    "medical": ("医疗救护", "Medical aid"),
}

PRIORITIES: dict[int, tuple[str, str]] = {
    1: ("紧急", "Urgent"),
    2: ("较急", "High"),
    3: ("一般", "Normal"),
    4: ("低", "Low"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "app": ("我要报事", "Mini-program"),
    "hotline": ("12345热线", "12345 hotline"),
    "patrol": ("网格巡查", "Grid patrol"),
    "plaza": ("广场夜话", "Plaza night talk"),
    "sensor": ("物联感知", "Sensor"),
    # Opened by the desk from a recurring trouble spot (issue 20), never reported.
    "proactive": ("主动发现", "Proactive case"),
}
# The channels a report can come in by (Open311, the demo's history): all but
# the desk's own proactive cases.
REPORT_CHANNELS: tuple[str, ...] = ("app", "hotline", "patrol", "plaza", "sensor")


def category_name(code: str, lang: str = "zh") -> str:
    """Display name of a category code; the code itself if unknown."""
    category = BY_CODE.get(code)
    if category is None:
        return code
    return category.zh if lang == "zh" else category.en
