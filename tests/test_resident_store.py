"""The store's part for the residents' page, on SQLite and PostgreSQL: a report,
its photos and its follower are one transaction; the resident client cannot
sign in; a rating or a "me too" refused writes nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from data import schema
from domain.errors import Conflict, InvalidInput, NotFound
from services import intake
from services.photos import check_photo
from services.resident import new_token

TABLES = ("incidents", "photos", "resident_follows", "audit_log", "change_feed")


def counts(store) -> dict:
    with store.engine.connect() as conn:
        return {
            name: conn.execute(
                select(func.count()).select_from(schema.metadata.tables[name])
            ).scalar()
            for name in TABLES
        }


def photo():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 10)).save(out, "JPEG")
    return check_photo(out.getvalue(), max_bytes=100_000)


FIELDS = {
    "service_code": "fire_lane",
    "description": "消防通道被堵",
    "long": "120.005",
    "lat": "36.005",
    "channel": "app",
    "phone": "13912345678",
}


def answer(public_id, notice):
    return 201, "{}", "application/json"


def test_a_report_its_photo_and_its_follower_are_stored_together_or_not_at_all(city_store):
    store = city_store
    client = store.resident_client()
    with store.engine.connect() as conn:
        revoked = conn.execute(
            select(schema.api_keys.c.revoked_at).where(schema.api_keys.c.id == client.id)
        ).scalar()
    assert revoked is not None  # revoked from birth: no key can ever sign in as it
    assert store.resident_client() == client
    before = counts(store)
    _, hashed = new_token()
    writes = store.resident_report_writes(hashed, "phone", [photo()], actor="resident")
    _, public_id = intake.store_report(store, FIELDS, client, None, answer, then=writes)
    after = counts(store)
    assert after["incidents"] == before["incidents"] + 1
    assert after["photos"] == before["photos"] + 1
    assert after["resident_follows"] == before["resident_follows"] + 1
    assert store.followed_case(hashed)["public_id"] == public_id

    more = store.resident_report_writes(new_token()[1], "phone", [photo()], actor="resident")

    def broken(conn, incident_id):  # fails after the photo's and the follower's writes
        more(conn, incident_id)
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        intake.store_report(store, FIELDS, client, None, answer, then=broken)
    assert counts(store) == after


def test_me_too_and_rating_refusals_write_nothing(city_store):
    store = city_store
    client = store.resident_client()
    _, hashed = new_token()
    writes = store.resident_report_writes(hashed, "phone", [], actor="resident")
    _, public_id = intake.store_report(store, FIELDS, client, None, answer, then=writes)
    incident_id = store.followed_case(hashed)["id"]
    before = counts(store)
    with pytest.raises(NotFound):
        store.add_me_too("NO-SUCH", new_token()[1], "neighbour")
    with pytest.raises(InvalidInput, match="resolved"):
        store.resident_rate(incident_id, 1, "")  # not resolved yet
    with pytest.raises(NotFound):
        store.lookup_case(public_id, "0000", new_token()[1], "phone")
    assert counts(store) == before
    store.add_me_too(public_id, new_token()[1], "neighbour")
    assert store.me_too_counts([incident_id]) == {incident_id: 1}
    middle = counts(store)
    with pytest.raises(Conflict):
        store.add_me_too(public_id, new_token()[1], "neighbour")
    assert counts(store) == middle


def test_the_console_shows_a_residents_answers_and_how_many_said_me_too(city_store):
    """The dispatcher reads what the resident answered (积水深度 没过膝盖, someone
    trapped) by name, and how many neighbours said "me too", in zh and en."""
    from dashboard.console_view import detail_children, incident_detail
    from tests.test_photo_views import rendered

    store = city_store
    client = store.resident_client()
    fields = {**FIELDS, "service_code": "waterlogging", "description": "地道积水"}
    fields.update({"attribute[depth]": "knee", "attribute[people_trapped]": "yes"})
    writes = store.resident_report_writes(new_token()[1], "reporter", [], actor="resident")
    _, public_id = intake.store_report(store, fields, client, None, answer, then=writes)
    incident_id = int(store.incident_by_public_id(public_id)["id"])
    zh = rendered(detail_children(incident_detail(store, incident_id, "zh"), "zh"))
    assert "积水深度" in zh and "没过膝盖" in zh and "是否有人被困" in zh
    assert '"有"' in zh and "knee" not in zh and "居民附议" not in zh
    for n in (1, 2):
        store.add_me_too(public_id, new_token()[1], f"neighbour-{n}")
    zh = rendered(detail_children(incident_detail(store, incident_id, "zh"), "zh"))
    assert "居民附议" in zh and "另有 2 人也遇到了" in zh and "knee" not in zh
    en = rendered(detail_children(incident_detail(store, incident_id, "en"), "en"))
    assert "How deep is the water?" in en and '"Knee"' in en
    assert "2 other residents reported it too" in en and "a resident: me too" in en
