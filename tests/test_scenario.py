"""The flood scenario runs end to end against the real server, through its
public APIs, as a declared wartime event; then a commander reviews it in a
real browser: the after-action report, the replay and the exported workbook."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest
import requests

from app import seed_city
from data.store import Store
from scripts.app_process import ROOT, app_process
from tests.servers import add_user, browser_sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPLAY_CADRES_JS = """() => {
    const gd = document.querySelector('#event-map .js-plotly-plot');
    const t = gd && gd.data ? gd.data.find(t => t.uid === 'event-cadres') : null;
    return t ? t.lon.length : 0;
}"""


def test_the_flood_runs_as_an_event_from_declaration_to_after_action_report(tmp_path, browser):
    url = f"sqlite:///{tmp_path / 'flood.db'}"
    store = Store.open(url)
    seed_city(store, scale="county", seed=2022)
    before = store.count_reports()
    add_user(store, "commander", username="zhao")
    store.close()
    with app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(tmp_path / "server.log")}) as base:
        run = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "simulate", "flood", "--url", base,
             "--speed", "14400", "--fields", "3", "--water", "6", "--hours", "120"],
            cwd=ROOT, env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        assert "演练结束: 9 件上报" in run.stdout and "9 件办结" in run.stdout, run.stdout[-2000:]
        assert "宣布进入战时状态" in run.stdout and "复盘: 出动干部" in run.stdout

        store = Store.open(url)
        try:
            key = store.api_keys().iloc[-1]
            mine = store.incidents(reported=(None, None))
            street = mine[mine["client_id"] == key["id"]]
            event = store.events().iloc[0]
            tasks = store.event_tasks(int(event["id"]))
            actions = store.audit(limit=5000)
        finally:
            store.close()
        assert before > 0 and len(street) == 6 and set(street["status"]) == {"closed"}
        # The fields are the event's tasks, every one staffed, harvested and closed.
        assert event["kind"] == "harvest_help" and event["ended_at"] is not None
        assert len(tasks) == 3 and set(tasks["status"]) == {"closed"}
        assert (tasks["headcount"] >= 8).all() and tasks["town_code"].eq("370281009").all()
        # Everything came through the public APIs: Open311, dispatch, the field app, events.
        actors = set(actions["actor"])
        assert "open311:演练模拟器" in actors and "field:演练模拟器" in actors
        assert "key:演练模拟器/指挥中心值班员（演练）" in actors  # the key, and whom it acts for
        assert "key:演练模拟器/指挥中心核查员（演练）" in actors
        assert {"declare_event", "add_task", "report_progress", "check_in", "end_event"} <= set(
            actions["action"])  # fmt: skip
        moved = actions[actions["action"] == "record_positions"]
        assert len(moved) >= 3, "cadres did not report their way to the fields"

        review_in_browser(browser, base, int(event["id"]))


def review_in_browser(browser, base: str, event_id: int) -> None:
    """The commander opens /events: the report's figures are the server's, the
    replay shows cadres in the field mid-event and none at the start, and the
    report downloads as a workbook with the same figures."""
    from openpyxl import load_workbook

    session = requests.Session()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        browser_sign_in(page, base, "zhao", then="/events")
        page.wait_for_function(
            "() => document.querySelector('#event-report')"
            " && document.querySelector('#event-report').innerText.includes('出动干部')",
            timeout=60_000)  # fmt: skip
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
        length = int((dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start))
                     .total_seconds())  # fmt: skip
        busy = None
        for second in range(1, length, max(1, length // 12)):
            at = (dt.datetime.fromisoformat(start) + dt.timedelta(seconds=second)).isoformat()
            moment = session.get(f"{base}/api/v1/events/{event_id}/replay",
                                 params={"at": at}, timeout=60).json()  # fmt: skip
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
        step = int(page.get_attribute("#event-replay input[type=number]", "step") or 1)
        for _ in range(busy[0] // step):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({REPLAY_CADRES_JS})() === {busy[1]}", timeout=30_000)
        assert "回放时刻" in page.inner_text("#event-replay-time")

        with page.expect_download() as download:
            page.click("#event-report a")
        book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
        cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
        assert cadres in cells  # the summary sheet has the same count
    finally:
        page.close()
    assert errors == []
