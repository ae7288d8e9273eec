"""Records of the Open311 responses, and the filters of GET requests."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from api.params import parse_time
from domain.errors import InvalidInput
from domain.lifecycle import OPEN_STATUSES, STATUSES, status_name
from domain.services import Service, service

MAX_RESULTS = 1000  # the spec's suggested cap per response
DEFAULT_WINDOW = dt.timedelta(days=90)  # the spec's default and largest date range
AGENCY = "胶州市网格化服务管理指挥中心"


def service_record(s: Service) -> dict:
    """A service in the list of GET services."""
    return {
        "service_code": s.code,
        "service_name": s.category.zh,
        "description": s.category.en,
        "metadata": bool(s.attributes),
        "type": "realtime",
        "keywords": ",".join(s.keywords),
        "group": s.group,
    }


def service_definition(s: Service) -> dict:
    """GET services/{code}: the questions of a service."""
    return {
        "service_code": s.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": key, "name": name} for key, name in a.values],
            }
            for a in s.attributes
        ],
    }


MAX_MERGE_HOPS = 8  # a duplicate of a duplicate of …: followed this far


def follow_merges(rows_by_id: dict, fetch) -> dict:
    """For each duplicate in ``rows_by_id``, the incident it was finally merged into.

    ``fetch(ids)`` returns rows (dicts with ``id``) of incidents by id; it is
    called once per hop of merges, not once per duplicate. A duplicate's
    reporter follows the incident it was merged into: its status and deadline
    become theirs. Returns {duplicate id: original row}.
    """

    def target_of(row):
        target = row.get("merged_into")
        if row.get("status") != "duplicate" or target is None or pd.isna(target):
            return None
        return int(target)

    known = dict(rows_by_id)
    heads = {key: row for key, row in rows_by_id.items() if target_of(row) is not None}
    for _ in range(MAX_MERGE_HOPS):
        wanted = {target_of(row) for row in heads.values()} - {None} - set(known)
        if wanted:
            known.update({r["id"]: r for r in fetch(sorted(wanted))})
        moved = False
        for key, row in heads.items():
            target = target_of(row)
            if target is not None and target in known:
                heads[key], moved = known[target], True
        if not moved:
            break
    return {key: row for key, row in heads.items() if row is not rows_by_id[key]}


def request_record(
    row: dict, extended: bool = False, original: dict | None = None, photo_url: str | None = None
) -> dict:
    """One incident as an Open311 service request.

    Its ``media_url`` is ``photo_url`` (its first photo from the field, as
    evidence) when it has one, else the address its reporter gave.

    A duplicate given its ``original`` reports the original's status,
    deadline and last update, and says in status_notes which request it was
    merged into, so its reporter follows the one incident that gets fixed.
    """
    category = service(row["category"]).category if row["category"] else None
    status = row["status"]
    notes = f"{status_name(status, 'zh')} {status_name(status, 'en')}"
    followed = row
    if original is not None:
        followed = original
        status = original["status"]
        notes = (
            f"已合并至 {original['public_id']}（{status_name(status, 'zh')}） "
            f"merged into {original['public_id']} ({status_name(status, 'en')})"
        )
    record = {
        "service_request_id": row["public_id"],
        "status": "open" if status in OPEN_STATUSES else "closed",
        "status_notes": notes,
        "service_name": category.zh if category else "",
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": AGENCY,
        "service_notice": "",
        "requested_datetime": _iso(row.get("reported_at")),
        "updated_datetime": _iso(max_time(row.get("updated_at"), followed.get("updated_at"))),
        "expected_datetime": _iso(followed.get("due_resolve_at")),
        "address": row.get("address") or "",
        "address_id": "",
        "zipcode": "",
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": photo_url or row.get("media_url") or "",
    }
    if extended:
        record["extended_attributes"] = {
            "channel": row["channel"],
            "priority": int(row["priority"]),
            "lifecycle_status": row["status"],
            "grid_code": row.get("grid_code") or "",
            "town_code": row.get("town_code") or "",
            "due_contact_datetime": _iso(row.get("due_contact_at")),
            "first_contact_datetime": _iso(row.get("first_contact_at")),
            "coordinate_system": row.get("orig_crs") or "wgs84",
            "original_lat": _number(row.get("orig_lat")),
            "original_long": _number(row.get("orig_lon")),
            "attributes": json.loads(row["attributes"]) if row.get("attributes") else {},
            "merged_into": original["public_id"] if original is not None else "",
        }
    return record


def parse_filters(args, now: dt.datetime) -> dict:
    """GET requests' filters as keyword arguments of ``Store.incidents``.

    ``service_request_id`` (a comma list) overrides the others, as the spec
    says. Without dates the last 90 days are searched; a range may not be
    longer than 90 days.
    """
    ids = [v.strip() for v in (args.get("service_request_id") or "").split(",") if v.strip()]
    if ids:
        return {"public_ids": ids}
    filters: dict = {}
    codes = [v.strip() for v in (args.get("service_code") or "").split(",") if v.strip()]
    for code in codes:
        service(code)  # unknown codes get a clear 400
    if codes:
        filters["categories"] = codes
    start = parse_time(args.get("start_date"), "start_date")
    end = parse_time(args.get("end_date"), "end_date")
    if start and end and start > end:
        raise InvalidInput("start_date must not be after end_date")
    if start and end and end - start > DEFAULT_WINDOW:
        raise InvalidInput("start_date and end_date may be at most 90 days apart")
    if start is None:
        start = (end or now) - DEFAULT_WINDOW
    filters["reported"] = (start, end)
    wanted = [v.strip() for v in (args.get("status") or "").split(",") if v.strip()]
    if wanted:
        unknown = [v for v in wanted if v not in ("open", "closed")]
        if unknown:
            raise InvalidInput(f"status must be open or closed, not {unknown[0]!r}")
        statuses: set[str] = set()
        if "open" in wanted:
            statuses |= OPEN_STATUSES
        if "closed" in wanted:
            statuses |= set(STATUSES) - OPEN_STATUSES
        filters["statuses"] = sorted(statuses)
    return filters


def _iso(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def max_time(a, b):
    """The later of two timestamps, either of which may be missing."""
    present = [v for v in (a, b) if v is not None and not pd.isna(v)]
    return max(present, key=pd.Timestamp) if present else None


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
