"""Open311 GeoReport v2 bodies in its two formats, JSON and XML, and its error shape.

The spec's XML wraps a list in a plural root with one singular element per
item (``<services><service>…``); nested lists do the same (``<attributes>
<attribute>``). Booleans are ``true``/``false``; missing values are empty.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Plural element -> the element of each item inside it.
_ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def render(value, fmt: str, root: str) -> str:
    """Serialise ``value`` (a list of dicts, or a dict) as JSON or as XML under ``root``."""
    if fmt == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    element = ET.Element(root)
    _fill(element, value, root)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="unicode")


def errors_body(status: int, message: str, fmt: str) -> str:
    """The spec's error list: ``[{"code": 400, "description": "..."}]``."""
    return render([{"code": status, "description": message}], fmt, "errors")


def _fill(element: ET.Element, value, name: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item, key)
    elif isinstance(value, list | tuple):
        item_name = _ITEM_OF.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, item_name), item, item_name)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
