"""Issue 21 end to end on the demo county's real server, in headless Chromium:
a resident on a phone (390x844, position granted, a photo) reports; a wall
opened before shows the case without reload; an operator on /dispatch finds
it by its number and takes it to resolved with a note and a call-back proof,
with the console's buttons; the phone's follow page shows it resolved with the
reply; a rating of 2 reopens it, on the page and in the store."""

from __future__ import annotations

import time

import pytest

from scripts.chromium import wait_for_map
from tests.browser_waits import DASH_IDLE_JS
from tests.servers import browser_sign_in, demo_county_server, display_key
from tests.test_resident_browser import SHOTS
from tests.test_resident_flow import phone as resident_phone
from tests.test_resident_flow import send_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPERATOR = "qian"
QUEUE = "dash_ag_grid.getApi('queue')"
# The row of a case in the queue, on the page that shows it (the queue is paged).
FIND_JS = """(id) => { const api = QUEUE; let i = -1, k = 0;
    api.forEachNodeAfterFilterAndSort(n => { if (n.data.public_id === id) i = k; k++; });
    if (i >= 0) { api.paginationGoToPage(Math.floor(i / api.paginationGetPageSize()));
        api.ensureIndexVisible(i, 'middle'); }
    return i; }"""
AT = (120.0033, 36.2839)  # lon, lat: in the demo county's seat


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with demo_county_server(
        tmp_path_factory.mktemp("resident-console"), [("operator", OPERATOR, None)]
    ) as s:
        yield s


def status_of(url: str, case: str) -> str:
    from data.store import Store

    store = Store.open(url)
    try:
        return store.incident_by_public_id(case)["status"]
    finally:
        store.close()


def button(page, action: str):
    """The console's button for a lifecycle ``action`` of the incident shown."""
    return page.locator(f"""button[id='{{"action":"{action}","type":"action-button"}}']""")


def wait_status(url: str, case: str, status: str, timeout_s: float = 20) -> None:
    end = time.monotonic() + timeout_s
    while (now := status_of(url, case)) != status:
        assert time.monotonic() < end, f"{case} stays {now}, not {status}"
        time.sleep(0.2)


def test_a_phone_report_is_seen_on_the_wall_resolved_at_the_desk_rated_2_and_reopened(
    browser, served
):
    base, url = served["base"], served["url"]
    errors: list[str] = []
    wall = browser.new_context(viewport={"width": 1920, "height": 1080})
    screen = wall.new_page()
    screen.on("pageerror", lambda e: errors.append(f"wall: {e}"))
    screen.goto(f"{base}/?key={display_key(url)}")
    wait_for_map(screen, min_grids=100)
    phone, page = resident_phone(browser, at=AT)
    desk = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page.on("pageerror", lambda e: errors.append(f"phone: {e}"))
        # 积水内涝 and its required question, how deep: 齐腰以上
        case = send_report(page, base, ["积水内涝", "齐腰以上"], "小区门口地道积水，车辆熄火")
        follow = page.get_attribute("#done-follow", "href")
        # The wall, open since before the report, shows it without a reload.
        screen.wait_for_function(
            "(n) => n in window.gc.map.points('wall-incidents')", arg=case, timeout=20_000
        )
        assert screen.evaluate("() => location.pathname") == "/"
        # The operator finds it by its number and moves it with the buttons.
        console = desk.new_page()
        console.on("pageerror", lambda e: errors.append(f"console: {e}"))
        browser_sign_in(console, base, OPERATOR, then="/dispatch")
        console.wait_for_selector("#queue .ag-row", timeout=30_000)
        console.wait_for_function(DASH_IDLE_JS)
        index = console.evaluate(FIND_JS.replace("QUEUE", QUEUE), case)
        assert index >= 0, f"{case} not in the queue"  # on a later page of the queue
        console.locator(f"#queue .ag-row[row-index='{index}'] .ag-cell").first.click()
        console.wait_for_function(
            "(n) => (document.querySelector('#incident-detail')?.innerText || '').includes(n)",
            arg=case,
        )
        detail = console.inner_text("#incident-detail")
        assert "积水深度" in detail and "齐腰以上" in detail  # the resident's answer, by name
        for size in ((1920, 1080), (3840, 2160)):
            console.set_viewport_size({"width": size[0], "height": size[1]})
            console.wait_for_timeout(300)
            console.screenshot(path=f"{SHOTS}/console-resident-report-{size[0]}x{size[1]}.png")
        console.set_viewport_size({"width": 1920, "height": 1080})
        steps = [("register", "registered"), ("dispatch", "dispatched"), ("start", "in_progress")]
        for label, status in steps:
            button(console, label).click()
            wait_status(url, case, status)
            console.wait_for_function(DASH_IDLE_JS)
        console.fill("#action-note", "已抽排积水，地道恢复通行")
        console.fill("#action-proof", "已电话回访报事人，确认已清理")
        assert button(console, "resolve").inner_text() == "办结"
        button(console, "resolve").click()
        wait_status(url, case, "resolved")
        # The phone's follow page: resolved, with the department's reply.
        page.goto(f"{base}{follow}")
        page.wait_for_selector("#rate-card:not([hidden])")
        assert page.inner_text("#reply") == "已抽排积水，地道恢复通行"
        assert OPERATOR not in page.inner_text("main")
        resolved_status = page.inner_text("#case-status")
        page.get_by_label("2", exact=True).check()
        page.get_by_label("评价意见（300 字以内，可不填）").fill("还是没清干净")
        page.get_by_role("button", name="提交评价").click()
        page.wait_for_selector("#rate-card", state="hidden")
        assert status_of(url, case) == "registered"  # reopened
        page.reload()
        page.wait_for_selector("#timeline li")
        assert page.inner_text("#case-status") != resolved_status
        assert page.locator("#rate-card").is_hidden()
        assert errors == []
    finally:
        phone.close()
        desk.close()
        wall.close()
