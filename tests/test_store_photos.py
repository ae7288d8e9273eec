"""Photos' rows on SQLite and PostgreSQL (data/store_photos.py), written through
services.photos.save_photo into a real folder media store."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from data.media_store import LocalMediaStore
from data.store_dispatch import Assignment
from domain.errors import InvalidInput, NotFound
from services.photos import save_photo
from tests.test_photos import camera_exif, image_bytes

MB = 1_000_000


def incident_id(store, public_id: str) -> int:
    return int(store.incident_by_public_id(public_id)["id"])


def test_a_saved_photo_is_in_the_media_store_the_row_the_audit_and_the_feed(city_store, tmp_path):
    store, media = city_store, LocalMediaStore(tmp_path / "media")
    t1 = incident_id(store, "T1")
    seq = store.latest_seq()
    sent = image_bytes("JPEG", size=(3000, 2000), exif=camera_exif(120.005, 36.005))
    answer = save_photo(store, media, t1, sent, actor="cadre:张伟", max_bytes=10 * MB)
    photo_id = answer["id"]
    assert answer == {
        "id": photo_id,
        "url": f"/media/photos/{photo_id}",
        "thumb_url": f"/media/photos/{photo_id}/thumb",
        "exif_lon": pytest.approx(120.005),
        "exif_lat": pytest.approx(36.005),
        "width": 2048,
        "height": 1365,
    }
    row = store.photo(photo_id)
    assert row["incident_id"] == t1 and row["town_code"] == "370281001"
    assert row["uploaded_by"] == "cadre:张伟" and row["content_type"] == "image/jpeg"
    assert row["taken_at"] == dt.datetime(2026, 6, 12, 1, 30, tzinfo=dt.UTC)
    data, content_type = media.get(row["sha256"])
    assert content_type == "image/jpeg" and len(data) == row["bytes"]
    with Image.open(io.BytesIO(media.get(row["thumb_sha256"])[0])) as thumb:
        assert max(thumb.size) == 320
    changes = store.changes_since(seq)
    assert list(changes["entity"]) == ["photo"]
    assert changes["payload"].iloc[0] == {"id": photo_id, "incident_id": t1}
    audit = store.audit(1).iloc[0]
    assert (audit["action"], audit["actor"], audit["entity_id"]) == (
        "add_photo",
        "cadre:张伟",
        str(photo_id),
    )


def test_photos_of_incidents_oldest_first(city_store, tmp_path):
    store, media = city_store, LocalMediaStore(tmp_path)
    t1, t4 = incident_id(store, "T1"), incident_id(store, "T4")
    first = save_photo(store, media, t1, image_bytes("PNG"), actor="a", max_bytes=MB)["id"]
    second = save_photo(store, media, t1, image_bytes("WEBP"), actor="a", max_bytes=MB)["id"]
    third = save_photo(store, media, t4, image_bytes("JPEG"), actor="a", max_bytes=MB)["id"]
    frame = store.photos_of([t4, t1, 99999])
    assert list(frame["id"]) == [first, second, third]
    assert list(frame["incident_id"]) == [t1, t1, t4]
    assert list(frame["content_type"]) == ["image/png", "image/webp", "image/jpeg"]
    assert frame["exif_lon"].isna().all()  # these had no position
    assert store.photos_of([]).empty and "sha256" in store.photos_of([]).columns


def test_the_same_photo_twice_is_two_rows_of_the_same_bytes(city_store, tmp_path):
    """A retried upload that got through twice: the bytes are stored once."""
    store, media = city_store, LocalMediaStore(tmp_path)
    t1 = incident_id(store, "T1")
    sent = image_bytes("JPEG", exif=camera_exif())
    a = save_photo(store, media, t1, sent, actor="a", max_bytes=MB)
    b = save_photo(store, media, t1, sent, actor="a", max_bytes=MB)
    assert a["id"] != b["id"]
    assert store.photo(a["id"])["sha256"] == store.photo(b["id"])["sha256"]
    assert len(list(tmp_path.rglob("*.type"))) == 2  # the photo and its thumbnail


def test_a_bad_photo_writes_nothing(city_store, tmp_path):
    store, media = city_store, LocalMediaStore(tmp_path / "media")
    seq = store.latest_seq()
    with pytest.raises(InvalidInput):
        save_photo(store, media, incident_id(store, "T1"), b"not a photo", actor="a", max_bytes=MB)
    assert store.changes_since(seq).empty
    assert not (tmp_path / "media").exists()


def test_a_photo_of_an_unknown_incident_is_not_found(city_store, tmp_path):
    store = city_store
    seq = store.latest_seq()
    with pytest.raises(NotFound):
        save_photo(
            store, LocalMediaStore(tmp_path), 99999, image_bytes("PNG"), actor="a", max_bytes=MB
        )
    assert store.changes_since(seq).empty
    assert store.photo(1) is None


def test_a_photo_row_must_be_whole(city_store):
    with pytest.raises(ValueError, match="exactly"):
        city_store.add_photo(incident_id(city_store, "T1"), {"sha256": "ab"}, actor="a")


def test_who_was_sent_to_an_incident(city_store):
    store = city_store
    t1, t2 = incident_id(store, "T1"), incident_id(store, "T2")
    assert not store.was_sent_to(1, t1)
    store.dispatch([Assignment(t1, 1)], actor="调度员")
    assert store.was_sent_to(1, t1)
    assert not store.was_sent_to(1, t2) and not store.was_sent_to(2, t1)


def test_a_checked_photo_is_a_row_as_it_is(city_store):
    """The field app hands the checked photo itself (inside its own transaction)."""
    from services.photos import check_photo

    checked = check_photo(image_bytes("WEBP", exif=camera_exif()), max_bytes=MB)
    photo_id = city_store.add_photo(incident_id(city_store, "T1"), checked, actor="cadre:张伟")
    row = city_store.photo(photo_id)
    assert (row["sha256"], row["bytes"], row["content_type"]) == (
        checked.sha256,
        len(checked.data),
        "image/webp",
    )
    assert row["exif_lat"] == pytest.approx(checked.exif_lat)
