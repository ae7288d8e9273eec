"""The residents' pages against the real server and its public API (no fake):
a resident on a phone (390x844, position set, a photo from the "camera")
reports a blocked fire lane, sees the case number at once, and its follow page
shows the case received; the case is stored once, by the app channel, with its
photo. A neighbour sees it near them and adds "me too", and then follows it.
Screenshots of the real /report at 390x844 and 360x640 go to /tmp/resident-shots/.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from data.media_store import open_media_store
from data.store import Store
from services.photos import save_photo
from tests.servers import app_process
from tests.test_resident_browser import AT, PHONE, SHOTS, SMALL, jpeg, shot
from tests.tiny_city import tiny_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The tiny city served by `python app.py serve`, and its store to check."""
    workdir = tmp_path_factory.mktemp("resident-flow")
    url = f"sqlite:///{workdir / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    env = {
        "DATABASE_URL": url,
        "GC_MEDIA": str(workdir / "media"),
        "GC_TEST_LOG": str(workdir / "server.log"),
    }
    with app_process(env) as base:
        try:
            yield {"base": base, "store": store, "media": str(workdir / "media")}
        finally:
            store.close()


def phone(browser, viewport=PHONE, at=AT):
    """A resident's phone at ``at`` (lon, lat), its position allowed."""
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": at[0], "latitude": at[1], "accuracy": 8},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


def send_report(page, base: str, choices: list[str], description: str) -> str:
    """Report on /report as a resident does: the service and its answers
    (``choices``, by their labels), the phone's position, a photo, the words
    and a phone number; the case number it gives back."""
    page.goto(f"{base}/report")
    for label in choices:
        page.get_by_label(label).check()
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("#where:has-text('✓')")
    page.set_input_files("#photo-input", files=[jpeg()])
    page.wait_for_selector("#photos img")
    page.get_by_label("问题描述（必填，500 字以内）").fill(description)
    page.get_by_label("手机号码（用于回访，可不填）").fill("13912345678")
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("#done:not([hidden])", timeout=30_000)
    return re.fullmatch(r"案件编号：(\S+)", page.inner_text("#done-case")).group(1)


def test_a_resident_reports_follows_and_a_neighbour_adds_me_too(browser, served):
    base, store = served["base"], served["store"]
    before = len(store.incidents())
    context, page = phone(browser)
    try:
        case = send_report(page, base, ["消防通道占用"], "小区东门消防通道被车堵住")
        incidents = store.incidents()
        assert len(incidents) == before + 1
        stored = incidents.set_index("public_id").loc[case]
        assert stored["channel"] == "app" and stored["category"] == "fire_lane"
        page.get_by_role("link", name="查看办理进度").click()
        page.wait_for_url(re.compile(r".*/report/c/[^/]+$"))
        page.wait_for_selector("#timeline li")
        assert page.inner_text("#case-number") == f"案件编号：{case}"
        assert page.errors == []
    finally:
        context.close()

    neighbour, page = phone(browser)
    try:
        page.goto(f"{base}/report/near")
        page.get_by_role("button", name="查找我附近的报事").click()
        page.wait_for_selector("#nearby li button")
        page.locator("#nearby li button").first.click()
        page.wait_for_url(re.compile(r".*/report/c/[^/]+$"))
        page.wait_for_selector("#timeline li")
        assert page.inner_text("#case-number").startswith("案件编号：")
        assert page.errors == []
    finally:
        neighbour.close()


