"""The wartime desk at /events in headless Chromium, against the real server:
a commander draws the area on the map, declares an event, adds a task at a clicked place,
mobilises the proposed cadres, sees a missed check-in raised and ends the event.
A town leader watches, with nothing to press."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import Polygon, box

from tests.browser_waits import wait_map_at_rest
from tests.servers import browser_sign_in, demo_county_server, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMANDER = "zhao"
TOWN_LEADER = "sun"
TOWN = "370281009"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server seeding the demo county on first start, with a commander and a town leader."""
    users = [("commander", COMMANDER, None), ("town_leader", TOWN_LEADER, TOWN)]
    with demo_county_server(tmp_path_factory.mktemp("events"), users) as served:
        yield served


@pytest.fixture
def desk(browser, served):
    pages = []

    def opener(username: str, width: int = 1920, height: int = 1080, query: str = ""):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # AG Grid's warnings (e.g. #25, a row id that is not a string) and the
        # grids' own logged errors (a style function that does not parse) count too.
        page.on(
            "console",
            lambda m: (
                page.errors.append(m.text)
                if m.type == "error"
                or "AG Grid" in m.text
                or (m.type == "log" and m.text.startswith("Error"))
                else None
            ),
        )
        browser_sign_in(page, served["base"], username, then=f"/events{query}")
        page.wait_for_selector("#event-map.leaflet-container", timeout=60_000)
        wait_quiet(page)
        pages.append(page)
        return page

    yield opener
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    log = served["log"].read_text(errors="replace") if errors else ""
    assert errors == [], log[-4000:]


def wait_quiet(page) -> None:
    """Until Dash has no callback in flight, the map has drawn its grids and
    neither it nor their colours move any more (a declared event refits it)."""
    styles = "() => window.gc.map.styles('event-map-grids')"
    wait_map_at_rest(
        page,
        "event-map",
        ready_js=f"() => window.gc && Object.keys(({styles})()).length > 0",
        look_js=styles,
    )


