"""Validation of a citizen's report before it is stored."""

from __future__ import annotations

import dataclasses

import pytest

from domain import coords
from domain.errors import InvalidInput
from domain.report import ReportInvalid, ValidReport, validate_report

GOOD = {
    "service_code": "garbage",
    "description": "小区门口垃圾三天没人清运",
    "lat": "36.28",
    "long": "120.0",
}


def merged(changes: dict) -> dict:
    """GOOD with ``changes``; a value of ``...`` leaves the field out."""
    return {k: v for k, v in {**GOOD, **changes}.items() if v is not ...}


def report(**changes) -> ValidReport:
    return validate_report(merged(changes))


def problems(**changes) -> dict[str, str]:
    with pytest.raises(ReportInvalid) as caught:
        validate_report(merged(changes))
    assert isinstance(caught.value, InvalidInput)
    return dict(caught.value.problems)


def test_a_good_report():
    got = report(first_name="  小明 ", phone="138 0013 8000")
    assert got.service_code == "garbage"
    assert got.description == "小区门口垃圾三天没人清运"
    assert (got.lat, got.long, got.crs) == (36.28, 120.0, "wgs84")
    assert (got.original_lat, got.original_long) == (36.28, 120.0)
    assert got.channel == "app"
    assert got.first_name == "小明"
    assert got.phone == "13800138000"
    assert got.last_name is got.email is got.media_url is got.address_string is None
    assert dict(got.attributes) == {}
    assert got.priority == 3
    assert got.reasons[0].en == "category 'Uncollected rubbish' defaults to normal"
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.priority = 1  # type: ignore[misc]


def test_priority_and_reasons_come_from_the_description():
    got = report(description="垃圾堆起火了", channel="hotline")
    assert got.priority == 1
    assert got.reasons[1] == (
        "关键词“起火”：火情或燃气，紧急",
        "keyword '起火': fire or gas, urgent",
    )


def test_all_problems_are_reported_together():
    with pytest.raises(ReportInvalid) as caught:
        validate_report(
            {"service_code": "garbage", "description": "  ", "lat": "abc", "long": "120"}
        )
    assert str(caught.value) == (
        "description is required; lat must be a number between -90 and 90, not 'abc'"
    )


def test_a_report_must_be_a_mapping():
    with pytest.raises(InvalidInput, match="named fields"):
        validate_report(["garbage"])  # type: ignore[arg-type]


# --- service_code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (..., "service_code is required"),
        ("", "service_code is required"),
        ("rubbish", "service_code must be one of fire_lane, road_damage"),
        ("GARBAGE", "not 'GARBAGE'"),
        (7, "service_code must be text, not int"),
    ],
)
def test_service_code(value, message):
    assert message in problems(service_code=value)["service_code"]


# --- description --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (..., "description is required"),
        ("", "description is required"),
        (" \n\t ", "description is required"),
        ("x" * 2001, "description must be at most 2000 characters, not 2001"),
        ("bell\x07", "description contains a control character (U+0007) at position 5"),
        ("nul\x00", "U+0000"),
        ("esc\x1b[31m", "U+001B"),
        ("del\x7f", "U+007F"),
        ("lone \ud800 surrogate", "U+D800"),
        (["list"], "description must be text, not list"),
    ],
)
def test_description_problems(value, message):
    assert message in problems(description=value)["description"]


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "y" * 2000,
        "  padded  ",
        "路灯不亮了 🌃🔦",
        "👨‍👩‍👧 family emoji with zero-width joiners",
        "Ünïcödé ñ 한국어 العربية",
        "line one\nline two\twith a tab",
    ],
)
def test_descriptions_accepted(text):
    assert report(description=text).description == text.strip()


def test_markup_and_sql_are_kept_verbatim():
    script = "<script>alert('x')</script> & <b>bold</b>"
    assert report(description=script).description == script
    sql = "'; DROP TABLE incidents; -- \" OR 1=1"
    assert report(description=sql).description == sql


