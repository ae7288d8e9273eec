"""The residents' pages in headless Chromium, in a phone's viewport with the
position set and a photo from the "camera": report a case and see its number
and its follow page; with no signal the form is kept on the phone and sent
exactly once when the signal returns; "me too" on a nearby case; axe-core's
WCAG checks on every page at 390x844 and 360x640 in both languages.

The pages run on the real server (the tiny city: its towns on the small map);
the public API they call (/api/v1/public/..., built beside them) is played here
by ``FakeApi`` to the contract of issue 21, so these tests are about the pages.
Screenshots go to /tmp/resident-shots/ for people to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from data.store import Store
from services.resident import services_list
from tests.servers import app_process
from tests.tiny_city import tiny_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path("/tmp/resident-shots")
PHONE = {"width": 390, "height": 844}
SMALL = {"width": 360, "height": 640}
AT = (120.005, 36.005)  # in the tiny city's grid A-1
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
SERVICES = [
    {"code": "garbage", "zh": "垃圾堆放", "en": "Rubbish", "group_zh": "市容环境",
     "group_en": "City appearance"},
    {"code": "street_light", "zh": "路灯不亮", "en": "Street light out", "group_zh": "市容环境",
     "group_en": "City appearance"},
    {"code": "fire_lane", "zh": "消防通道堵塞", "en": "Blocked fire lane", "group_zh": "公共安全",
     "group_en": "Public safety"},
    *(s for s in services_list() if s["code"] == "waterlogging"),  # with its questions
]  # fmt: skip
TOKEN = "tok-resolved"


class FakeApi:
    """The public API as the contract has it, answering the page's requests."""

    def __init__(self):
        self.reports: dict[str, dict] = {}  # Idempotency-Key -> what was sent
        self.posts: list[str] = []  # the key of every report POST that reached the server
        self.ratings: list[dict] = []
        self.me_too: list[str] = []
        self.signal = True  # False: requests fail as with no network (routes see them first)
        self.busy = 0  # answer this many report POSTs 409: the same key still in flight

    def handle(self, route):
        request = route.request
        if not self.signal:
            return route.abort("internetdisconnected")
        path = request.url.split("/api/v1/public", 1)[1].split("?")[0]
        if path == "/services":
            return route.fulfill(json=SERVICES)
        if path == "/reports" and request.method == "POST":
            key = request.headers["idempotency-key"]
            self.posts.append(key)
            if self.busy:
                self.busy -= 1
                error = {"code": 409, "message": "该表单正在提交，请稍候"}
                return route.fulfill(status=409, json={"error": error})
            if key not in self.reports:
                body = request.post_data_buffer
                self.reports[key] = {"body": body, "case": f"R{len(self.reports) + 1:05d}",
                                     "device": request.headers.get("x-gc-device")}  # fmt: skip
            case = self.reports[key]["case"]
            return route.fulfill(
                status=201,
                json={"case": case, "follow_url": f"/report/c/tok-{case}", "token": f"tok-{case}"},
            )
        if path.startswith("/cases/") and path.endswith("/rating"):
            self.ratings.append(json.loads(request.post_data))
            return route.fulfill(status=201, json={"ok": True})
        if path.startswith("/cases/") and path.endswith("/me-too"):
            self.me_too.append(request.headers["idempotency-key"])
            return route.fulfill(status=201, json={"follow_url": "/report/c/tok-T7", "token": "x"})
        if path.startswith("/cases/"):
            return route.fulfill(json=self.case(path.split("/")[2]))
        if path == "/nearby":
            return route.fulfill(json=[{"id": "T7", "category": "消防通道堵塞",
                                        "place": "甲街道 A-1 网格", "metres": 150,
                                        "reported_at": "2026-12-06T02:00:00Z",
                                        "me_too_count": 2}])  # fmt: skip
        return route.fulfill(status=404, json={"message": "no such"})

    def case(self, token: str) -> dict:
        resolved = token == TOKEN
        steps = [("received", "已受理", "Received"), ("dispatched", "已派单", "Dispatched")]
        if resolved:
            steps.append(("resolved", "已办结", "Resolved"))
        return {
            "case": "T7" if resolved else token.removeprefix("tok-"),
            "category": "消防通道堵塞",
            "place": "甲街道 A-1 网格",
            "status": steps[-1][0],
            "timeline": [
                {"at": f"2026-12-06T0{i}:00:00Z", "step": s, "text_zh": zh, "text_en": en}
                for i, (s, zh, en) in enumerate(steps)
            ],
            "reply": "已清理通道" if resolved else None,
            "proof_photos": [],
            "can_rate": resolved,
            "rating": None,
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The tiny city served by `python app.py serve`."""
    workdir = tmp_path_factory.mktemp("resident-browser")
    url = f"sqlite:///{workdir / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city(dt.datetime.now(dt.UTC)))
    store.close()
    env = {
        "DATABASE_URL": url,
        "GC_MEDIA": str(workdir / "media"),
        "GC_TEST_LOG": str(workdir / "server.log"),
    }
    with app_process(env) as base:
        yield base


def phone(browser, viewport=PHONE, lang="zh-CN"):
    """A phone's browser context with its position, and the fake API behind it."""
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=lang,
        geolocation={"longitude": AT[0], "latitude": AT[1], "accuracy": 8},
        permissions=["geolocation"],
        service_workers="block",  # so every API request meets the fake
    )
    api = FakeApi()
    context.route("**/api/v1/public/**", api.handle)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page, api


