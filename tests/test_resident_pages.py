"""The residents' pages (resident/) as the server sends them: public, in the
page's language, every control labelled, no inline script under the strict
Content-Security-Policy, the position and the camera allowed on them only, and
a service worker scoped to /report that caches the pages and never an answer."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

from app import create_app
from settings import Settings
from tests.tiny_city import tiny_city

PAGES = ("/report", "/report/near", "/report/c/abc123")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("resident-pages")
    settings = Settings.from_env(
        {"DATABASE_URL": f"sqlite:///{workdir / 'grid.db'}", "GC_MEDIA": str(workdir / "m")}
    )
    app = create_app(settings)
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    yield app.server.test_client()
    store.close()


class Page(HTMLParser):
    """The parts of a page the checks read: <html lang>, scripts, controls, labels."""

    def __init__(self):
        super().__init__()
        self.lang, self.scripts, self.controls, self.labelled = None, [], [], set()
        self.label_depth, self.inline_handlers = 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "script":
            self.scripts.append(a)
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.labelled.add(a["for"])
        if tag in ("input", "textarea", "select"):
            self.controls.append((a, self.label_depth > 0))
        self.inline_handlers += [name for name in a if name.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_public_chinese_first_and_english_on_asking(client, path):
    zh = client.get(path)
    assert zh.status_code == 200
    assert parsed(zh.text).lang == "zh-CN"
    assert "我要报事" in zh.text
    en = client.get(f"{path}?lang=en")
    assert parsed(en.text).lang == "en"
    assert "Report a problem" in en.text and "我要报事" not in en.text
    assert f'href="{path}?lang=zh"' in en.text  # the switch back


@pytest.mark.parametrize("path", PAGES)
def test_every_control_is_labelled_and_no_script_is_inline(client, path):
    page = parsed(client.get(path).text)
    for attrs, wrapped in page.controls:
        assert wrapped or attrs.get("id") in page.labelled or attrs.get("aria-label"), attrs
    assert page.inline_handlers == []
    for script in page.scripts:  # a file, or data that never runs
        assert script.get("src") or script.get("type") == "application/json", script


def test_the_pages_run_under_the_strict_policy_and_may_use_position_and_camera(client):
    answer = client.get("/report")
    policy = answer.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "geolocation=(self)" in answer.headers["Permissions-Policy"]
    assert "camera=(self)" in answer.headers["Permissions-Policy"]
    assert "camera=()" in client.get("/login").headers["Permissions-Policy"]
    assert "https://" not in answer.text and "http://" not in answer.text


def test_the_words_for_the_scripts_are_data_in_the_pages_language(client):
    for lang, expected in (("zh", "请选择问题类别"), ("en", "Please choose what it is about")):
        text = client.get(f"/report?lang={lang}").text
        block = re.search(r'<script type="application/json" id="words">(.*?)</script>', text, re.S)
        assert json.loads(block.group(1))["need_service"] == expected


def test_a_token_in_the_address_is_never_markup(client):
    text = client.get("/report/c/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E").text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_service_worker_caches_the_pages_and_files_and_no_answers(client):
    answer = client.get("/report/sw.js")
    assert answer.headers["Service-Worker-Allowed"] == "/report"
    files = json.loads(re.search(r"const FILES = (\[.*?\]);", answer.text).group(1))
    assert "/report" in files and "/report/near?lang=en" in files
    assert not [f for f in files if "/api/" in f or "/report/c/" in f]
    for url in files:  # every file it caches is there
        with client.get(url) as cached:
            assert cached.status_code == 200, url


def test_leaflet_comes_from_here_and_nothing_else_of_the_disk(client):
    with client.get("/report/leaflet/leaflet.js") as script:
        assert script.status_code == 200 and script.data.startswith(b"/* @preserve\n * Leaflet")
    with client.get("/report/leaflet/images/layers.png") as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert client.get("/report/leaflet/../pages.py").status_code == 404
    assert client.get("/report/leaflet/nothing.txt").status_code == 404


def test_leaflet_is_served_without_writing_to_disk(client, monkeypatch, tmp_path):
    """A service account's home may be read-only: the files come from memory."""
    import web.leaflet_files as files

    monkeypatch.setattr(files, "DEFAULT_CACHE", tmp_path / "never")
    files.leaflet_in_memory.cache_clear()
    with client.get("/report/leaflet/leaflet.css") as sheet:
        assert sheet.status_code == 200 and b".leaflet-container" in sheet.data
        assert "max-age=86400" in sheet.headers["Cache-Control"]
    assert not (tmp_path / "never").exists()


def test_the_small_maps_outlines_are_public_and_hold_no_one(client):
    answer = client.get("/report/towns.geojson")
    assert answer.status_code == 200
    towns = answer.get_json()["features"]
    assert towns and set(towns[0]["properties"]) <= {
        "code",
        "name",
        "name_en",
        "kind",
        "population",
        "households",
        "area_km2",
    }
    assert client.get("/api/v1/towns.geojson").status_code in (401, 403)  # that one stays signed-in
