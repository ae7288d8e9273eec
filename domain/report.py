"""Validation of a citizen's report ("我要报事") before it is stored.

Fields arrive as raw strings from a form or an Open311-style request
(service_code, description, lat, long, address_string, ...). Every problem is
collected and reported at once, so that a resident fixes the form in one go.
Text is data: markup or SQL-looking descriptions are kept exactly as given
(they are escaped where shown and bound as parameters where stored). Keys this
module does not know (api_key, jurisdiction_id, ...) are ignored.
"""

from __future__ import annotations

import functools
import re
import types
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.categories import BY_CODE, REPORT_CHANNELS
from domain.coords import CRS_CHOICES, check_degrees, to_wgs84
from domain.errors import InvalidInput
from domain.priority import Reason, priority_for

DESCRIPTION_MAX = 2000  # characters (code points)
ADDRESS_MAX = 200
NAME_MAX = 50
EMAIL_MAX = 254  # the longest address SMTP can carry
MEDIA_URL_MAX = 500
ATTRIBUTE_VALUE_MAX = 500
ATTRIBUTES_MAX = 50  # attributes per report

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MOBILE = re.compile(r"(?:(?:\+|00)?86-?)?1\d{10}", re.ASCII)
# Area code and number (0532-87654321, extension allowed) or a local number alone.
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\d{7,8}", re.ASCII)
_ATTRIBUTE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
_FORM_ATTRIBUTE = re.compile(r"attribute\[(.*)\]")  # Open311 form encoding


@dataclass(frozen=True)
class ValidReport:
    """A checked report, ready to store.

    Attributes
    ----------
    lat, long : float or None
        WGS84 (EPSG:4326) latitude and longitude in degrees; None if only an address.
    crs : str
        Coordinate system the position was given in ("wgs84", "gcj02", "bd09").
    original_lat, original_long : float or None
        The position as given, in ``crs``, degrees.
    attributes : Mapping[str, str]
        Read-only attribute code → value.
    priority : int
        1 urgent … 4 low, from ``domain.priority.priority_for``.
    reasons : tuple of Reason
        (zh, en) explanations of the priority.
    """

    service_code: str
    description: str
    lat: float | None
    long: float | None
    address_string: str | None
    crs: str
    original_lat: float | None
    original_long: float | None
    channel: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    media_url: str | None
    attributes: Mapping[str, str]
    priority: int
    reasons: tuple[Reason, ...]