def camera_photo() -> bytes:
    """A phone camera's 12-megapixel JPEG (about 5 MB), held sideways (EXIF
    orientation 6), with the camera's GPS position at the report's place."""
    rng = np.random.default_rng(21)
    y, x = np.mgrid[0:3000, 0:4000]
    pixels = np.stack([(x / 16) % 256, (y / 12) % 256, ((x + y) / 20) % 256], -1)
    pixels = np.clip(pixels + rng.normal(0, 12, pixels.shape), 0, 255).astype("uint8")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (36.0, 0.0, 18.0), 3: "E", 4: (120.0, 0.0, 18.0)}  # AT
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def test_waterlogging_asks_the_depth_and_a_camera_photo_is_shrunk_on_the_phone(browser, served):
    """积水内涝 requires the water's depth: the page asks it, in words, and the
    report stores the answer. A 5 MB camera photo goes up shrunk to at most
    2048 px, upright, with the camera's GPS position kept as evidence."""
    base, store = served["base"], served["store"]
    photo = camera_photo()
    context, page = phone(browser)
    sent = []
    page.on(
        "request",
        lambda r: sent.append(len(r.post_data_buffer or b"")) if r.url.endswith("/reports") else 0,
    )
    try:
        page.goto(f"{base}/report")
        page.get_by_label("积水内涝").check()
        page.get_by_role("group", name="积水深度（必填）").wait_for()
        page.get_by_role("button", name="使用我的位置").click()
        page.wait_for_function("() => document.getElementById('where').textContent.includes('120')")
        page.set_input_files(
            "#photo-input",
            files=[{"name": "IMG_2001.jpg", "mimeType": "image/jpeg", "buffer": photo}],
        )
        page.wait_for_selector("#photos img", timeout=30_000)
        page.get_by_label("问题描述（必填，500 字以内）").fill("地下通道积水，车辆无法通行")
        before = len(store.incidents())
        page.get_by_role("button", name="提交").click()
        assert page.inner_text("#error") == "请回答：积水深度"  # asked before anything is sent
        assert sent == [] and len(store.incidents()) == before
        page.get_by_label("没过膝盖").check()
        page.locator("#questions").scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/real-report-depth-zh-390x844.png")
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#done:not([hidden])", timeout=30_000)
        case = re.fullmatch(r"案件编号：(\S+)", page.inner_text("#done-case")).group(1)
        stored = store.incidents(public_ids=[case]).iloc[0]
        assert json.loads(stored["attributes"]) == {"depth": "knee"}
        assert len(sent) == 1 and sent[0] < len(photo) / 3, (sent, len(photo))
        [row] = store.photos_of([int(stored["id"])]).to_dict("records")
        assert (row["width"], row["height"]) == (1536, 2048)  # upright, at most 2048 px
        assert abs(row["exif_lon"] - 120.005) < 1e-6 and abs(row["exif_lat"] - 36.005) < 1e-6
        assert page.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("size", ["390x844", "360x640"])
def test_the_real_report_page_on_a_phone_for_people_to_look_at(browser, served, size):
    context, page = phone(browser, PHONE if size == "390x844" else SMALL)
    try:
        page.goto(f"{served['base']}/report")
        page.wait_for_selector("#services label")
        assert page.evaluate("document.documentElement.scrollWidth") <= int(size.split("x")[0])
        shot(page, f"real-report-zh-{size}")
        page.screenshot(path=f"/tmp/resident-shots/real-report-zh-{size}-screen.png")
    finally:
        context.close()


