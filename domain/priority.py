"""Priority of a new report: the category's default, raised by words in the description.

A rule says "if the description mentions any of these words (and, optionally,
also one of those), the report is at least this urgent". Rules are plain data so
that a city can configure its own. Priorities: 1 urgent, 2 high, 3 normal,
4 low; lower is more urgent, and rules only ever make a report more urgent.

Matching is deliberately simple and explainable to the people who read the
reasons:

* Text is NFKC-normalised and case-folded, so "FIRE", "Ｆｉｒｅ" and "fire" match.
* Latin keywords match whole words (an "s"/"es" plural is allowed); Chinese ones
  match anywhere, since Chinese has no spaces.
* ``exclude`` lists longer words that contain a keyword but mean something else
  ("火锅" hot pot, "fire lane"); a keyword inside one of them does not count.
* Negation window: a keyword is ignored when, in the same clause (clauses end at
  punctuation), a Chinese negator (``NEGATORS_ZH``) is among the
  ``ZH_WINDOW`` characters just before it, or an English one (``NEGATORS_EN``)
  is among the ``EN_WINDOW`` words just before it: "没有火", "现场无明火",
  "无人受伤", "no fire", "there is no sign of smoke". Words that contain a
  negator but do not negate ("无法" unable, "非常" very, "非法" illegal) are
  masked first. Shorter keywords inside a longer one ("火" in "起火") follow it.
  Negation after the keyword ("火已扑灭", "fire is out") is not caught.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from domain.categories import BY_CODE, CHANNELS, PRIORITIES
from domain.errors import InvalidInput

ZH_WINDOW = 4  # characters: "没有发现起火" still counts as negated
EN_WINDOW = 3  # words: "no sign of fire" still counts as negated
NEGATORS_ZH: tuple[str, ...] = ("没有", "没", "无", "未", "不是", "不存在", "并非", "非")
# Aligned by hand: this table reads better laid out as a table.
NOT_NEGATORS_ZH: tuple[str, ...] = (
    "无法", "无数", "无证", "无照", "未成年", "未经", "未能", "没想到", "没法", "淹没",
    "非常", "非法",
)  # fmt: skip
NEGATORS_EN: frozenset[str] = frozenset(
    (
        "no",
        "not",
        "never",
        "without",
        "none",
        "nothing",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "hasn't",
        "haven't",
        "hadn't",
    )
)
_CLAUSE_END = re.compile(r"[.,;:!?。，；：！？、\n]")
_EN_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Rule:
    """A report mentioning any of ``keywords`` is at least ``min_priority`` urgent.

    Attributes
    ----------
    keywords : tuple[str, ...]
        Any one of them triggers the rule (Chinese or English, any case).
    min_priority : int
        The priority the report gets at least (1 urgent … 4 low).
    zh, en : str
        What the rule is about, for the reasons shown to people ("火情", "fire").
    with_any : tuple[str, ...]
        If not empty, one of these must be mentioned too (e.g. flooding plus a
        trapped child).
    exclude : tuple[str, ...]
        Longer words in which a keyword does not count ("火锅" for "火").
    channels : tuple[str, ...]
        If not empty, the rule applies only to reports from these channels.
    """

    keywords: tuple[str, ...]
    min_priority: int
    zh: str
    en: str
    with_any: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.keywords:
            raise InvalidInput(f"rule {self.en!r} has no keywords")
        if self.min_priority not in PRIORITIES:
            raise InvalidInput(f"rule {self.en!r}: min_priority must be one of 1, 2, 3, 4")
        unknown = set(self.channels) - set(CHANNELS)
        if unknown:
            raise InvalidInput(f"rule {self.en!r}: unknown channels {sorted(unknown)}")


class Reason(NamedTuple):
    """Why a report got its priority, in Chinese and in English."""

    zh: str
    en: str


_FLOOD = ("积水", "内涝", "淹", "水漫", "flood", "flooded", "flooding", "waterlogged")
# Aligned by hand: this table reads better laid out as a table.
_FIRE_EXCLUDE = (
    "火锅", "火车", "火腿", "火柴", "火龙果", "火箭", "火爆", "火气", "发火", "上火", "恼火",
    "红火", "防火", "灭火器", "消火栓", "燃气费", "煤气费",
    "fire lane", "fire exit", "fire escape", "fire door", "fire hydrant", "fire extinguisher",
    "fire station",
)  # fmt: skip

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        (
            "起火",
            "着火",
            "失火",
            "火灾",
            "火情",
            "明火",
            "火",
            "冒烟",
            "浓烟",
            "燃气",
            "煤气",
            "天然气",
            "液化气",
            "漏气",
            "fire",
            "smoke",
            "gas leak",
            "smell of gas",
        ),
        1,
        "火情或燃气",
        "fire or gas",
        exclude=_FIRE_EXCLUDE,
    ),
    Rule(
        (
            "触电",
            "电线掉落",
            "电线断落",
            "电线脱落",
            "漏电",
            "electric shock",
            "electrocuted",
            "live wire",
            "power line down",
            "downed power line",
        ),
        1,
        "触电危险",
        "electrical danger",
    ),
    Rule(
        ("塌", "坍塌", "倒塌", "塌方", "collapse", "collapsed", "caved in"), 1, "坍塌", "collapse"
    ),
    Rule(
        ("受伤", "伤者", "流血", "昏迷", "injured", "injury", "bleeding", "unconscious"),
        1,
        "有人受伤",
        "someone injured",
    ),
    Rule(("被困", "困人", "困在", "trapped"), 1, "有人被困", "someone trapped"),
    Rule(
        _FLOOD,
        1,
        "积水危及老人或儿童",
        "flooding with elderly people or children at risk",
        with_any=(
            "老人",
            "儿童",
            "小孩",
            "孩子",
            "学生",
            "被困",
            "困在",
            "elderly",
            "child",
            "children",
            "kids",
            "trapped",
        ),
    ),
    Rule(_FLOOD, 2, "积水内涝", "flooding"),
    Rule(
        ("老人", "独居", "孤寡", "残疾", "瘫痪", "elderly", "disabled", "lives alone"),
        2,
        "老人或残疾人",
        "elderly or disabled person",
    ),
    Rule(
        ("消防通道", "生命通道", "fire lane", "fire exit", "fire escape"),
        2,
        "消防通道堵塞",
        "blocked fire lane",
        with_any=("堵", "占", "停", "block", "blocked", "blocking", "parked", "obstructed"),
    ),
)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters from Chinese input methods; ’ is a common apostrophe.
    return unicodedata.normalize("NFKC", text).replace("’", "'").casefold()


@functools.lru_cache(maxsize=1024)
def _pattern(word: str) -> re.Pattern[str]:
    word = _normalise(word)
    if word.isascii():
        body = r"\s+".join(re.escape(part) for part in word.split())
        return re.compile(rf"(?<![a-z0-9]){body}(?:e?s)?(?![a-z0-9])")
    return re.compile(re.escape(word))


@functools.lru_cache(maxsize=256)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching wherever any of ``words`` would: a rule none of whose
    words occurs is passed over with one search instead of one per word."""
    return re.compile("|".join(f"(?:{_pattern(word).pattern})" for word in words))


