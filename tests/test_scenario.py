"""The flood scenario runs end to end against the real server, through its
public APIs, as a declared wartime event; then a commander reviews it in a
real browser: the after-action report, the replay and the exported workbook."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import requests

from cli.serve import seed_city
from data.store import Store
from scripts.app_process import app_process, run_small_flood
from tests.servers import add_user, browser_sign_in, wait_text

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPLAY_CADRES_JS = """() => (window.gc && window.gc.map.state()
    && window.gc.map.state().added['event-map-cadres']) || 0"""


def test_the_flood_runs_as_an_event_declared_ended_and_reviewed_in_a_browser(tmp_path, browser):
    """The commander declares the event in the browser over 胶西 (an uploaded
    polygon), the scenario runs inside it through the public APIs, and the
    commander ends it and reviews it in the browser."""
    import shapely

    url = f"sqlite:///{tmp_path / 'flood.db'}"
    store = Store.open(url)
    seed_city(store, scale="county", seed=2022)
    before = store.count_reports()
    add_user(store, "commander", username="zhao")
    towns = store.towns()
    area = tmp_path / "jiaoxi.geojson"
    area.write_text(shapely.to_geojson(towns.loc[towns["name"] == "胶西街道"].geometry.iloc[0]))
    store.close()
    with app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(tmp_path / "server.log")}) as base:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            event_id = declare_in_browser(page, base, url, area)
            run = run_small_flood(base, url, "--event", str(event_id))
            assert run.returncode == 0, run.stderr[-2000:]
            assert "演练结束: 9 件上报" in run.stdout and "9 件办结" in run.stdout, run.stdout[
                -2000:
            ]
            check_what_the_scenario_did(url, before, event_id)

            # Back at the desk: every task done; the commander ends the event.
            page.reload()
            wait_text(page, "#event-figures", "未完成任务 0 / 3")
            page.once("dialog", lambda dialog: dialog.accept())
            page.click(".gc-end")
            wait_text(page, "#event-banner", "已结束")
            review_in_browser(page, base, event_id)
        finally:
            page.close()
        log = (tmp_path / "server.log").read_text(errors="replace") if errors else ""
        assert errors == [], log[-4000:]


def declare_in_browser(page, base: str, url: str, area) -> int:
    """Sign in, upload the area, declare a harvest-help event; its id."""
    browser_sign_in(page, base, "zhao", then="/events")
    page.wait_for_selector("#event-map.leaflet-container", timeout=60_000)
    page.set_input_files("#event-upload input[type=file]", str(area))
    wait_text(page, "#event-area-note", "已上传区域文件")
    page.fill("#event-name", "胶西六月洪涝·土豆抢收")
    page.click("#event-kind")
    page.locator("[role=option]", has_text="助农抢收").click()
    page.click("#event-declare")
    wait_text(page, "#event-result", "已宣布")
    wait_text(page, "#event-banner", "涉及镇街：胶西街道")
    store = Store.open(url)
    try:
        event = store.events(active=True).iloc[0]
    finally:
        store.close()
    assert event["name"] == "胶西六月洪涝·土豆抢收" and event["kind"] == "harvest_help"
    return int(event["id"])


def check_what_the_scenario_did(url: str, before: int, event_id: int) -> None:
    store = Store.open(url)
    try:
        key = store.api_keys().iloc[-1]
        mine = store.incidents(reported=(None, None))
        street = mine[mine["client_id"] == key["id"]]
        tasks = store.event_tasks(event_id)
        actions = store.audit(limit=5000)
    finally:
        store.close()
    assert before > 0 and len(street) == 6 and set(street["status"]) == {"closed"}
    # The fields are the event's tasks, every one staffed, harvested and closed.
    assert len(tasks) == 3 and set(tasks["status"]) == {"closed"}
    assert (tasks["headcount"] >= 8).all() and tasks["town_code"].eq("370281009").all()
    # Everything came through the public APIs: Open311, dispatch, events, and
    # the cadres' own phones in the field app (no field key any more).
    actors = set(actions["actor"])
    assert "open311:演练模拟器" in actors and "field:演练模拟器" not in actors
    by_phone = actions[actions["action"].isin(["field_arrive", "check_in", "record_positions"])]
    assert len(by_phone) and by_phone["actor"].str.startswith("cadre:").all()
    assert "key:演练模拟器/指挥中心值班员（演练）" in actors  # the key, and whom it acts for
    assert "key:演练模拟器/指挥中心核查员（演练）" in actors
    assert {"add_task", "report_progress", "check_in"} <= set(actions["action"])
    moved = actions[actions["action"] == "record_positions"]
    assert len(moved) >= 3, "cadres did not report their way to the fields"


def review_in_browser(page, base: str, event_id: int) -> None:
    """The report's figures on the desk are the server's, the replay shows
    cadres in the field mid-event and none at the start, and the report
    downloads as a workbook with the same figures."""
    from openpyxl import load_workbook

    session = requests.Session()
    page.wait_for_function(
        "() => document.querySelector('#event-report')"
        " && document.querySelector('#event-report').innerText.includes('出动干部')",
        timeout=60_000,
    )
    for cookie in page.context.cookies():
        session.cookies.set(cookie["name"], cookie["value"])
    report = session.get(f"{base}/api/v1/events/{event_id}/report", timeout=60).json()
    shown = page.inner_text("#event-report")
    cadres = report["mobilisation"]["cadres"]
    assert cadres >= 24 and f"出动干部（人）\n{cadres}" in shown
    assert f"完成任务 / 全部\n{report['tasks']['done']} / 3" in shown
    assert report["tasks"]["done"] == 3
    done = {f["measure"]: f["done"] for f in report["figures"]}
    assert done["area_mu"] > 8_000 and done["sales_yuan"] > 0

    # A moment with cadres in the field: asked of the server, then shown by the slider.
    frame = session.get(f"{base}/api/v1/events/{event_id}/replay", timeout=60).json()
    start, end = frame["start"], frame["end"]
    length = int(
        (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    )
    busy = None
    for second in range(1, length, max(1, length // 12)):
        at = (dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second)).isoformat()
        moment = session.get(
            f"{base}/api/v1/events/{event_id}/replay", params={"at": at}, timeout=60
        ).json()
        if moment["cadres"]:
            busy = (second, len(moment["cadres"]))
            break
    assert busy is not None, "no moment of the event had cadres out"
    page.locator("#event-replay-on input").check()
    page.wait_for_function(f"() => ({REPLAY_CADRES_JS})() === 0", timeout=30_000)  # the end
    thumb = page.locator("#event-replay [role=slider]")
    thumb.focus()
    page.keyboard.press("Home")  # the start: nobody out yet
    page.wait_for_function(f"() => ({REPLAY_CADRES_JS})() === 0", timeout=30_000)
    # The slider's step, read off the slider itself: one key press moves it one step.
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => Number(document.querySelector("
        "'#event-replay [role=slider]').getAttribute('aria-valuenow')) > 0"
    )
    step = int(thumb.get_attribute("aria-valuenow"))
    for _ in range(busy[0] // step - 1):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({REPLAY_CADRES_JS})() === {busy[1]}", timeout=30_000)
    assert "回放时刻" in page.inner_text("#event-replay-time")

    with page.expect_download() as download:
        page.click("#event-report a")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert cadres in cells  # the summary sheet has the same count