def screen(page, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS84 point is on the page (projected by the page's own Leaflet map)."""
    at = page.evaluate("([lon, lat]) => window.gc.map.screen(lon, lat)", [lon, lat])
    return at["x"], at["y"]


def draw_rectangle(page, west: float, south: float, east: float, north: float) -> None:
    """Draw a rectangle on the map with its tool, corner to corner (shown large first)."""
    page.evaluate("(box) => window.gc.map.fit(...box)", [west, south, east, north])
    page.click(".leaflet-draw-draw-rectangle")
    x0, y0 = screen(page, west, south)
    x1, y1 = screen(page, east, north)
    page.evaluate(TRACK_POINTER_JS)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    wait_pointer(page, (x1, y1))
    page.mouse.move(x1 + 1, y1 + 1)  # the last move is the one the shape ends at
    page.mouse.move(x1, y1)
    wait_pointer(page, (x1, y1), came_from=(x1 + 1, y1 + 1))
    page.mouse.up()


# Where the page last saw the pointer move, and where it was before that:
# Chromium aligns mouse moves to animation frames, so one may reach the page
# after Playwright's move has returned, and a shape ends where the page last
# saw the pointer.
TRACK_POINTER_JS = """
() => {
    if (window.__gcPointer) return;
    window.__gcPointer = {last: null, before: null};
    document.addEventListener('mousemove', (e) => {
        const seen = window.__gcPointer;
        if (seen.last && seen.last[0] === e.clientX && seen.last[1] === e.clientY) return;
        seen.before = seen.last;
        seen.last = [e.clientX, e.clientY];
    }, true);
}
"""


def wait_pointer(page, at: tuple[float, float], came_from: tuple[float, float] | None = None):
    """Until the page has seen the pointer move to ``at`` (from ``came_from``)."""
    page.wait_for_function(
        """([at, from]) => {
            const near = (p, q) => Boolean(p) && Math.abs(p[0] - q[0]) <= 1
                                   && Math.abs(p[1] - q[1]) <= 1;
            const seen = window.__gcPointer;
            return near(seen.last, at) && (from === null || near(seen.before, from));
        }""",
        arg=[list(at), list(came_from) if came_from else None],
        timeout=30_000,
    )


def draw_polygon(page, corners: list[tuple[float, float]]) -> None:
    """Draw a polygon with its tool: click each corner, then the first again to close it."""
    lons, lats = [c[0] for c in corners], [c[1] for c in corners]
    page.evaluate(
        "(box) => window.gc.map.fit(...box)", [min(lons), min(lats), max(lons), max(lats)]
    )
    page.click(".leaflet-draw-draw-polygon")
    for n, (lon, lat) in enumerate([*corners, corners[0]], start=1):
        x, y = screen(page, lon, lat)
        page.mouse.click(x, y)
        if n > len(corners):
            break  # the first corner again closes the shape
        # The corner is taken (one vertex marker each), and Leaflet.draw's re-arm
        # timer set by this click has run: it drops a click that comes within 50 ms
        # (_enableNewMarkers), and a timer of the same delay set after it fires after it.
        page.wait_for_function(
            "(n) => document.querySelectorAll('#event-map .leaflet-editing-icon').length === n",
            arg=n,
            timeout=30_000,
        )
        page.evaluate("() => new Promise((done) => setTimeout(done, 50))")


def area_grids(store, event) -> list[str]:
    from services.events import grids_in

    return grids_in(event["geometry"], store.grids())


def town_box(store, n: int = 6) -> tuple[float, float, float, float]:
    """A box around the centres of a few of 胶西's grids (west, south, east, north)."""
    grids = store.grids(town=TOWN, geometry=False).sort_values("code").head(n)
    return (
        float(grids["lon"].min()),
        float(grids["lat"].min()),
        float(grids["lon"].max()),
        float(grids["lat"].max()),
    )


def inside_city(store, shape):
    return shape.intersection(shapely.union_all(store.towns().geometry.to_numpy()))


def same_shape(a, b, share: float = 0.03) -> bool:
    """``a`` and ``b`` differ by under ``share`` of ``b``'s area (a drawn corner is a pixel off)."""
    return a.symmetric_difference(b).area < share * b.area


def click_at(page, lon: float, lat: float) -> None:
    """Click the map at a WGS84 point."""
    page.mouse.click(*screen(page, lon, lat))


def choose(page, dropdown: str, option: str) -> None:
    page.click(dropdown)
    page.locator("[role=option]", has_text=option).click()


def test_a_commander_declares_staffs_and_ends_an_event(served, desk):
    from data.store import Store

    store = Store.open(served["url"])
    west, south, east, north = town_box(store)
    store.close()
    page = desk(COMMANDER)
    draw_rectangle(page, west, south, east, north)
    note = wait_text(page, "#event-area-note", "区域内有")
    picked = int("".join(ch for ch in note if ch.isdigit()))
    assert picked >= 6  # every grid whose centre is in the box, and those it cuts
    page.wait_for_function(  # shown on the map before declaring
        "(n) => Object.values(window.gc.map.styles('event-map-grids'))"
        ".filter(s => s.fill === '#2563eb').length === n",
        arg=picked,
        timeout=30_000,
    )
    page.fill("#event-name", "胶西土豆抢收（演练）")
    choose(page, "#event-kind", "助农抢收")
    page.click("#event-declare")
    wait_text(page, "#event-result", "已宣布")
    banner = wait_text(page, "#event-banner", "胶西土豆抢收（演练）")
    assert "助农抢收" in banner and "进行中" in banner

    store = Store.open(served["url"])
    try:
        event = store.events(active=True).iloc[0]
        assert event["name"] == "胶西土豆抢收（演练）" and event["kind"] == "harvest_help"
        # The event's area is the rectangle drawn (to the pixel: a few metres), in the city.
        assert same_shape(event["geometry"], inside_city(store, box(west, south, east, north)))
        assert len(area_grids(store, event)) == picked
        # A task at a clicked place: the centre of a grid of the event's area.
        wait_quiet(page)
        grid = store.grids(geometry=False).set_index("code").loc[area_grids(store, event)[0]]
        click_at(page, float(grid["lon"]), float(grid["lat"]))
        wait_text(page, "#task-place-note", "任务地点：1")
        page.wait_for_function("() => window.gc.map.state().added['event-map-place'] === 1")
        page.fill("#task-title", "王家庄土豆地抢收")
        page.fill("#task-headcount", "12")
        targets = page.locator(".gc-event-targets input")
        assert targets.count() == 3  # area, tonnes, sales: the harvest's figures
        targets.nth(0).fill("3000")
        page.click("#task-add")
        wait_text(page, "#task-result", "已新增任务")
        tasks = store.event_tasks(int(event["id"]))
        assert tasks["headcount"].tolist() == [12] and tasks["event_id"].tolist() == [event["id"]]
        wait_text(page, "#event-tasks", "王家庄土豆地抢收")

        page.click("#event-propose")
        summary = wait_text(page, "#event-proposal-summary", "方案派出")
        assert "需要 12 人" in summary and "对口部门" in summary
        rows = page.locator("#event-proposal .ag-center-cols-container .ag-row")
        page.wait_for_function(
            "() => document.querySelectorAll('#event-proposal .ag-center-cols-container .ag-row')"
            ".length > 0",
            timeout=30_000,
        )
        offered = rows.count()
        page.click("#event-confirm")
        sent = wait_text(page, "#event-mobilise-result", "已调派")
        assert f"{offered} 名" in sent
        on = store.event_dispatches(int(event["id"]), active=True)
        cadres = store.cadres().set_index("id").loc[on["cadre_id"]]
        assert len(on) == offered and set(cadres["status"]) == {"en_route"}
        wait_text(page, "#event-figures", f"在岗 {offered} 人")

        # Forty minutes pass without a check-in: the desk raises the alert.
        from sqlalchemy import update

        from data import schema

        with store.engine.begin() as conn:
            conn.execute(
                update(schema.dispatches)
                .where(schema.dispatches.c.id.in_(on["id"].tolist()))
                .values(sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40))
            )
        page.reload()
        alert = wait_text(page, "#event-overdue", "未按时报到")
        assert f"{offered} 名干部未按时报到" in alert and "超时 10 分钟" in alert

        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".gc-end")
        wait_text(page, "#event-end-result", "事件已结束")
        wait_text(page, "#event-banner", "已结束")
        assert store.events(active=True).empty
        assert (
            store.event_dispatches(int(event["id"]), active=True)["cadre_id"].tolist()
            == on["cadre_id"].tolist()
        )  # ending releases nobody: they finish their work
    finally:
        store.close()