def _negated(text: str, start: int) -> bool:
    """True if a negator sits just before ``text[start:]`` within its clause."""
    clause_start = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        clause_start = match.end()
    before = text[clause_start:start]
    # Mask longest first so "没有人" is masked whole, not left as "没有".
    for word in sorted(NOT_NEGATORS_ZH, key=len, reverse=True):
        before = before.replace(word, "_" * len(word))
    window = before[-ZH_WINDOW:]
    if any(negator in window for negator in NEGATORS_ZH):
        return True
    return any(word in NEGATORS_EN for word in _EN_WORD.findall(before)[-EN_WINDOW:])


def _find(text: str, words: tuple[str, ...], exclude: tuple[str, ...]) -> str | None:
    """The longest of ``words`` mentioned (not negated, not inside an excluded word)."""
    if _any_of(words).search(text) is None:
        return None  # the usual case: none of the words is there at all
    # A keyword inside an excluded word, or inside a longer keyword already seen,
    # does not count on its own: "没有发现起火" must not match "火" after "起火"
    # was found negated.
    seen = [(m.start(), m.end()) for word in exclude for m in _pattern(word).finditer(text)]
    for word in sorted(words, key=len, reverse=True):
        for match in _pattern(word).finditer(text):
            start, end = match.span()
            if any(a <= start and end <= b for a, b in seen):
                continue
            seen.append((start, end))
            if not _negated(text, start):
                return word
    return None


def priority_for(
    category_code: str,
    description: str,
    *,
    channel: str | None = None,
    rules: tuple[Rule, ...] = DEFAULT_RULES,
) -> tuple[int, list[Reason]]:
    """Priority of a new report and the reasons for it.

    Parameters
    ----------
    category_code : str
        A code of ``domain.categories.CATEGORIES``; gives the starting priority.
    description : str
        The reporter's text, in Chinese, English or both.
    channel : str, optional
        A key of ``domain.categories.CHANNELS``; only rules limited to channels use it.
    rules : tuple of Rule
        The city's rules, ``DEFAULT_RULES`` unless configured.

    Returns
    -------
    priority : int
        1 urgent … 4 low, never less urgent than the category's default.
    reasons : list of Reason
        (zh, en) pairs: the category default first, then every rule that would
        raise the priority above that default, e.g.
        ("关键词“起火”：火情或燃气，紧急", "keyword '起火': fire or gas, urgent").

    Raises
    ------
    InvalidInput
        Unknown category or channel.
    """
    category = BY_CODE.get(category_code)
    if category is None:
        raise InvalidInput(f"unknown category {category_code!r}")
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    zh_name, en_name = PRIORITIES[category.priority]
    reasons = [
        Reason(
            f"类别“{category.zh}”默认{zh_name}",
            f"category '{category.en}' defaults to {en_name.lower()}",
        )
    ]
    priority = category.priority
    text = _normalise(description or "")
    for rule in rules:
        if rule.min_priority >= category.priority:
            continue  # cannot make this report any more urgent
        if rule.channels and channel not in rule.channels:
            continue
        word = _find(text, rule.keywords, rule.exclude)
        if word is None:
            continue
        also = _find(text, rule.with_any, rule.exclude) if rule.with_any else None
        if rule.with_any and also is None:
            continue
        zh_name, en_name = PRIORITIES[rule.min_priority]
        zh_words = f"“{word}”" + (f"+“{also}”" if also else "")
        en_words = f"'{word}'" + (f" + '{also}'" if also else "")
        reasons.append(
            Reason(
                f"关键词{zh_words}：{rule.zh}，{zh_name}",
                f"keyword {en_words}: {rule.en}, {en_name.lower()}",
            )
        )
        priority = min(priority, rule.min_priority)
    return priority, reasons
