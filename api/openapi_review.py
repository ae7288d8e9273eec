"""OpenAPI paths of the town review's exports (merged into ``api.openapi``)."""

from __future__ import annotations

from api.openapi_parts import ERROR, json_answer, query
from api.review_export import PNG_MAX, PNG_MIN, PNG_SIZE, TABLE_KEYS, XLSX
from domain.categories import CATEGORIES, CHANNELS
from domain.review_metrics import METRICS
from domain.review_query import QUICK_PICKS

_FILE = {"type": "string", "format": "binary"}
_CODE = {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,32}$"}


QUERY = [
    query(
        "period",
        "a quick pick (default month); custom takes from/to",
        {"type": "string", "enum": list(QUICK_PICKS)},
    ),
    query(
        "from",
        "first day, Asia/Shanghai (from alone runs to today)",
        {"type": "string", "format": "date"},
    ),
    query(
        "to",
        "last day, included (to alone starts on the first of its month)",
        {"type": "string", "format": "date"},
    ),
    query(
        "metric",
        "what the map is coloured by and tables ranked on (default incidents)",
        {"type": "string", "enum": list(METRICS)},
    ),
    query("town", "town code; a town leader's own town whatever is asked", _CODE),
    query("community", "community code (the area becomes that community)", _CODE),
    query("grid", "grid code (the area becomes that grid; the map shows its community)", _CODE),
    query(
        "category",
        "comma list of categories, e.g. " + ",".join(c.code for c in CATEGORIES[:2]),
        {"type": "string"},
    ),
    query("channel", f"comma list of channels: {', '.join(CHANNELS)}", {"type": "string"}),
    query(
        "lang", "language of headers, names and labels", {"type": "string", "enum": ["zh", "en"]}
    ),
]
_REFUSED = {
    "400": json_answer(
        ERROR, "an argument cannot be read, or from is after to; nothing is written"
    ),
    "404": json_answer(ERROR, "no such town, community or grid"),
}


def _export(
    summary: str,
    media: str,
    extra: list[dict] | None = None,
    more: dict | None = None,
    schema: dict = _FILE,
) -> dict:
    return {
        "get": {
            "summary": summary,
            "tags": ["Review"],
            "parameters": QUERY + (extra or []),
            "responses": {
                "200": {
                    "description": "the file, as an attachment",
                    "content": {media: {"schema": schema}},
                },
                **_REFUSED,
                **(more or {}),
            },
        }
    }


PATHS = {
    "/api/v1/review/export.xlsx": _export(
        "The review as Excel: a summary sheet (the query in words, the headline figures), "
        "then one sheet per table, Chinese headers by default",
        XLSX,
    ),
    "/api/v1/review/export.csv": _export(
        "One table of the review as CSV (UTF-8 with a byte-order mark)",
        "text/csv",
        [
            query(
                "table",
                "which table (default grids); a table the review has",
                {"type": "string", "enum": list(TABLE_KEYS)},
            )
        ],
    ),
    "/api/v1/review/export.geojson": _export(
        "The grids of the review's map with their figures as properties (RFC 7946, WGS84); "
        "the query in members metric, period, area",
        "application/geo+json",
        schema={"$ref": "#/components/schemas/FeatureCollection"},
    ),
    "/api/v1/review/export.png": _export(
        "The review's map as a PNG, drawn as the screen draws it",
        "image/png",
        [
            query(
                "width",
                f"pixels (default {PNG_SIZE[0]})",
                {"type": "integer", "minimum": PNG_MIN, "maximum": PNG_MAX},
            ),
            query(
                "height",
                f"pixels (default {PNG_SIZE[1]})",
                {"type": "integer", "minimum": PNG_MIN, "maximum": PNG_MAX},
            ),
        ],
        {
            "503": {
                **json_answer(ERROR, "the map could not be drawn in time; try again"),
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            }
        },
    ),
}
