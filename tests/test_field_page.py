"""The cadre's phone app at /field in headless Chromium, in a phone's viewport
with the position set, against the real server: sign in by the invite link,
do a whole event task (accept, navigate, arrive far and say why, progress, a
photo, done); then, with the signal gone, do a task on the queue, reload the
page with no network, and see every action arrive exactly once when the
signal returns. axe-core's WCAG checks at 390x844 and 360x640; screenshots
at 390x844 go to /tmp/field-shots/ for people to look at.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import shapely
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import func, select

from data import schema
from data.store import Store
from data.store_dispatch import Assignment
from domain.coords import wgs84_to_gcj02
from domain.event_tasks import TaskSpec, checked_targets
from domain.events import declaration
from tests.servers import app_process
from tests.tiny_city import tiny_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path("/tmp/field-shots")
PHONE = {"width": 390, "height": 844}
SMALL = {"width": 360, "height": 640}
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
ZHANG, WANG, LIU = "13800000001", "13800000002", "13800000003"  # cadres 1, 2, 3
ZHAO = "13900000004"  # cadre 4, added here
EVENT_TASK_AT = (120.005, 36.01)  # in grid A-1
T1_AT = (120.005, 36.005)  # the tiny city's fire lane incident
T2 = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The tiny city served by `python app.py serve`: a harvest event with a
    task sent to 张伟 (cadre 1), the fire lane T1 sent to 王芳 (2), T2 to 刘洋 (3)."""
    workdir = tmp_path_factory.mktemp("field-page")
    url = f"sqlite:///{workdir / 'grid.db'}"
    store = Store.open(url)
    now = dt.datetime.now(dt.UTC)
    city = tiny_city(now)
    city.cadres["status"] = "available"
    city.cadres.loc[2, ["lon", "lat", "position_at"]] = [120.016, 36.012, now]
    zhao = {**city.cadres.iloc[0].to_dict(), "id": 4, "name": "赵一", "phone": ZHAO}
    city.cadres = pd.concat([city.cadres, pd.DataFrame([zhao])], ignore_index=True)
    store.load_city(city)
    outline = shapely.union_all(store.towns().geometry.to_numpy())
    fields = {
        "name": "甲街道土豆抢收",
        "kind": "harvest_help",
        "severity": 3,
        "grids": ["A-1", "A-2"],
        "started_at": now - dt.timedelta(minutes=30),
        "checkin_minutes": 30,
    }
    event = store.declare_event(
        declaration(fields, city_outline=outline, grids=store.grids(), now=now), actor="指挥长"
    )
    targets = checked_targets({"area_mu": 300, "tonnes": 600}, "harvest_help")
    spec = TaskSpec("1号地抢收", "farm_help", 2, 2, *EVENT_TASK_AT, targets)
    task, _ = store.add_task(event, spec, grid_code="A-1", town_code="370281001", actor="指挥长")
    spec = TaskSpec("2号地抢收", "farm_help", 2, 1, 120.015, 36.01, targets)
    other, _ = store.add_task(event, spec, grid_code="A-2", town_code="370281001", actor="指挥长")
    store.dispatch(
        [Assignment(task, 1), Assignment(1, 2), Assignment(T2, 3), Assignment(other, 4)],
        actor="user:desk",
    )
    env = {
        "DATABASE_URL": url,
        "GC_MEDIA": str(workdir / "media"),
        "GC_TEST_LOG": str(workdir / "server.log"),
    }
    with app_process(env) as base:
        try:
            yield {"base": base, "store": store, "event": event, "task": task}
        finally:
            store.close()


def phone(browser, at: tuple[float, float], viewport=PHONE, **options):
    """A phone's browser context: its viewport, touch, and its position at ``at``."""
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": at[0], "latitude": at[1], "accuracy": 8},
        permissions=["geolocation"],
        **options,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return context, page


