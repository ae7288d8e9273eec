"""Our categories as Open311 GeoReport v2 services, with their extra questions.

A service with attributes has ``metadata: true`` and a service definition; a
client asks its questions and posts the answers as ``attribute[code]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.categories import BY_CODE, CATEGORIES, Category
from domain.errors import InvalidInput

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


@dataclass(frozen=True)
class Attribute:
    """One question of a service definition (GeoReport v2 attribute)."""

    code: str
    description: str  # the question as shown to the resident
    datatype: str
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for list types
    datatype_description: str = ""
    order: int = 1
    variable: bool = True

    @property
    def zh(self) -> str:
        """The question in Chinese (``description`` is "中文 English")."""
        return zh_en(self.description)[0]

    @property
    def en(self) -> str:
        return zh_en(self.description)[1]

    def choices(self) -> tuple[tuple[str, str, str], ...]:
        """The list answers as (key, Chinese name, English name)."""
        return tuple((key, *zh_en(name)) for key, name in self.values)


def zh_en(text: str) -> tuple[str, str]:
    """Split a "中文 English" text at its first space into (Chinese, English)."""
    zh, _, en = text.partition(" ")
    return zh, en or zh


@dataclass(frozen=True)
class Service:
    """A category seen through Open311."""

    category: Category
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    @property
    def code(self) -> str:
        return self.category.code


# Aligned by hand: this table reads better laid out as a table.
_GROUPS = {
    "城市管理 City management": ("fire_lane", "road_damage", "street_light", "garbage",
                                 "illegal_building", "greening", "traffic"),
    "安全应急 Safety and emergencies": ("waterlogging", "safety_hazard"),
    "公共服务 Public utilities": ("sewage", "water_supply", "heating"),
    "社会治理 Community affairs": ("noise", "dispute", "elderly_care", "other"),
    "农业农村 Farming and villages": ("farm_help",),
    "生态环境 Environment": ("pollution",),
}  # fmt: skip
# Reports about people, not a place (a neighbours' dispute, an old person who
# needs help): never listed to neighbours near them, nor joined by "me too".
PERSONAL_SERVICES = frozenset({"dispute", "elderly_care"})

_GROUP_OF = {code: group for group, codes in _GROUPS.items() for code in codes}

_ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "waterlogging": (
        Attribute(
            "depth",
            "积水深度 How deep is the water?",
            "singlevaluelist",
            True,
            (
                ("ankle", "没过脚踝 Ankle"),
                ("knee", "没过膝盖 Knee"),
                ("waist", "齐腰以上 Waist or deeper"),
            ),
            order=1,
        ),
        Attribute(
            "people_trapped",
            "是否有人被困 Is anyone trapped?",
            "singlevaluelist",
            False,
            (("no", "没有 No"), ("yes", "有 Yes")),
            order=2,
        ),
    ),
    "farm_help": (
        Attribute("crop", "作物 Crop", "string", False, order=1),
        Attribute(
            "area_mu",
            "受影响面积（亩） Area affected, mu",
            "number",
            False,
            datatype_description="a number of mu (1 mu = 666.7 m²)",
            order=2,
        ),
        Attribute("helpers_needed", "需要人手 Helpers needed", "number", False, order=3),
    ),
    "fire_lane": (Attribute("plate", "车牌号 Licence plate", "string", False, order=1),),
}

SERVICES: tuple[Service, ...] = tuple(
    Service(
        c, _GROUP_OF.get(c.code, "其他 Other"), (c.zh, c.en.lower()), _ATTRIBUTES.get(c.code, ())
    )
    for c in CATEGORIES
)
BY_SERVICE_CODE: dict[str, Service] = {s.code: s for s in SERVICES}


def service(code: str) -> Service:
    """The service of a code; ``InvalidInput`` names the known codes otherwise."""
    found = BY_SERVICE_CODE.get(code)
    if found is None:
        known = ", ".join(sorted(BY_CODE))
        raise InvalidInput(f"unknown service_code {code!r}: use one of {known}")
    return found


def answered(code: str, answers: dict, lang: str = "zh") -> list[tuple[str, str]]:
    """A report's answers to its service's questions as (question, answer) in
    ``lang``, in the questions' order; a list answer by its name, not its key."""
    found = BY_SERVICE_CODE.get(code)
    if found is None or not answers:
        return []
    en = lang == "en"
    lines = []
    for attribute in sorted(found.attributes, key=lambda a: a.order):
        value = answers.get(attribute.code)
        if value is None or value == "" or value == []:
            continue
        names = {key: (e if en else z) for key, z, e in attribute.choices()}
        chosen = value if isinstance(value, list) else [value]
        shown = "、".join(names.get(str(v), _plain(v)) for v in chosen)
        lines.append((attribute.en if en else attribute.zh, shown))
    return lines


def _plain(value) -> str:
    """A number without a needless ".0" (3.0 mu is 3 mu)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_attributes(code: str, answers: dict[str, str]) -> dict[str, str | float | list]:
    """Check the ``attribute[...]`` answers of a report against its service.

    Returns the answers typed (numbers as float, multi-value lists as lists).
    Raises ``InvalidInput`` naming every missing, unknown or invalid answer,
    in English and in Chinese (a resident reads the Chinese).
    """
    definition = {a.code: a for a in service(code).attributes}
    problems: list[tuple[str, str]] = []
    typed: dict[str, str | float | list] = {}
    for name in sorted(set(answers) - set(definition)):
        problems.append(
            (
                f"attribute[{name}] is not a question of service {code!r}",
                f"该类问题没有“{name}”这一项",
            )
        )
    for attribute in definition.values():
        problem, value = _checked_answer(attribute, (answers.get(attribute.code) or "").strip())
        if problem:
            problems.append(problem)
        elif value is not None:
            typed[attribute.code] = value
    if problems:
        raise InvalidInput(
            "; ".join(en for en, _ in problems), zh="；".join(zh for _, zh in problems)
        )
    return typed


def _checked_answer(attribute: Attribute, raw: str):
    """((en, zh) problem or None, typed answer or None) of one answer."""
    field, question = f"attribute[{attribute.code}]", attribute.zh
    keys = [key for key, _ in attribute.values]
    names = "、".join(name for _, name, _ in attribute.choices())
    if not raw:
        missing = (f"{field} is required", f"请回答：{question}")
        return (missing if attribute.required else None), None
    if len(raw) > 500:
        return (f"{field} is longer than 500 characters", f"{question}：最多 500 字"), None
    if attribute.datatype == "number":
        try:
            number = float(raw)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            return (f"{field} must be a number, not {raw!r}", f"{question}：请填写数字"), None
        return None, number
    if attribute.datatype == "singlevaluelist" and raw not in keys:
        return (
            f"{field} must be one of {', '.join(keys)}",
            f"{question}：请从{names}中选一项",
        ), None
    if attribute.datatype == "multivaluelist":
        chosen = [v.strip() for v in raw.split(",") if v.strip()]
        if any(v not in keys for v in chosen):
            return (
                f"{field} must be among {', '.join(keys)}",
                f"{question}：请从{names}中选择",
            ), None
        return None, chosen
    return None, raw
