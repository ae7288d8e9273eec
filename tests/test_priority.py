"""Priority of a new report from its category and its description."""

from __future__ import annotations

import pytest

from domain.categories import BY_CODE, CATEGORIES
from domain.errors import InvalidInput
from domain.priority import DEFAULT_RULES, Reason, Rule, priority_for


def priority(text: str, code: str = "other", **kwargs) -> int:
    return priority_for(code, text, **kwargs)[0]


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.code)
def test_plain_text_keeps_the_category_default(category):
    got, reasons = priority_for(category.code, "请尽快处理，谢谢")
    assert got == category.priority
    assert len(reasons) == 1
    assert category.zh in reasons[0].zh and category.en in reasons[0].en


@pytest.mark.parametrize(
    "text",
    [
        "楼道里起火了",
        "厨房着火",
        "有火",
        "三楼窗户冒烟",
        "闻到燃气味",
        "煤气泄漏",
        "There is a fire in the shed",
        "FIRE!!",
        "Ｆｉｒｅ in the yard",  # full-width letters
        "thick smoke from the roof",
        "I think there is a gas leak",
        "gas leaks in unit 3",
        "无法灭火",  # "unable" is not a negation
        "非常大的火",  # "very" is not a negation
        "没有发现起火，但有浓烟",  # the negation stops at the comma
    ],
)
def test_fire_and_gas_are_urgent(text):
    assert priority(text) == 1


@pytest.mark.parametrize(
    "text",
    [
        "没有火",
        "没有发现起火",
        "现场无明火",
        "未起火",
        "不是火灾，只是烧烤的烟味太大",
        "No fire, just rubbish",
        "there is no sign of smoke",
        "there isn't any smoke",
        "not on fire",
        "没有fire",
    ],
)
def test_cheap_negations_do_not_raise(text):
    assert priority(text) == 4


@pytest.mark.parametrize(
    "text",
    [
        "火锅店油烟扰民",
        "火车站门口垃圾多",
        "防火门坏了",
        "灭火器过期了",
        "燃气费太贵",
        "firewood stacked in the lane",
        "the fire hydrant is leaking",
        "smokers in the stairwell",
    ],
)
def test_words_that_only_contain_a_keyword_do_not_raise(text):
    assert priority(text) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("路口积水很深", 2),
        ("地下车库被淹", 2),
        ("Street flooded after the storm", 2),
        ("积水很深，有老人被困", 1),
        ("积水太深，小孩上学过不去", 1),
        ("flooding and a child is trapped", 1),
        ("积水淹没了路口，老人出不来", 1),  # 淹没 is not 没 (not)
        ("没有积水", 4),
    ],
)
def test_flooding_is_high_and_urgent_with_vulnerable_people(text, expected):
    assert priority(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("独居老人需要帮助", 2),
        ("残疾人出行不便", 2),
        ("an elderly man needs help", 2),
        ("电线掉落在路边", 1),
        ("有人触电", 1),
        ("配电箱漏电", 1),
        ("a live wire on the pavement", 1),
        ("围墙坍塌", 1),
        ("老房子塌了", 1),
        ("the wall collapsed", 1),
        ("有人受伤", 1),
        ("a cyclist was injured", 1),
        ("没有人受伤", 4),
        ("无人受伤", 4),
        ("电梯困人", 1),
        ("车辆堵塞消防通道", 2),
        ("非法占用消防通道", 2),  # 非法 (illegal) is not 非 (not)
        ("The fire lane is blocked by cars", 2),
        ("消防通道畅通", 4),
    ],
)
def test_other_default_rules(text, expected):
    assert priority(text) == expected


def test_rules_only_raise_never_lower():
    # elderly_care is already "high"; a mention of the elderly does not change it.
    assert priority_for("elderly_care", "独居老人")[0] == BY_CODE["elderly_care"].priority
    got, reasons = priority_for("waterlogging", "路口积水")
    assert got == 2
    assert len(reasons) == 1  # the flooding rule adds nothing to a flooding category


def test_reasons_are_bilingual_and_name_the_keyword():
    got, reasons = priority_for("garbage", "垃圾堆起火了")
    assert got == 1
    assert reasons[0] == Reason(
        "类别“垃圾清运”默认一般", "category 'Uncollected rubbish' defaults to normal"
    )
    assert reasons[1] == ("关键词“起火”：火情或燃气，紧急", "keyword '起火': fire or gas, urgent")


def test_combination_reason_names_both_words():
    _, reasons = priority_for("road_damage", "积水很深，有儿童")
    assert ("积水" in reasons[1].zh) and ("儿童" in reasons[1].zh)
    assert "'积水' + '儿童'" in reasons[1].en


def test_latin_matching_is_case_insensitive_and_whole_word():
    assert priority("SMOKE everywhere") == 1
    assert priority("Smoke") == 1
    assert priority("smokestack is old") == 4


def test_rules_are_configurable_data():
    rules = (Rule(("井盖", "manhole"), 1, "井盖缺失", "missing manhole cover"),)
    assert priority("井盖丢了", "road_damage", rules=rules) == 1
    # Custom rules replace the defaults.
    assert priority("起火", "road_damage", rules=rules) == 3
    assert priority("起火", "road_damage", rules=()) == 3


def test_rules_can_be_limited_to_channels():
    rules = (Rule(("水位",), 1, "水位告警", "water level alarm", channels=("sensor",)),)
    assert priority("水位超限", "waterlogging", channel="sensor", rules=rules) == 1
    assert priority("水位超限", "waterlogging", channel="app", rules=rules) == 2
    assert priority("水位超限", "waterlogging", rules=rules) == 2


def test_rules_can_exclude_words():
    rules = (Rule(("gas",), 1, "gas", "gas", exclude=("gas station",)),)
    assert priority("gas smell", rules=rules) == 1
    assert priority("the gas station is dirty", rules=rules) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keywords": ()}, "no keywords"),
        ({"min_priority": 0}, "min_priority"),
        ({"min_priority": 5}, "min_priority"),
        ({"channels": ("fax",)}, "unknown channels"),
    ],
)
def test_bad_rules_are_refused(kwargs, message):
    rule = {"keywords": ("x",), "min_priority": 1, "zh": "x", "en": "x"} | kwargs
    with pytest.raises(InvalidInput, match=message):
        Rule(**rule)


def test_unknown_category_or_channel():
    with pytest.raises(InvalidInput, match="unknown category 'fires'"):
        priority_for("fires", "起火")
    with pytest.raises(InvalidInput, match="channel must be one of app, hotline"):
        priority_for("other", "起火", channel="fax")


def test_empty_description_keeps_the_default():
    assert priority_for("noise", "")[0] == 3


def test_default_rules_are_well_formed():
    for rule in DEFAULT_RULES:
        assert rule.zh and rule.en
        assert all(word == word.strip() and word for word in rule.keywords)