def sign_in(page, served, number: str) -> None:
    """Open the desk's invite link and tap the button, as the cadre would."""
    token, _ = served["store"].create_field_invite(number, actor="user:desk")
    page.goto(f"{served['base']}/field/join/{token}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{served['base']}/field")
    wait(page, "#work:not([hidden])")


def wait(page, selector: str, timeout_ms: int = 30_000) -> None:
    """Until ``selector`` shows; on a timeout, say what the phone showed instead."""
    try:
        page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeout:
        shown = page.evaluate(
            "() => [document.getElementById('net').textContent,"
            " document.getElementById('toast').textContent]"
        )
        raise AssertionError(
            f"{selector} not shown; banner, toast: {shown}; {page.errors}"
        ) from None


def answered(page, path: str):
    """Until the server has answered the phone's POST to a URL ending in ``path``."""
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(path), timeout=30_000
    )


def dispatch_of(store, cadre: int) -> int:
    return int(store.field_tasks(cadre)["dispatch_id"].iloc[0])


def settled(page, timeout_ms: int = 30_000) -> None:
    """Until the phone's queue is empty (the banner says nothing)."""
    page.wait_for_function(
        "() => document.getElementById('net').textContent === ''", timeout=timeout_ms
    )


def shot(page, name: str, at: str | None = None) -> None:
    """What the phone's screen shows (scrolled to ``at``), for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.eval_on_selector(at, "(el) => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def jpeg() -> dict:
    """A small photo, as the camera would give it."""
    image = Image.new("RGB", (640, 480), (70, 120, 60))
    for x in range(0, 640, 40):
        image.paste((200, 180, 90), (x, 200, x + 20, 280))
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": data.getvalue()}


def audit(store, actor: str) -> list[str]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                select(schema.audit_log.c.action).where(schema.audit_log.c.actor == actor)
            ).scalars()
        )


def count(store, table, *where) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_a_cadre_does_a_whole_event_task_from_the_invite_link(browser, served):
    store = served["store"]
    dispatch = dispatch_of(store, 1)
    far = (EVENT_TASK_AT[0], EVENT_TASK_AT[1] + 0.006)  # about 670 m north of the field
    # Service workers off: page.route below must see the API's requests.
    context, page = phone(browser, far, service_workers="block")
    try:
        sign_in(page, served, ZHANG)
        card = f"#task-{dispatch}"
        page.wait_for_selector(card)
        text = page.inner_text(card)
        assert "1号地抢收" in text and "新任务" in text and "网格 A-1" in text
        assert "需要 2 人" in text and "距您 667 米" in text
        assert "甲街道土豆抢收" in page.inner_text("#checkin")
        assert "还没有报到" in page.inner_text("#checkin-timer")
        shot(page, "01-my-work")

        # The first answer to "accept" is lost on its way back: the phone
        # retries with the same key and the server answers what it did.
        lost = {"n": 0, "replayed": None}

        def lose_first(route):
            answer = route.fetch()
            if lost["n"] == 0:
                lost["n"] += 1
                route.abort("connectionreset")
                return
            lost["replayed"] = answer.headers.get("idempotent-replayed")
            route.fulfill(response=answer)

        page.route(f"**/api/v1/field/tasks/{dispatch}/accept", lose_first)
        page.click(f"{card} [data-action=accept]")
        wait(page, f"{card} [data-action=arrive]")
        settled(page)
        assert lost == {"n": 1, "replayed": "true"}
        assert audit(store, "cadre:张伟").count("field_accept") == 1

        # Navigate: each app's link carries the place in its own system.
        page.click(f"{card} [data-action=navigate]")
        wait(page, "#nav-dialog[open]")
        gcj_lon, gcj_lat = wgs84_to_gcj02(*EVENT_TASK_AT)
        amap = parse_qs(urlsplit(page.get_attribute("#nav-amap", "href")).query)
        assert amap["to"][0].startswith(f"{gcj_lon:.6f},{gcj_lat:.6f}")
        assert page.get_attribute("#nav-baidu", "href").startswith("baidumap://")
        assert f"tocoord={gcj_lat:.6f}%2C{gcj_lon:.6f}" in page.get_attribute(
            "#nav-tencent", "href"
        )
        shot(page, "02-navigate")
        page.click("#nav-dialog [data-close]")

        # Arrived, but 670 m away: the server asks why, the phone asks the cadre.
        page.click(f"{card} [data-action=arrive]")
        wait(page, "#far-dialog[open]")
        assert "670" in page.inner_text("#far-body") or "米" in page.inner_text("#far-body")
        shot(page, "03-far-arrival")
        page.fill("#far-note", "田间道路积水，在路口停车步行进入")
        page.click("#far-dialog button[type=submit]")
        wait(page, f"{card} [data-action=progress]")
        settled(page)
        assert store.field_tasks(1)["arrived_at"].notna().all()

        # The event's check-in: its timer starts again from now.
        with answered(page, "/checkin"):
            page.click("#checkin-button")
        settled(page)
        assert "距下次报到还有 29 分" in page.inner_text("#checkin-timer")
        assert audit(store, "cadre:张伟").count("check_in") == 1

        # Progress: what was done since the last report.
        shot(page, "04-arrived", at=f"{card} h3")
        page.fill(f"#m-{dispatch}-area_mu", "12.5")
        page.fill(f"#m-{dispatch}-tonnes", "3")
        with answered(page, "/progress"):
            page.click(f"{card} [data-action=progress]")
        settled(page)
        figures = store.measures_of_tasks([served["task"]]).set_index("measure")["done"]
        assert figures["area_mu"] == 12.5 and figures["tonnes"] == 3

        # A photo from the camera, then done with a note.
        with answered(page, "/photos"):
            page.set_input_files(f"#camera-{dispatch}", files=[jpeg()])
        wait(page, f"{card} .thumbs img")
        settled(page)
        page.wait_for_function(
            "(sel) => [...document.querySelectorAll(sel)].some((i) => i.complete && i.naturalWidth)",
            arg=f"{card} .thumbs img",
        )
        page.fill(f"#note-{dispatch}", "已抢收 12.5 亩，装车 3 吨")
        shot(page, "04-progress", at=f"#m-{dispatch}-area_mu")
        shot(page, "05-proof", at=f"#note-{dispatch}")
        with answered(page, "/done"):
            page.click(f"{card} [data-action=done]")
        settled(page)
        page.wait_for_function(
            "() => document.getElementById('tasks').children.length === 0", timeout=30_000
        )
        assert "暂无任务" in page.inner_text("#tasks-count")
        shot(page, "06-done")
    finally:
        errors = page.errors
        context.close()
    actions = audit(store, "cadre:张伟")
    for once in ("field_accept", "field_arrive", "report_progress", "add_photo", "field_done"):
        assert actions.count(once) == 1, (once, actions)
    assert count(store, schema.photos, schema.photos.c.incident_id == served["task"]) == 1
    # The console's only complaints: the answer the test cut off, and the
    # server's "say why" to the far arrival.
    assert sorted(errors) == [
        "Failed to load resource: net::ERR_CONNECTION_RESET",
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)",
    ]


def test_offline_actions_wait_on_the_phone_and_arrive_exactly_once(browser, served):
    store = served["store"]
    dispatch = dispatch_of(store, 2)
    context, page = phone(browser, (T1_AT[0] + 0.0001, T1_AT[1] + 0.0001))
    try:
        sign_in(page, served, WANG)
        card = f"#task-{dispatch}"
        page.wait_for_selector(card)
        page.evaluate("() => navigator.serviceWorker.ready")
        settled(page)
        context.set_offline(True)
        page.wait_for_function("() => document.getElementById('net').textContent.includes('离线')")

        page.click(f"{card} [data-action=accept]")
        page.click(f"{card} [data-action=arrive]")
        page.wait_for_selector(f"#camera-{dispatch}", state="attached")
        page.set_input_files(f"#camera-{dispatch}", files=[jpeg()])
        wait(page, f"{card} .thumbs img")
        page.fill(f"#note-{dispatch}", "已劝离占道车辆，消防通道畅通")
        page.click(f"{card} [data-action=done]")
        page.wait_for_function(
            "() => document.getElementById('net').textContent.includes('4 条待发送')"
        )
        assert "待发送" in page.inner_text(card)
        shot(page, "07-offline-queued", at=card)

        # The page itself opens with no signal: the service worker's shell,
        # the last known work, and the queue still waiting.
        page.reload()
        wait(page, "#work:not([hidden])")
        page.wait_for_function(
            "() => document.getElementById('net').textContent.includes('4 条待发送')"
        )
        done_here = {"field_accept", "field_arrive", "add_photo", "field_done"}
        assert done_here.isdisjoint(audit(store, "cadre:王芳"))  # nothing reached the server

        context.set_offline(False)
        settled(page, timeout_ms=60_000)
        page.wait_for_function(
            "() => document.getElementById('tasks').children.length === 0", timeout=30_000
        )
    finally:
        errors = page.errors
        context.close()
    actions = audit(store, "cadre:王芳")
    for once in ("field_accept", "field_arrive", "add_photo", "field_done"):
        assert actions.count(once) == 1, (once, actions)
    assert (
        count(
            store,
            schema.incidents,
            schema.incidents.c.id == 1,
            schema.incidents.c.status == "resolved",
        )
        == 1
    )
    assert count(store, schema.photos, schema.photos.c.incident_id == 1) == 1
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_a_decline_says_why_and_a_notification_is_marked_read(browser, served):
    store = served["store"]
    dispatch = dispatch_of(store, 4)
    context, page = phone(browser, (120.016, 36.011))
    try:
        sign_in(page, served, ZHAO)
        wait(page, "#notes [data-action=read]")
        with answered(page, "/read"):
            page.click("#notes [data-action=read]")
        wait(page, "#notes li:not(.unread)")
        page.click(f"#task-{dispatch} [data-action=decline]")
        wait(page, "#decline-dialog[open]")
        page.click("#decline-dialog button[type=submit]")  # no reason: refused on the phone
        assert page.inner_text("#decline-error") == "请选择或填写拒绝原因"
        page.check("#reason-3")  # 交通受阻
        page.fill("#decline-text", "村口桥面被冲毁")
        with answered(page, f"/tasks/{dispatch}/decline"):
            page.click("#decline-dialog button[type=submit]")
        page.wait_for_function("() => document.getElementById('tasks').children.length === 0")
    finally:
        errors = page.errors
        context.close()
    with store.engine.connect() as conn:
        reason = conn.execute(
            select(schema.dispatches.c.decline_reason).where(schema.dispatches.c.id == dispatch)
        ).scalar()
        unread = conn.execute(
            select(func.count())
            .select_from(schema.outbox)
            .where(schema.outbox.c.recipient == "4", schema.outbox.c.read_at.is_(None))
        ).scalar()
    assert reason == "交通受阻：村口桥面被冲毁"
    assert unread == 0
    assert errors == []


@pytest.mark.parametrize("size", [PHONE, SMALL], ids=["390x844", "360x640"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_serious_or_critical_wcag_violation_on_a_phone(browser, served, size, lang):
    context, page = phone(browser, (120.016, 36.012), viewport=size)
    try:
        page.goto(f"{served['base']}/field?lang={lang}")
        wait(page, "#signed-out:not([hidden])")
        assert_axe_clean(page)
        sign_in(page, served, LIU)
        wait(page, ".task")
        assert_axe_clean(page)
        assert page.evaluate("() => document.documentElement.lang") == (
            "zh-CN" if lang == "zh" else "en"
        )
        # Every control is big enough for a thumb.
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, a.btn, label.btn, input, textarea')]
                .filter((el) => el.offsetParent !== null)
                .map((el) => [el.id || el.textContent.trim(), el.getBoundingClientRect()])
                .filter(([, r]) => r.height < 48 || r.width < 48)
                .map(([name]) => name)"""
        )
        assert small == []
        # Nothing wider than the screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
        page.click("[data-action=decline]")
        wait(page, "#decline-dialog[open]")
        assert_axe_clean(page)
        if size == PHONE:
            shot(page, f"08-decline-{lang}")
        page.click("#decline-dialog [data-close]")
    finally:
        errors = page.errors
        context.close()
    assert [e for e in errors if "401" not in e] == []