def test_a_report_made_with_no_signal_survives_a_reload_and_is_stored_once(browser, served):
    base, store = served["base"], served["store"]
    context, page = phone(browser)
    try:
        page.goto(f"{base}/report")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now under the service worker, as on a resident's second visit
        page.wait_for_selector("#services label")
        page.get_by_label("路灯故障").check()
        page.get_by_role("button", name="使用我的位置").click()
        page.wait_for_function(
            "() => document.getElementById('where').textContent.includes('120.005')"
        )
        page.get_by_label("问题描述（必填，500 字以内）").fill("楼下路灯不亮")
        before = len(store.incidents())
        context.set_offline(True)
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#kept:not([hidden])")
        page.reload()  # no signal: the page comes from the service worker's cache
        page.wait_for_selector("#net:not(:empty)")
        page.wait_for_selector("#kept:not([hidden])")  # the resident is told it waits
        assert len(store.incidents()) == before
        context.set_offline(False)
        page.wait_for_selector("#done:not([hidden])", timeout=30_000)
        case = re.fullmatch(r"案件编号：(\S+)", page.inner_text("#done-case")).group(1)
        page.reload()
        page.wait_for_selector("#services label")
        page.wait_for_timeout(1000)  # a second send would have come by now
        incidents = store.incidents()
        assert len(incidents) == before + 1
        assert incidents.set_index("public_id").loc[case, "category"] == "street_light"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_report_from_outside_the_city_is_refused_in_the_residents_language(browser, served, lang):
    base, store = served["base"], served["store"]
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 121.47, "latitude": 31.23, "accuracy": 8},  # Shanghai
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        page.goto(f"{base}/report?lang={lang}")
        page.wait_for_selector("#services label")
        page.locator("#services input[value=noise]").check()
        page.locator("#locate").click()
        page.wait_for_function(
            "() => document.getElementById('where').textContent.includes('121.47')"
        )
        page.locator("#description").fill("outside" if lang == "en" else "城外")
        before = len(store.incidents())
        page.locator("#send").click()
        page.wait_for_selector("#error:not(:empty)")
        message = page.inner_text("#error")
        prefix = "Not sent: " if lang == "en" else "提交失败："
        reason = message.removeprefix(prefix)
        assert message.startswith(prefix) and reason
        assert bool(re.search("[\u4e00-\u9fff]", reason)) == (lang == "zh")  # its language
        assert page.is_visible("#report") and page.input_value("#description")  # kept to correct
        assert len(store.incidents()) == before
    finally:
        context.close()


def test_a_resolved_case_shows_its_reply_and_proof_and_a_rating_of_2_reopens_it(browser, served):
    base, store = served["base"], served["store"]
    context, page = phone(browser)
    try:
        page.goto(f"{base}/report")
        page.get_by_label("垃圾清运").check()
        page.get_by_role("button", name="使用我的位置").click()
        page.wait_for_function("() => document.getElementById('where').textContent.includes('120')")
        page.get_by_label("问题描述（必填，500 字以内）").fill("垃圾三天没人清运")
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#done:not([hidden])", timeout=30_000)
        case = re.fullmatch(r"案件编号：(\S+)", page.inner_text("#done-case")).group(1)
        follow = page.get_attribute("#done-follow", "href")
        # The desk and a cadre take it through to resolved, with a proof photo.
        incident = int(store.incidents(public_ids=[case]).iloc[0]["id"])
        for action in ("register", "dispatch", "start"):
            store.apply_action(incident, action, actor="user:desk")
        media = open_media_store(served["media"])
        proof = save_photo(
            store, media, incident, jpeg()["buffer"], actor="cadre:张三", max_bytes=200_000
        )
        store.apply_action(incident, "resolve", actor="cadre:张三", note="已清运",
                           photo_url=f"{base}/media/photos/{proof['id']}")  # fmt: skip
        page.goto(f"{base}{follow}")
        page.wait_for_selector("#rate-card:not([hidden])")
        assert page.inner_text("#reply") == "已清运" and "张三" not in page.inner_text("main")
        assert page.inner_text("#case-category") == "垃圾清运"  # the name, not the code
        page.wait_for_function("() => document.querySelector('#proof img')?.naturalWidth > 0")
        shot(page, "real-case-resolved-zh-390x844")
        page.get_by_label("2", exact=True).check()
        page.get_by_label("评价意见（300 字以内，可不填）").fill("还是没清干净")
        page.get_by_role("button", name="提交评价").click()
        page.wait_for_selector("#rate-card", state="hidden")
        assert store.incidents(public_ids=[case]).iloc[0]["status"] != "resolved"  # reopened
        assert page.errors == []
    finally:
        context.close()
