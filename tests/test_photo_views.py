"""Photos where people look at incidents: the console's incident detail shows
their thumbnails, each a link to the photo; the review's list of a grid's
incidents gives each resolved one its proof photo. On SQLite and PostgreSQL,
with a real folder media store."""

from __future__ import annotations

import json

from plotly.utils import PlotlyJSONEncoder

from dashboard.console_view import detail_children, incident_detail
from dashboard.review_view import grid_data
from data.media_store import LocalMediaStore
from services.photos import save_photo
from services.review import build_review
from services.review_tables import review_tables
from tests.test_photos import camera_exif, image_bytes
from tests.test_review_store import CITY, JUNE, NOW, query, review_city

MB = 1_000_000


def add_photo(store, media, public_id: str, fmt: str = "JPEG") -> int:
    incident = int(store.incident_by_public_id(public_id)["id"])
    sent = image_bytes(fmt, exif=camera_exif())
    return save_photo(store, media, incident, sent, actor="cadre:张伟", max_bytes=MB)["id"]


def rendered(children) -> str:
    return json.dumps(children, cls=PlotlyJSONEncoder, ensure_ascii=False)


def test_the_console_detail_shows_thumbnails_linking_to_the_photos(city_store, tmp_path):
    store, media = city_store, LocalMediaStore(tmp_path)
    t1 = int(store.incident_by_public_id("T1")["id"])
    first, second = add_photo(store, media, "T1"), add_photo(store, media, "T1", "PNG")
    detail = incident_detail(store, t1, "zh")
    assert [p["id"] for p in detail["photos"]] == [first, second]
    html = rendered(detail_children(detail, "zh"))
    for photo_id in (first, second):
        assert f'"href": "/media/photos/{photo_id}"' in html
        assert f'"src": "/media/photos/{photo_id}/thumb"' in html
    assert "现场照片" in html and "T1 的现场照片 2" in html
    assert "Photos from the field" in rendered(detail_children(detail, "en"))


def test_the_console_detail_of_an_incident_without_photos_has_no_photo_heading(city_store):
    t2 = int(city_store.incident_by_public_id("T2")["id"])
    detail = incident_detail(city_store, t2, "zh")
    assert detail["photos"] == []
    assert "现场照片" not in rendered(detail_children(detail, "zh"))


def test_the_review_lists_resolved_incidents_with_their_proof_photo(store, tmp_path):
    store.load_city(review_city())
    media = LocalMediaStore(tmp_path)
    proof = add_photo(store, media, "T5")  # closed, in grid A-2
    add_photo(store, media, "T1")  # registered, in grid A-1: not done, no proof yet
    done = build_review(store, query(**JUNE, grid="A-2"), CITY, now=NOW)
    assert done.incidents.set_index("public_id")["photo"].to_dict() == {
        "T5": f"/media/photos/{proof}"
    }
    open_work = build_review(store, query(**JUNE, grid="A-1"), CITY, now=NOW)
    assert open_work.incidents["photo"].isna().all()

    tables = {t.key: t for t in review_tables(done, store.review_units()["towns"], "zh")}
    rows, columns = grid_data(tables["incidents"])
    column = next(c for c in columns if c["field"] == "现场照片")
    assert column["cellRenderer"] == "markdown" and column["linkTarget"] == "_blank"
    assert rows[0]["现场照片"] == f"[#{proof}](/media/photos/{proof})"
    assert tables["incidents"].frame["现场照片"].tolist() == [f"/media/photos/{proof}"]  # exports