def test_the_english_switch_is_remembered_and_sets_the_language(browser, served):
    context, page = phone(browser, (120.016, 36.012))
    try:
        page.goto(f"{served['base']}/field")
        wait(page, "#signed-out:not([hidden])")
        assert "请打开调度员发给您的邀请链接" in page.inner_text("#signed-out")
        page.click("#lang")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert "Please open the invite link" in page.inner_text("#signed-out")
        page.reload()
        wait(page, "#signed-out:not([hidden])")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert page.inner_text("#lang") == "中文"
    finally:
        context.close()


def test_the_shell_is_installable_and_its_worker_caches_no_answers(served):
    import requests

    base = served["base"]
    manifest = requests.get(f"{base}/field/manifest.webmanifest", timeout=10).json()
    assert manifest["name"] == "网格指挥·外勤" and manifest["start_url"] == "/field"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert requests.get(f"{base}{icon['src']}", timeout=10).status_code == 200
    worker = requests.get(f"{base}/field/sw.js", timeout=10)
    assert worker.headers["Service-Worker-Allowed"] == "/field"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "/api/" not in worker.text.split("const FILES")[1].split("\n")[0]
    page = requests.get(f"{base}/field", timeout=10)
    assert "geolocation=(self)" in page.headers["Permissions-Policy"]
    assert "https://" not in page.text and "http://" not in page.text  # nothing from outside