def jpeg() -> dict:
    image = Image.new("RGB", (640, 480), (70, 120, 60))
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": data.getvalue()}


def fill_report(page, base: str) -> None:
    """Choose a service, take the position, a photo, and describe it."""
    page.goto(f"{base}/report")
    page.get_by_label("消防通道堵塞").check()
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_function("() => document.getElementById('where').textContent.includes('120.005')")
    page.set_input_files("#photo-input", files=[jpeg()])
    page.wait_for_selector("#photos img[alt='第 1 张照片']")
    page.get_by_label("问题描述（必填，500 字以内）").fill("小区东门消防通道被车堵住")
    page.get_by_label("手机号码（用于回访，可不填）").fill("13912345678")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_resident_reports_a_case_and_sees_its_number_and_its_follow_page(browser, served):
    context, page, api = phone(browser)
    try:
        fill_report(page, served)
        shot(page, "report-filled-zh-390x844")
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#done:not([hidden])")
        assert page.inner_text("#done-case") == "案件编号：R00001"
        shot(page, "report-sent-zh-390x844")
        [(key, sent)] = api.reports.items()
        body = sent["body"]
        for part in (b'name="category"\r\n\r\nfire_lane', b'name="lon"\r\n\r\n120.005000',
                     b'name="lat"\r\n\r\n36.005000', b'name="phone"\r\n\r\n13912345678',
                     b'name="anonymous"\r\n\r\n0', b'name="website"\r\n\r\n\r\n',
                     b'name="photos"; filename="IMG_0001.jpg"'):  # fmt: skip
            assert part in body, part
        assert sent["device"] and api.posts == [key]
        page.get_by_role("link", name="查看办理进度").click()
        page.wait_for_url("**/report/c/tok-R00001")
        page.wait_for_selector("#timeline li")
        assert page.inner_text("#case-number") == "案件编号：R00001"
        assert "已派单" in page.inner_text("#timeline")
        assert page.errors == []
    finally:
        context.close()


def test_a_form_sent_with_no_signal_is_kept_and_sent_once_when_it_returns(browser, served):
    context, page, api = phone(browser)
    try:
        fill_report(page, served)
        context.set_offline(True)
        api.signal = False
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#kept:not([hidden])")
        assert api.reports == {}
        kept = page.evaluate(
            """() => new Promise((ok) => { const r = indexedDB.open('gc-report', 1);
                 r.onsuccess = () => { const g = r.result.transaction('forms').objectStore('forms').getAll();
                   g.onsuccess = () => ok(g.result.map((f) => [f.key, f.photos.length])); }; })"""
        )
        assert len(kept) == 1 and kept[0][1] == 1
        api.signal = True
        context.set_offline(False)
        page.wait_for_selector("#done:not([hidden])")
        assert list(api.reports) == [kept[0][0]] and len(api.posts) == 1
        page.reload()  # nothing left to send again
        page.wait_for_selector("#services label")
        page.wait_for_timeout(500)
        assert len(api.posts) == 1
    finally:
        context.close()


