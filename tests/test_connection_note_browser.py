"""The wall's "connection lost" note, in headless Chromium against a real server.

The note must appear only after a check failed: never during a slow first
draw (a busy machine freezes the page for seconds), and when the server stops
answering, with the time of the last answer in China time, like the wall's
clock, even when the browser runs on UTC (as cloud desktops often do).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from data.store import Store
from scripts.app_process import app_process
from tests.tiny_city import tiny_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
# Every time the note is shown, its text, from the first moment of the page.
WATCH_NOTE_JS = """
window.__notesShown = [];
new MutationObserver(() => {
    const note = document.querySelector(".gc-stale");
    if (note && note.style.display === "block") window.__notesShown.push(note.innerText);
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["style"]});
"""
FIRST_ANSWER_JS = "() => (document.getElementById('updated') || {}).innerText"
REFRESH = "live-state"  # the refresh callback's output: its requests are the wall's checks


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    """`python app.py serve` on the tiny city; the wall's URL with a display key."""
    workdir = tmp_path_factory.mktemp("note")
    url = f"sqlite:///{workdir / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city())
    key = store.create_api_key("测试大屏", actor="test", scopes="display")
    store.close()
    with app_process({"DATABASE_URL": url, "GC_TEST_LOG": str(workdir / "server.log")}) as base:
        yield f"{base}/?refresh=1&key={key}"


@pytest.fixture
def utc_page(browser):
    """A wall page in a browser whose clock runs on UTC, watching the note."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="UTC")
    page = context.new_page()
    page.add_init_script(WATCH_NOTE_JS)
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content-Security-Policy" in m.text else None
    )
    yield page
    context.close()
    assert refused == []  # the note's function runs under the strict CSP


def test_no_note_during_a_slow_first_draw(wall, utc_page):
    page = utc_page
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})  # a busy machine
    page.goto(wall)
    page.wait_for_function(FIRST_ANSWER_JS, timeout=60_000)
    # The first answer is in; drawing it keeps the page busy for 12 s, as the
    # map's first draw does on a loaded machine without a GPU.
    thawed = page.evaluate(
        "() => { const end = Date.now() + 12000; while (Date.now() < end) {} return Date.now(); }"
    )
    # The timers held back by the freeze all run now: the note's check has
    # ticked since, and a check has been answered since (the note would have
    # shown in between, if the freeze counted against the server).
    page.wait_for_function(
        "(t) => { const c = window.gcConnection || {}; return c.lastTick > t && c.okAt > t; }",
        arg=thawed,
        timeout=60_000,
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert page.evaluate("window.__notesShown") == []
    assert not page.locator(".gc-stale").is_visible()


def shown_time(text: str) -> dt.time:
    found = re.search(r"(\d\d):(\d\d):(\d\d)", text)
    assert found, text
    return dt.time(*map(int, found.groups()))


def seconds_apart(a: dt.time, b: dt.time) -> float:
    gap = abs(
        (a.hour * 3600 + a.minute * 60 + a.second) - (b.hour * 3600 + b.minute * 60 + b.second)
    )
    return min(gap, 86400 - gap)


def test_the_note_comes_after_failed_checks_in_china_time_and_goes_when_they_pass(wall, utc_page):
    page, failing = utc_page, {"on": False}

    def checks(route):
        if failing["on"] and REFRESH in (route.request.post_data or ""):
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route("**/_dash-update-component*", checks)
    page.goto(wall)
    page.wait_for_function(FIRST_ANSWER_JS, timeout=60_000)
    # Two checks answered, the note's state following them, and no note yet.
    answered = page.wait_for_function("() => (window.gcConnection || {}).okAt").json_value()
    page.wait_for_function("(t) => window.gcConnection.okAt > t", arg=answered, timeout=30_000)
    assert page.evaluate("window.__notesShown") == []
    failing["on"] = True
    stopped = dt.datetime.now(CHINA).time()
    page.wait_for_selector(".gc-stale", state="visible", timeout=30_000)
    text = page.inner_text(".gc-stale")
    assert text.startswith("与服务器连接中断，画面停留在 ")
    since = shown_time(text)
    assert seconds_apart(since, stopped) <= 5, f"{since} is not China time (stopped {stopped})"
    clock = shown_time(page.inner_text("#clock"))  # the wall's own clock, China time
    assert 5 <= seconds_apart(since, clock) <= 60
    failing["on"] = False  # the server answers again: the note goes by itself
    page.wait_for_selector(".gc-stale", state="hidden", timeout=15_000)