def assert_axe_clean(page) -> None:
    found = Axe().run(page, options=WCAG).response["violations"]
    serious = {
        v["id"]: [
            (" ".join(n["target"]), (n.get("any") or [{}])[0].get("data")) for n in v["nodes"][:3]
        ]
        for v in found
        if v["impact"] in ("serious", "critical")
    }
    assert serious == {}


def test_a_photo_taken_while_the_list_is_drawn_again_is_not_lost(browser, served):
    """The camera can be open while the phone draws its list again (a refresh
    of /me). The photo then arrives at the old file input, no longer in the
    page: it must still be queued and sent (a listener on the whole document
    never heard it, and the photo was silently lost)."""
    store = served["store"]
    dispatch = dispatch_of(store, 3)
    context, page = phone(browser, (120.006, 36.015))
    try:
        sign_in(page, served, LIU)
        card = f"#task-{dispatch}"
        page.click(f"{card} [data-action=accept]")
        settled(page)
        page.click(f"{card} [data-action=arrive]")
        settled(page)
        camera = page.wait_for_selector(f"#camera-{dispatch}", state="attached")
        before = count(store, schema.photos)
        page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_function("(el) => !el.isConnected", arg=camera, timeout=30_000)
        with answered(page, "/photos"):
            camera.evaluate(
                """(input, bytes) => {
                    const file = new File([new Uint8Array(bytes)], "IMG_0002.jpg",
                                          {type: "image/jpeg"});
                    const picked = new DataTransfer();
                    picked.items.add(file);
                    input.files = picked.files;
                    input.dispatchEvent(new Event("change"));
                }""",
                list(jpeg()["buffer"]),
            )
        settled(page)
        assert count(store, schema.photos) == before + 1
        assert page.errors == []
    finally:
        context.close()
