"""The town review as files: CSV, GeoJSON and PNG of what the /review screen shows.

The HTTP exports (api/review_export.py) and the print view serve these.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.review_query import LOCAL
from layers.review_png import picture_titles, review_png
from services.feeds import feature_collection, geometry_json
from services.geometry_cache import PerGeometry
from services.map_image import MAP_IMAGES, image_key
from services.review_tables import HEADERS, RATES, category_name, channel_name

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filter_words(review, lang: str, now: dt.datetime) -> list[tuple[str, str]]:
    """The query in words: (label, value) rows, for the summary sheet and the print view."""
    zh = lang == "zh"
    query = review.query
    every = "全部" if zh else "All"
    categories = "、".join(category_name(c, lang) for c in query.categories) or every
    channels = "、".join(channel_name(c, lang) for c in query.channels) or every
    metric = review.metric
    days = f"（{query.period.days}天）" if zh else f" ({query.period.days} days)"
    rows = [
        ("范围" if zh else "Area", " › ".join(review.names.values())),
        ("时间" if zh else "Period", query.period.label(lang) + days),
        ("类别" if zh else "Categories", categories),
        ("渠道" if zh else "Channels", channels),
        (
            "地图指标" if zh else "Map metric",
            f"{metric.label(lang)}（{metric.unit(lang)}）"
            if zh
            else f"{metric.label(lang)} ({metric.unit(lang)})",
        ),
        ("生成时间" if zh else "Generated", now.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")),
    ]
    if review.notice == "empty":
        rows.append(
            (
                "说明" if zh else "Note",
                "所选时段和范围内没有诉求。" if zh else "No incidents in this period and area.",
            )
        )
    return rows


def download_names(review, lang: str, ext: str) -> tuple[str, str]:
    """File names people recognise: area and period (Chinese, and an ASCII fallback)."""
    period = review.query.period
    area = "-".join(list(review.names.values())[1:]) or ("全市" if lang == "zh" else "city")
    stem = "网格考核" if lang == "zh" else "review"
    name = f"{stem}_{area}_{period.start}_{period.end}.{ext}"
    code = review.query.code or "city"
    plain_name = f"review_{code}_{period.start}_{period.end}.{ext}"
    return name.replace("/", "-").replace(" ", "_"), plain_name


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns that became floats (a missing value) back to whole numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and len(values.dropna()):
            finite = values.dropna().to_numpy(float)
            if (
                np.all(np.isfinite(finite))
                and np.all(finite == np.round(finite))
                and _key(column)
                not in RATES | {"per_1000", "contact_h", "resolve_h", "ratio", "expected", "q"}
            ):
                out[column] = values.astype("Int64")
    return out


_KEY_OF = {label: key for key, pair in HEADERS.items() for label in pair}


def _key(header: str) -> str:
    """The column key of a display header (either language)."""
    return _KEY_OF.get(header, header)


def csv_text(frame: pd.DataFrame) -> str:
    """UTF-8 with a byte-order mark (so Excel in China reads it right), CRLF rows;
    text that a spreadsheet would run as a formula is quoted with a leading '."""
    safe = plain(frame).copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return "\ufeff" + safe.to_csv(index=False, lineterminator="\r\n")


def property_name(header: str) -> str:
    """Stable English property keys: closure_rate_pct for a rate shown in percent."""
    key = _key(header)
    return f"{key}_pct" if key in RATES else key


def grid_shapes(store, review) -> dict[str, str]:
    """GeoJSON geometry texts (WGS84, RFC 7946 winding) of the review's grids, by code."""
    shapes = store.grids(town=review.query.town)
    shapes = shapes[shapes["code"].isin(set(review.grids["code"]))]
    texts = geometry_json(shapes.geometry.to_numpy())
    return {code: text or "null" for code, text in zip(shapes["code"], texts, strict=True)}


def geojson_text(store, review, grids: pd.DataFrame, now: dt.datetime, lang: str = "zh") -> str:
    """The grids table as features: every column a property, the query as members."""
    code_header = next(c for c in grids.columns if _key(c) == "code")
    props = plain(grids).rename(columns={c: property_name(c) for c in grids.columns})
    codes = grids[code_header].astype(str)
    extra = review.grids.set_index(review.grids["code"].astype(str))
    for column in ("town_code", "community_code", "community_name"):
        if column in extra.columns:
            props[column] = codes.map(extra[column]).to_numpy()
    shapes = grid_shapes(store, review)
    query = review.query
    members = {
        "name": " › ".join(review.names.values()),
        "metric": query.metric,
        "metric_name": review.metric.label(lang),
        "period": {"from": query.period.start.isoformat(), "to": query.period.end.isoformat()},
        "area": {"level": query.level, "code": query.code, "town": query.town},
        "categories": list(query.categories),
        "channels": list(query.channels),
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if review.bounds:
        members["bbox"] = [round(v, 6) for v in review.bounds]
    return feature_collection([shapes.get(code, "null") for code in codes], props, **members)


def map_png(store, review, lang: str, width: int, height: int, scale: float = 1) -> bytes:
    """The screen's map of ``review`` laid out at ``width`` × ``height`` pixels
    (the picture has ``scale`` times as many each way), drawn on the server.

    Only the review's area is drawn: its grids, and its town alone when the
    review is of one town (always so for a town leader), else every town.
    """
    grid_shapes, town_shapes = city_shapes(store)
    codes = review.grids["code"].astype(str)
    metric = review.metric
    grids = gpd.GeoDataFrame(
        {"code": codes.to_numpy(), metric.code: review.grids[metric.code].to_numpy()},
        geometry=grid_shapes.reindex(codes.to_numpy()).to_numpy(),
        crs="EPSG:4326",
    )
    town = review.query.town
    towns = town_shapes[town_shapes["code"] == town] if town else town_shapes
    period = {code: review.query.period.label(code) for code in ("zh", "en")}
    titles, town_names = picture_titles(
        list(review.names.values()), metric, period, lang, review.query.code
    )
    selected = review.query.code if review.query.level == "grid" else None
    hot = review.hot_spots if len(review.hot_spots) else None
    key = image_key(
        store.geometry_version(),
        str(store.engine.url),  # the database, not id(store): a freed store's id is reused
        width,
        height,
        scale,
        titles,
        town_names,
        review.bounds,
        selected,
        metric.code,
        towns["code"].tolist(),
        codes.str.cat(sep=","),
        pd.to_numeric(review.grids[metric.code], errors="coerce").to_numpy(float).tobytes(),
        None if hot is None else hot[["lon", "lat"]].to_numpy(float).tobytes(),
    )
    return MAP_IMAGES.png(
        key,
        lambda: review_png(
            grids,
            towns,
            metric=metric,
            titles=titles,
            town_names=town_names,
            bounds=review.bounds,
            width=width,
            height=height,
            scale=scale,
            selected=selected,
            hot=hot,
        ),
    )


def _read_shapes(store) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame]:
    grids = store.grids()
    return (
        grids.set_index(grids["code"].astype(str)).geometry,
        store.towns()[["code", "name", "geometry"]],
    )


# city_shapes(store): every grid's polygon by code, and the towns (code, name,
# geometry), read again only when a boundary changed.
city_shapes = PerGeometry(_read_shapes)
