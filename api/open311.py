"""Open311 GeoReport v2 at /open311/v2/, with our extensions that keep to the spec.

Extensions: ``coordinate_system`` (wgs84, gcj02, bd09; converted to WGS84 here
and the original kept), ``channel`` (app, hotline, patrol, plaza, sensor; read
back, also proactive: a case the desk opened from a recurring spot), the
``Idempotency-Key`` header on POST, and with ``extensions=true`` on GET an
``extended_attributes`` object per request (priority, grid, town, deadlines).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, Response, current_app, request

from api.open311_format import FORMATS, render
from api.open311_requests import (
    MAX_RESULTS,
    follow_merges,
    parse_filters,
    request_record,
    service_definition,
    service_record,
)
from domain.errors import InvalidInput, NotFound
from domain.services import SERVICES, service
from services import intake
from web.guard import current_principal

PREFIX = "/open311"
JURISDICTIONS = ("370281", "jiaozhou")  # the county's code, and its name
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

blueprint = Blueprint("open311", __name__, url_prefix=PREFIX)


def _store():
    return current_app.extensions["gridcommand.store"]


def _respond(value, fmt: str, root: str, status: int = 200) -> Response:
    return Response(render(value, fmt, root), status=status, content_type=FORMATS[fmt])


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"unknown format {fmt!r}: use .json or .xml")
    return fmt


def _check_jurisdiction(values) -> None:
    wanted = values.get("jurisdiction_id")
    if wanted and wanted not in JURISDICTIONS:
        raise NotFound(f"jurisdiction_id {wanted!r} not found: this server serves 370281")


@blueprint.get("/discovery.<fmt>")
def discovery(fmt: str):
    base = request.host_url.rstrip("/") + PREFIX + "/v2"
    body = {
        "changeset": "2026-11-28T00:00:00Z",
        "contact": "胶州市网格化服务管理指挥中心 Jiaozhou grid command centre",
        "key_service": (
            "API keys are issued by the administrator: "
            "python app.py apikey create NAME --scopes open311"
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": "2026-11-28T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _respond(body, _format(fmt), "discovery")


@blueprint.get("/v2/services.<fmt>")
def services(fmt: str):
    _check_jurisdiction(request.args)
    return _respond([service_record(s) for s in SERVICES], _format(fmt), "services")


@blueprint.get("/v2/services/<code>.<fmt>")
def service_detail(code: str, fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction(request.args)
    try:
        found = service(code)
    except InvalidInput as error:
        raise NotFound(str(error)) from None
    return _respond(service_definition(found), fmt, "service_definition")


@blueprint.post("/v2/requests.<fmt>")
def create_request(fmt: str):
    fmt = _format(fmt)
    if request.is_json:
        raise InvalidInput("send the request form-encoded (application/x-www-form-urlencoded)")
    form = request.form
    store = _store()
    client = current_principal()  # an API key with the open311 scope (web.guard)
    _check_jurisdiction(form)
    fields = {k: v for k, v in form.items() if k not in ("api_key", "jurisdiction_id")}
    claim = None
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        digest = hashlib.sha256(repr((fmt, sorted(fields.items()))).encode()).hexdigest()
        claim = store.claim_idempotency_key(client.id, key, digest)
        if isinstance(claim, intake.Replay):
            return Response(claim.body, status=claim.status, content_type=claim.content_type)
    try:
        notice, public_id = store_report(store, fields, client, claim, fmt)
    except BaseException:
        if claim is not None:
            store.release_idempotency_key(claim)
        raise
    body = [{"service_request_id": public_id, "service_notice": notice, "account_id": None}]
    return Response(render(body, fmt, "service_requests"), status=200, content_type=FORMATS[fmt])


def _answer(fmt: str):
    """How a stored report is answered, kept with its idempotency key for a replay."""

    def answer(public_id: str, notice: str) -> tuple[int, str, str]:
        body = [{"service_request_id": public_id, "service_notice": notice, "account_id": None}]
        return 200, render(body, fmt, "service_requests"), FORMATS[fmt]

    return answer


def store_report(store, fields: dict, client, claim, fmt: str, *, admit=None) -> tuple[str, str]:
    """Store an Open311 report through the intake service; (notice, public id)."""
    return intake.store_report(store, fields, client, claim, _answer(fmt), admit=admit)


@blueprint.get("/v2/requests.<fmt>")
def list_requests(fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction(request.args)
    filters = parse_filters(request.args, now=dt.datetime.now(dt.UTC))
    frame = _store().incidents(limit=MAX_RESULTS, town=current_principal().town, **filters)
    extended = request.args.get("extensions") == "true"
    return _respond(_records(frame, extended), fmt, "service_requests")


def _records(frame, extended: bool) -> list[dict]:
    """Request records of ``frame``; duplicates follow what they were merged into."""
    rows_by_id = {row["id"]: row for row in frame.to_dict("records")}
    store = _store()
    originals = follow_merges(
        rows_by_id, lambda ids: store.incidents(ids=ids, limit=len(ids)).to_dict("records")
    )
    photos = _first_photos(store, rows_by_id)
    return [
        request_record(row, extended, originals.get(key), photo_url=photos.get(key))
        for key, row in rows_by_id.items()
    ]


def _first_photos(store, ids) -> dict:
    """{incident id: the absolute URL of its first photo} for those that have one.

    The URL is on the host the client asked, and serves the photo to callers
    who may see the incident (``api.media``).
    """
    frame = store.photos_of(ids)
    if not len(frame):
        return {}
    base = request.host_url.rstrip("/")
    first = frame.groupby("incident_id")["id"].min()
    return {int(key): f"{base}/media/photos/{int(value)}" for key, value in first.items()}


@blueprint.get("/v2/requests/<public_id>.<fmt>")
def one_request(public_id: str, fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction(request.args)
    frame = _store().incidents(public_ids=[public_id], limit=1, town=current_principal().town)
    if not len(frame):
        raise NotFound(f"no service request {public_id!r}")
    extended = request.args.get("extensions") == "true"
    return _respond(_records(frame, extended), fmt, "service_requests")