def test_browser_line_breaks_become_newlines():
    assert report(description="a\r\nb\rc").description == "a\nb\nc"
    # Counted after that, so a browser's CRLF does not push a text over the limit.
    assert len(report(description="x\r\n" * 999 + "xx").description) == 2000


# --- position -------------------------------------------------------------------------------


def test_address_alone_is_enough():
    got = report(lat=..., long=..., address_string=" 胶州市 澳门路 88 号 ")
    assert got.address_string == "胶州市 澳门路 88 号"
    assert got.lat is got.long is got.original_lat is None


def test_position_or_address_is_required():
    assert problems(lat=..., long=...) == {
        "location": "lat and long, or address_string, are required"
    }
    assert problems(lat="", long=" ")["location"].startswith("lat and long")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"lat": "abc"}, "lat", "lat must be a number between -90 and 90, not 'abc'"),
        ({"lat": "95"}, "lat", "lat must be a number between -90 and 90, not '95'"),
        ({"lat": "nan"}, "lat", "not 'nan'"),
        ({"long": "inf"}, "long", "long must be a number between -180 and 180, not 'inf'"),
        ({"long": "181"}, "long", "not '181'"),
        ({"long": ...}, "long", "long is required"),
        ({"lat": ...}, "lat", "lat is required"),
        ({"address_string": "路" * 201}, "address_string", "at most 200 characters, not 201"),
        ({"address_string": "a\nb"}, "address_string", "a line break at position 2"),
        ({"address_string": "a\tb"}, "address_string", "U+0009"),
        ({"crs": "utm"}, "crs", "crs must be one of wgs84, gcj02, bd09, not 'utm'"),
    ],
)
def test_position_problems(changes, field, message):
    assert message in problems(**changes)[field]


def test_numbers_are_accepted_for_lat_and_long():
    got = report(lat=36.28, long=120)
    assert (got.lat, got.long) == (36.28, 120.0)


@pytest.mark.parametrize("crs", ["gcj02", "GCJ02", "bd09"])
def test_positions_from_chinese_maps_are_stored_as_wgs84(crs):
    lon, lat = coords.from_wgs84(120.0, 36.28, crs.lower())
    got = report(lat=str(lat), long=str(lon), crs=crs)
    assert got.crs == crs.lower()
    assert (got.original_long, got.original_lat) == (lon, lat)
    assert (got.long, got.lat) == pytest.approx((120.0, 36.28), abs=1e-6)


def test_address_with_position_keeps_both():
    got = report(address_string="胶州市政府")
    assert got.address_string == "胶州市政府" and got.lat == 36.28


# --- channel and reporter -----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["app", "hotline", "patrol", "plaza", "sensor", "Hotline"])
def test_channels(channel):
    assert report(channel=channel).channel == channel.lower()


def test_unknown_channel():
    assert problems(channel="fax")["channel"] == (
        "channel must be one of app, hotline, patrol, plaza, sensor, not 'fax'"
    )


def test_a_report_cannot_claim_to_be_a_proactive_case():
    """Only the desk opens proactive cases (issue 20); a client sending the channel is refused."""
    assert problems(channel="proactive")["channel"] == (
        "channel must be one of app, hotline, patrol, plaza, sensor, not 'proactive'"
    )


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_names(field):
    assert getattr(report(**{field: "欧阳" * 25}), field) == "欧阳" * 25
    assert "at most 50 characters, not 51" in problems(**{field: "x" * 51})[field]
    assert "a line break" in problems(**{field: "a\nb"})[field]
    assert "must be text" in problems(**{field: 3})[field]


@pytest.mark.parametrize("email", ["zhang@example.com", "a.b+c@mail.qd.cn", "王@例子.中国"])
def test_emails_accepted(email):
    assert report(email=email).email == email


@pytest.mark.parametrize(
    "email", ["zhang", "zhang@", "@example.com", "a@b", "a b@c.cn", "a@@b.cn", "x" * 250 + "@a.cn"]
)
def test_emails_refused(email):
    assert "email" in problems(email=email)


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0532-87654321", "0532-87654321"),
        ("0532-87654321-123", "0532-87654321-123"),
        ("053287654321", "053287654321"),
        ("010-12345678", "010-12345678"),
        ("87654321", "87654321"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
    ],
)
def test_phones_accepted(phone, stored):
    assert report(phone=phone).phone == stored


