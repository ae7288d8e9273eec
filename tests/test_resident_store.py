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
