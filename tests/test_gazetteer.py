"""Placing addresses by place names."""

from __future__ import annotations

from domain.gazetteer import Gazetteer


def gazetteer() -> Gazetteer:
    return Gazetteer(
        ["宋戈庄村民委员会", "宋戈庄村第2网格", "大同社区居民委员会", "河崖村民委员会"],
        [119.88, 119.881, 120.01, 119.87],
        [36.23, 36.231, 36.29, 36.22],
    )


def test_longest_name_wins():
    assert gazetteer().find("胶西街道宋戈庄村第2网格东头").name == "宋戈庄村第2网格"
    match = gazetteer().find("胶西街道宋戈庄村东头的土豆地")
    assert (match.name, match.lon, match.lat) == ("宋戈庄", 119.88, 36.23)


def test_official_suffixes_are_optional():
    assert gazetteer().find("大同社区3号楼").lon == 120.01
    assert gazetteer().find("河崖东边") is not None


def test_unknown_place_is_none():
    assert gazetteer().find("北京市朝阳区") is None
