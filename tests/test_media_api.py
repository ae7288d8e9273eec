"""GET /media/photos/<id>[/thumb] over real HTTP (api/media.py): a photo goes
only to callers who may see its incident, and to nobody else, not even as a
403 that would say it exists."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from api.media import MEDIA_STORE
from app import create_app
from data.store_dispatch import Assignment
from services.photos import save_photo
from settings import Settings
from tests.servers import add_user, signed_in_session, thread_server
from tests.test_photos import camera_exif, image_bytes
from tests.tiny_city import tiny_city

TOWN_A, TOWN_B = "370281001", "370281002"  # T1 lies in town A


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media_api")
    app = create_app(
        Settings.from_env(
            {"DATABASE_URL": f"sqlite:///{folder / 'grid.db'}", "GC_MEDIA": str(folder / "media")}
        )
    )
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    t1 = int(store.incident_by_public_id("T1")["id"])
    photo = save_photo(
        store,
        app.server.extensions[MEDIA_STORE],
        t1,
        image_bytes("JPEG", size=(1600, 1200), exif=camera_exif()),
        actor="test",
        max_bytes=10_000_000,
    )
    store.dispatch([Assignment(t1, 1)], actor="调度员")  # 张伟 (13800000001) is sent to T1
    phones = {}
    for cadre, phone in (("sent", "13800000001"), ("not_sent", "13800000003")):
        invite, _ = store.create_field_invite(phone, actor="test")
        phones[cadre], _ = store.redeem_field_invite(invite)
    for role, town in (("town_leader", TOWN_A), ("town_leader", TOWN_B), ("city_leader", None)):
        add_user(store, role, town)
    keys = {
        "display": store.create_api_key("大屏", actor="test", scopes="display"),
        "display_b": store.create_api_key("乙镇大屏", actor="test", scopes="display", town=TOWN_B),
        "field": store.create_api_key("外勤", actor="test", scopes="field"),
    }
    with thread_server(app.server) as base:
        yield {"base": base, "photo": photo, "sessions": phones, "keys": keys, "store": store}
    store.close()


def url(served, thumb: bool = False, photo_id: int | None = None) -> str:
    photo_id = served["photo"]["id"] if photo_id is None else photo_id
    return f"{served['base']}/media/photos/{photo_id}" + ("/thumb" if thumb else "")


def as_cadre(served, who: str, path: str) -> requests.Response:
    return requests.get(path, cookies={"gc_field": served["sessions"][who]}, timeout=30)


def as_key(served, key: str, path: str, **kw) -> requests.Response:
    return requests.get(path, headers={"X-API-Key": served["keys"][key]}, timeout=30, **kw)


@pytest.mark.parametrize("thumb", [False, True])
def test_a_viewer_gets_the_photo_with_its_headers(served, thumb):
    answer = as_key(served, "display", url(served, thumb))
    assert answer.status_code == 200
    row = served["store"].photo(served["photo"]["id"])
    key = row["thumb_sha256"] if thumb else row["sha256"]
    assert answer.headers["Content-Type"] == "image/jpeg"
    assert answer.headers["ETag"] == f'"{key}"'
    assert answer.headers["Cache-Control"].startswith("private")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(answer.content)) as shown:
        assert shown.size == ((320, 240) if thumb else (1600, 1200))
        assert dict(shown.getexif()) == {}
    unchanged = requests.get(
        url(served, thumb),
        headers={"X-API-Key": served["keys"]["display"], "If-None-Match": f'"{key}"'},
        timeout=30,
    )
    assert unchanged.status_code == 304 and unchanged.content == b""


def test_town_leaders_see_their_own_towns_photos_only(served):
    own = signed_in_session(served["base"], f"town_leader-{TOWN_A}")
    other = signed_in_session(served["base"], f"town_leader-{TOWN_B}")
    city = signed_in_session(served["base"], "city_leader-city")
    assert own.get(url(served), timeout=30).status_code == 200
    assert city.get(url(served, thumb=True), timeout=30).status_code == 200
    refused = other.get(url(served), timeout=30)
    assert refused.status_code == 404  # as if there were no such photo
    missing = other.get(url(served, photo_id=999999), timeout=30)
    assert missing.status_code == 404
    assert refused.json()["error"]["message_zh"] == missing.json()["error"]["message_zh"]
    assert refused.json()["error"]["message"] == f"no photo {served['photo']['id']}"
    assert as_key(served, "display_b", url(served)).status_code == 404


def test_a_cadre_sees_the_photos_of_incidents_they_were_sent_to_only(served):
    assert as_cadre(served, "sent", url(served)).status_code == 200
    assert as_cadre(served, "sent", url(served, thumb=True)).status_code == 200
    assert as_cadre(served, "not_sent", url(served)).status_code == 404
    assert as_cadre(served, "not_sent", url(served, thumb=True)).status_code == 404
    assert as_cadre(served, "sent", url(served, photo_id=999999)).status_code == 404


def test_nobody_and_callers_without_view_are_refused(served):
    nobody = requests.get(url(served), timeout=30)
    assert nobody.status_code == 401
    assert as_key(served, "field", url(served)).status_code == 403  # positions only
    forged = requests.get(url(served), cookies={"gc_field": "not-a-session"}, timeout=30)
    assert forged.status_code == 401
    assert as_key(served, "display", url(served, photo_id=999999)).status_code == 404


def test_open311_media_url_is_the_first_photo_on_the_host_asked(served):
    """A request with photos points its media_url at the first one (JSON and
    XML alike), which a viewer can then fetch; one without keeps what its
    reporter gave (here nothing)."""
    from xml.etree import ElementTree as ET

    first = f"{served['base']}/media/photos/{served['photo']['id']}"
    listing = as_key(
        served,
        "display",
        f"{served['base']}/open311/v2/requests.json",
        params={"service_request_id": "T1,T3"},
    )
    assert listing.status_code == 200
    urls = {r["service_request_id"]: r["media_url"] for r in listing.json()}
    assert urls == {"T1": first, "T3": ""}
    xml = as_key(served, "display", f"{served['base']}/open311/v2/requests/T1.xml")
    assert xml.status_code == 200
    assert ET.fromstring(xml.content).find("request/media_url").text == first
    assert as_key(served, "display", first).status_code == 200