def test_a_form_answered_in_flight_is_sent_again_with_its_key_and_stored_once(browser, served):
    """409: the server is still storing an earlier try of this form. The page
    keeps it, puts the form away (no second report by hand) and tries again by
    itself with the same key, so the report is stored once."""
    context, page, api = phone(browser)
    api.busy = 1
    try:
        fill_report(page, served)
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector("#kept:not([hidden])")
        assert page.inner_text("#kept-title").startswith("系统繁忙")
        assert page.is_hidden("#report")
        page.wait_for_selector("#done:not([hidden])", timeout=30_000)
        assert len(api.posts) == 2 and len(set(api.posts)) == 1 and len(api.reports) == 1
    finally:
        context.close()


def test_me_too_on_a_nearby_case_follows_it(browser, served):
    context, page, api = phone(browser)
    try:
        page.goto(f"{served}/report/near")
        page.get_by_role("button", name="查找我附近的报事").click()
        button = page.get_by_role("button", name="我也遇到了：消防通道堵塞，甲街道 A-1 网格")
        button.click()
        page.wait_for_url("**/report/c/tok-T7")
        assert len(api.me_too) == 1
    finally:
        context.close()


def test_a_resolved_case_is_rated_with_a_comment(browser, served):
    context, page, api = phone(browser)
    try:
        page.goto(f"{served}/report/c/{TOKEN}")
        page.wait_for_selector("#rate-card:not([hidden])")
        assert page.inner_text("#reply") == "已清理通道"
        page.get_by_role("button", name="提交评价").click()
        assert page.inner_text("#rate-error") == "请选择 1 到 5 分" and api.ratings == []
        page.get_by_label("2", exact=True).check()
        page.get_by_label("评价意见（300 字以内，可不填）").fill("车又停回来了")
        with page.expect_request(lambda r: r.url.endswith("/cases/tok-resolved")):
            page.get_by_role("button", name="提交评价").click()  # sent, then the case again
        assert api.ratings == [{"rating": 2, "comment": "车又停回来了"}]
    finally:
        context.close()


def ready(page, path: str) -> None:
    """Until the page has drawn what its script fetches."""
    selector = {
        "/report": "#services label",
        f"/report/c/{TOKEN}": "#rate-card:not([hidden])",
        "/report/near": "#nearby li",
    }[path]
    if path == "/report/near":
        page.locator("#locate").click()
    page.wait_for_selector(selector)
    if path == "/report":  # a service with questions: they are checked too
        page.locator("#services input[value=waterlogging]").check()
        page.wait_for_selector("#questions:not([hidden]) fieldset")


@pytest.mark.parametrize("size", ["390x844", "360x640"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["/report", f"/report/c/{TOKEN}", "/report/near"])
def test_no_serious_or_critical_wcag_violation_on_a_phone(browser, served, path, size, lang):
    viewport = PHONE if size == "390x844" else SMALL
    context, page, _ = phone(browser, viewport, "en-GB" if lang == "en" else "zh-CN")
    try:
        page.goto(f"{served}{path}?lang={lang}")
        ready(page, path)
        assert page.get_attribute("html", "lang") == ("en" if lang == "en" else "zh-CN")
        found = Axe().run(page, options=WCAG).response["violations"]
        serious = {
            v["id"]: [" ".join(n["target"]) for n in v["nodes"][:3]]
            for v in found
            if v["impact"] in ("serious", "critical")
        }
        assert serious == {}
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        name = path.strip("/").replace("/", "-").replace("c-" + TOKEN, "case")
        shot(page, f"{name}-{lang}-{size}")
    finally:
        context.close()