def test_a_town_leader_watches_with_nothing_to_press(served, desk):
    page = desk(TOWN_LEADER)
    assert not page.locator("#event-declare").is_visible()
    assert not page.locator("#event-propose").is_visible()
    assert page.locator(".gc-end").count() == 0
    assert page.locator("#event-map.leaflet-container").count() == 1
    assert page.locator(".leaflet-draw-draw-rectangle, .leaflet-draw-draw-polygon").count() == 0


def test_a_polygon_drawn_on_the_map_is_the_area_and_bad_input_changes_nothing(served, desk):
    from data.store import Store

    store = Store.open(served["url"])
    try:
        west, south, east, north = town_box(store, 10)
        before = (len(store.events()), store.latest_seq())
        page = desk(COMMANDER)
        # Declaring with no area: a clear message, nothing written.
        page.fill("#event-name", "无区域")
        page.click("#event-declare")
        wait_text(page, "#event-result", "请在地图上")
        assert (len(store.events()), store.latest_seq()) == before
        triangle = [(west, south), (east, south), ((west + east) / 2, north)]
        draw_polygon(page, triangle)
        note = wait_text(page, "#event-area-note", "区域内有")
        assert int("".join(ch for ch in note if ch.isdigit())) >= 1
        page.fill("#event-name", "三角区域演练")
        page.click("#event-declare")
        wait_text(page, "#event-result", "已宣布")
        event = store.events(active=True)
        event = event[event["name"] == "三角区域演练"].iloc[0]
        assert same_shape(event["geometry"], inside_city(store, Polygon(triangle)))
        # The drawing is cleared once declared: the next event starts afresh.
        wait_text(page, "#event-area-note", "用地图右上角的工具")
    finally:
        store.close()


# The replay slider's labels and the card they sit in, as laid out.
SLIDER_JS = """
() => {
    const slider = document.querySelector('.gc-event-slider');
    const card = slider.closest('.gc-review-card').getBoundingClientRect();
    const labels = Array.from(slider.querySelectorAll('*'))
        .filter(e => e.children.length === 0 && e.innerText && e.innerText.trim())
        .map(e => { const r = e.getBoundingClientRect();
                    return {text: e.innerText.trim(), left: r.left, right: r.right,
                            cut: e.scrollWidth > e.clientWidth + 1}; });
    return {labels, left: card.left, right: card.right,
            inputs: slider.querySelectorAll('input').length};
}
"""


@pytest.mark.parametrize(("width", "height", "lang"), [(1920, 1080, "zh"), (3840, 2160, "en")])
def test_the_replay_slider_shows_its_labels_whole(served, desk, width, height, lang):
    """Issue 16: the replay slider's labels were cut at the card's edges."""
    from data.store import Store

    store = Store.open(served["url"])
    try:
        if store.events().empty:  # this test alone: an event to replay
            key = store.create_api_key("replay", actor="test", scopes="events")
            grids = store.grids(town=TOWN, geometry=False)["code"].tolist()[:3]
            import requests

            answer = requests.post(
                f"{served['base']}/api/v1/events",
                timeout=30,
                headers={"X-API-Key": key},
                json={"name": "回放", "kind": "flood", "severity": 3, "grids": grids},
            )
            assert answer.status_code == 201, answer.text
    finally:
        store.close()
    page = desk(COMMANDER, width, height, f"?lang={lang}")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.gc-event-slider *'))"
        ".some(e => e.children.length === 0 && /\\d\\d:\\d\\d/.test(e.innerText || ''))",
        timeout=60_000,
    )
    page.locator(".gc-event-slider").scroll_into_view_if_needed()
    shown = page.evaluate(SLIDER_JS)
    assert len(shown["labels"]) == 2, shown  # its two ends, no more
    for label in shown["labels"]:
        assert not label["cut"] and len(label["text"]) <= len("12-06 13:30"), shown
        assert shown["left"] <= label["left"] and label["right"] <= shown["right"], shown
    first, last = sorted(shown["labels"], key=lambda x: x["left"])
    assert first["right"] < last["left"], shown  # apart, not on top of each other
    assert shown["inputs"] == 0  # no box of seconds beside it