BAD_PHONES = [
    "123",
    "23800138000",
    "1380013800",
    "138001380000",
    "abc",
    "0532--87654321",
    "+1 415 555 0100",
    "5" * 41,
]


@pytest.mark.parametrize("phone", BAD_PHONES)
def test_phones_refused(phone):
    assert "phone" in problems(phone=phone)


# --- media and attributes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://img.example.cn/a.jpg", "http://10.0.0.5/p?id=1", "HTTPS://Example.com/" + "x" * 480],
)
def test_media_urls_accepted(url):
    assert report(media_url=url).media_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "must be an http:// or https:// address"),
        ("ftp://example.com/a.jpg", "must be an http:// or https:// address"),
        ("data:image/png;base64,AAAA", "must be an http:// or https:// address"),
        ("https://", "must be an http:// or https:// address"),
        ("/relative/path.jpg", "must be an http:// or https:// address"),
        ("https://[::1/a.jpg", "must be an http:// or https:// address"),
        ("https://example.com/a b.jpg", "must be an http:// or https:// address"),
        ("https://example.com/" + "x" * 481, "at most 500 characters, not 501"),
    ],
)
def test_media_urls_refused(url, message):
    assert message in problems(media_url=url)["media_url"]


def test_attributes():
    got = report(attributes={"floor": "3", "depth_cm": 40, "note": ""})
    assert dict(got.attributes) == {"floor": "3", "depth_cm": "40", "note": ""}
    with pytest.raises(TypeError):
        got.attributes["floor"] = "4"  # type: ignore[index]


def test_attributes_in_open311_form_encoding():
    got = report(**{"attribute[floor]": "3"})
    assert dict(got.attributes) == {"floor": "3"}


@pytest.mark.parametrize(
    ("attributes", "field", "message"),
    [
        ("floor=3", "attributes", "attributes must be a mapping"),
        ({"bad code": "x"}, "attributes", "attribute code 'bad code' must be"),
        ({"floor": "x" * 501}, "attribute[floor]", "at most 500 characters, not 501"),
        ({"floor": "a\x00"}, "attribute[floor]", "U+0000"),
        ({"floor": ["3"]}, "attribute[floor]", "must be text, not list"),
        ({f"a{i}": "x" for i in range(51)}, "attributes", "at most 50, not 51"),
    ],
)
def test_attribute_problems(attributes, field, message):
    assert message in problems(attributes=attributes)[field]


def test_unknown_keys_are_ignored():
    assert report(api_key="k", jurisdiction_id="jiaozhou").service_code == "garbage"


def test_every_bad_field_at_once():
    found = problems(
        service_code="x",
        description="",
        lat="x",
        long="x",
        crs="x",
        channel="x",
        first_name="x" * 51,
        last_name="x" * 51,
        email="x",
        phone="x",
        media_url="x",
        attributes={"a b": "x"},
    )
    assert set(found) == {
        "service_code",
        "description",
        "lat",
        "long",
        "crs",
        "channel",
        "first_name",
        "last_name",
        "email",
        "phone",
        "media_url",
        "attributes",
    }


@pytest.mark.parametrize("allowed", ["", "\n\t"])
def test_the_characters_refused_are_exactly_unicodes_controls_and_surrogates(allowed):
    """Every code point: refused if and only if of category Cc or Cs and not ``allowed``
    (the check is one regular expression, derived from the categories)."""
    import sys
    import unicodedata

    from domain.report import _bad_character

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        refused = _bad_character(f"ab{char}", allowed) is not None
        expected = unicodedata.category(char) in {"Cc", "Cs"} and char not in allowed
        assert refused == expected, f"U+{code:04X}"
    assert _bad_character("第一行\u0007", "") == "a control character (U+0007) at position 4"
    assert _bad_character("一\n二", "") == "a line break at position 2"