class ReportInvalid(InvalidInput):
    """Every problem with a report; ``problems`` holds (field, message) pairs for forms."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = tuple(problems)


# Lone surrogates cannot be stored as UTF-8; other control characters (bell,
# escape, NUL) break terminals, CSV exports and SMS gateways. These are the
# Unicode categories Cs and Cc, whole: U+D800-DFFF, U+0000-001F and U+007F-009F.
def _bad_character(text: str, allowed: str) -> str | None:
    """Why ``text`` holds a character it must not, or None."""
    found = _forbidden(allowed).search(text)
    if found is None:
        return None
    char = found.group()
    what = "a line break" if char == "\n" else f"a control character (U+{ord(char):04X})"
    return f"{what} at position {found.start() + 1}"


@functools.cache
def _forbidden(allowed: str) -> re.Pattern:
    """The characters of categories Cs and Cc but ``allowed``, as one character class."""
    controls = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in allowed]
    return re.compile("[" + "".join(f"\\x{ord(c):02x}" for c in controls) + "\\ud800-\\udfff]")


class _Checker:
    """Collects problems field by field."""

    def __init__(self, fields: Mapping) -> None:
        self.fields = fields
        self.problems: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append((field, message))

    def text(
        self, field: str, limit: int, *, required=False, multiline=False, value=None
    ) -> str | None:
        """The stripped text of ``field`` (or of ``value``); None if absent or wrong."""
        value = self.fields.get(field) if value is None else value
        if value is not None and not isinstance(value, str):
            self.add(field, f"{field} must be text, not {type(value).__name__}")
            return None
        # Browsers send textarea line breaks as CRLF; store plain newlines.
        value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if not value:
            if required:
                self.add(field, f"{field} is required")
            return None
        if len(value) > limit:
            self.add(field, f"{field} must be at most {limit} characters, not {len(value)}")
            return None
        bad = _bad_character(value, "\n\t" if multiline else "")
        if bad:
            allowed = "only newlines and tabs are allowed" if multiline else "it must be one line"
            self.add(field, f"{field} contains {bad}; {allowed}")
            return None
        return value

    def choice(self, field: str, choices: tuple[str, ...], default: str) -> str | None:
        """One of ``choices`` (any case), ``default`` if absent, None if wrong."""
        before = len(self.problems)
        value = self.text(field, 40)
        if value is None:
            return default if len(self.problems) == before else None
        if value.lower() not in choices:
            self.add(field, f"{field} must be one of {', '.join(choices)}, not {value!r}")
            return None
        return value.lower()


def _check_phone(check: _Checker) -> str | None:
    phone = check.text("phone", 40)
    if phone is None:
        return None
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", phone))
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact):
        return compact
    check.add(
        "phone",
        "phone must be a mobile number (11 digits starting with 1) or a landline such as "
        f"0532-87654321, not {phone!r}",
    )
    return None


def _check_media_url(check: _Checker) -> str | None:
    url = check.text("media_url", MEDIA_URL_MAX)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced "[" in the host
        ok = False
    if ok and not re.search(r"\s", url):
        return url
    check.add("media_url", f"media_url must be an http:// or https:// address, not {url!r}")
    return None


def _check_attributes(check: _Checker) -> Mapping[str, str]:
    raw = check.fields.get("attributes")
    if raw is None:
        raw = {}
    elif not isinstance(raw, Mapping):
        check.add("attributes", "attributes must be a mapping of attribute code to value")
        raw = {}
    merged = dict(raw)
    for key, value in check.fields.items():
        match = _FORM_ATTRIBUTE.fullmatch(key) if isinstance(key, str) else None
        if match:
            merged[match.group(1)] = value
    if len(merged) > ATTRIBUTES_MAX:
        check.add("attributes", f"attributes must be at most {ATTRIBUTES_MAX}, not {len(merged)}")
        return types.MappingProxyType({})
    result = {}
    for code, value in merged.items():
        if not isinstance(code, str) or not _ATTRIBUTE_CODE.fullmatch(code):
            check.add("attributes", f"attribute code {code!r} must be letters, digits, _ . -")
            continue
        if value is None:
            continue
        field = f"attribute[{code}]"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # JSON clients send numbers for number attributes
        before = len(check.problems)
        checked = check.text(field, ATTRIBUTE_VALUE_MAX, multiline=True, value=value)
        if len(check.problems) == before:
            result[code] = checked or ""  # an empty answer is still an answer
    return types.MappingProxyType(result)


def validate_report(fields: Mapping) -> ValidReport:
    """Check a citizen's report and compute its priority.

    Parameters
    ----------
    fields : Mapping
        Raw values as sent: service_code, description, lat and long (degrees in
        ``crs``) and/or address_string, crs (default "wgs84"), channel (default
        "app"), first_name, last_name, email, phone, media_url, attributes (a
        mapping, or Open311 ``attribute[code]`` keys). Empty strings count as absent.

    Returns
    -------
    ValidReport
        With WGS84 lat/long, the original position and the priority and reasons.

    Raises
    ------
    ReportInvalid
        An ``InvalidInput`` naming every bad field, e.g.
        "description is required; lat must be a number between -90 and 90, not 'abc'".
    """
    if not isinstance(fields, Mapping):
        raise InvalidInput("a report must be a set of named fields")
    check = _Checker(fields)
    code = check.text("service_code", 64, required=True)
    if code is not None and code not in BY_CODE:
        check.add("service_code", f"service_code must be one of {', '.join(BY_CODE)}, not {code!r}")
        code = None
    description = check.text("description", DESCRIPTION_MAX, required=True, multiline=True)
    address = check.text("address_string", ADDRESS_MAX)
    crs = check.choice("crs", CRS_CHOICES, "wgs84")
    channel = check.choice("channel", REPORT_CHANNELS, "app")

    raw_lat, raw_long = fields.get("lat"), fields.get("long")
    given = [v for v in (raw_lat, raw_long) if v is not None and str(v).strip()]
    position = {"lat": None, "long": None}
    for field, raw, limit in (("lat", raw_lat, 90.0), ("long", raw_long, 180.0)):
        try:
            position[field] = check_degrees(raw, field, -limit, limit) if given else None
        except InvalidInput as error:
            check.add(field, str(error))
    lat, long = position["lat"], position["long"]
    if not given and address is None and "address_string" not in dict(check.problems):
        check.add("location", "lat and long, or address_string, are required")

    first_name = check.text("first_name", NAME_MAX)
    last_name = check.text("last_name", NAME_MAX)
    email = check.text("email", EMAIL_MAX)
    if email is not None and not _EMAIL.fullmatch(email):
        check.add("email", f"email must look like name@example.com, not {email!r}")
    phone = _check_phone(check)
    media_url = _check_media_url(check)
    attributes = _check_attributes(check)
    if check.problems:
        raise ReportInvalid(check.problems)

    wgs_long, wgs_lat = to_wgs84(long, lat, crs) if lat is not None else (None, None)
    priority, reasons = priority_for(code, description, channel=channel)
    return ValidReport(
        service_code=code,
        description=description,
        lat=wgs_lat,
        long=wgs_long,
        address_string=address,
        crs=crs,
        original_lat=lat,
        original_long=long,
        channel=channel,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        media_url=media_url,
        attributes=attributes,
        priority=priority,
        reasons=tuple(reasons),
    )
