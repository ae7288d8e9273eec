"""The town review at /review in headless Chromium, against the real server.

A city leader drives the filters and drills down; every change must change the
map and the tables, and the page's figures must equal the review the server
computes for the same query. A town leader sees only their town. Empty and
reversed periods give clear empty states, never a blank chart.
"""

from __future__ import annotations

import datetime as dt

import pytest

from data.store import Store
from tests.browser_waits import wait_clickable, wait_map_at_rest, wait_steady
from tests.servers import browser_sign_in, demo_county_server, wait_for_models

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOWN = "370281009"  # 胶西街道
CITY_LEADER = "qian"
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
TOWN_LEADER = "sun"

# What the page shows: the map's grids as drawn (code -> fill, line width),
# its colour key, the tiles, the tables' rows.
PAGE_STATE_JS = """
() => {
    const styles = window.gc && window.gc.map ? window.gc.map.styles('review-map-grids') : {};
    const grids = Object.keys(styles).sort();
    const legend = document.getElementById('review-legend');
    const rows = (id) => Array.from(document.querySelectorAll(
        `#${id} .ag-center-cols-container .ag-row`)).length;
    const pinned = (id) => Array.from(document.querySelectorAll(
        `#${id} .ag-pinned-left-cols-container .ag-row`))
        .sort((a, b) => (+a.getAttribute('row-index')) - (+b.getAttribute('row-index')))
        .map(r => r.innerText.replace(/\\s+/g, ' ').trim());
    const tiles = {};
    document.querySelectorAll('.gc-review-tile').forEach(t => {
        tiles[t.dataset.metric] = t.querySelector('.gc-review-tile-value').innerText.trim();
    });
    const notice = document.getElementById('review-notice');
    const trend = document.querySelector('#review-trend .js-plotly-plot');
    return {
        grids, tiles,
        fills: grids.map(c => styles[c].fill),
        selected: grids.filter(c => styles[c].weight >= 3),
        legend: legend ? legend.innerText : '',
        ticks: legend ? Array.from(legend.querySelectorAll('.gc-review-legend-ticks span'))
            .map(s => s.innerText) : [],
        crumbs: document.getElementById('review-crumbs').innerText.replace(/\\s+/g, ' '),
        units: rows('review-units'), unitNames: pinned('review-units'),
        notice: notice && !notice.hidden ? notice.innerText : null,
        trendText: trend ? trend.innerText : '',
        trendTraces: trend && trend.data ? trend.data.length : -1,
    };
}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server seeding the demo county on first start, with a city and a town leader."""
    users = [("city_leader", CITY_LEADER, None), ("town_leader", TOWN_LEADER, TOWN)]
    with demo_county_server(tmp_path_factory.mktemp("review"), users) as served:
        yield served


@pytest.fixture
def review_page(browser, served):
    """Opens /review signed in; after the test, no JavaScript or CSP error."""
    pages = []

    def opener(username: str, query: str = "", width: int = 1920, height: int = 1080):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        browser_sign_in(page, served["base"], username, then=f"/review{query}")
        page.wait_for_selector(".gc-review-tile", timeout=60_000)
        wait_settled(page)
        pages.append(page)
        return page

    yield opener
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    assert errors == []


def state(page) -> dict:
    return page.evaluate(PAGE_STATE_JS)


# The map draws the grids Dash holds for it now: those of the area reviewed,
# each in its colour (grey with nothing to measure), the selected one outlined.
MAP_IN_STEP_JS = """
() => {
    const api = window.dash_component_api;
    const layer = api && api.getLayout && api.getLayout('review-map-grids');
    const wanted = layer && layer.props && layer.props.hideout;
    if (!wanted || !wanted.value || !window.gc || !window.gc.map) return false;
    const drawn = window.gc.map.styles('review-map-grids');
    const codes = Object.keys(wanted.value);
    return codes.length > 0 && Object.keys(drawn).length === codes.length
        && codes.every((c) => drawn[c]
            && drawn[c].fill === ((wanted.fill || {})[c] || wanted.nodata)
            && (drawn[c].weight >= 3) === (wanted.selected === c));
}
"""


def wait_settled(page) -> None:
    """Until Dash has no callback in flight, the map has drawn its grids as Dash
    holds them and its key, and the page (map, tables, tiles, charts) is at rest."""
    wait_map_at_rest(
        page,
        "review-map",
        ready_js=f"() => ({MAP_IN_STEP_JS})()"
        " && document.getElementById('review-legend').innerText.length > 0",
        look_js=PAGE_STATE_JS,
    )


def wait_changed(page, before: dict, key: str) -> dict:
    page.wait_for_function(
        f"(old) => JSON.stringify(({PAGE_STATE_JS})()[{key!r}]) !== old",
        arg=__import__("json").dumps(before[key]),
        timeout=60_000,
    )
    wait_settled(page)
    return state(page)


def wait_until(page, test_js: str) -> dict:
    """The page state once ``test_js`` (a function of that state) holds, settled."""
    page.wait_for_function(f"() => ({test_js})(({PAGE_STATE_JS})())", timeout=60_000)
    wait_settled(page)
    return state(page)


def shown_grids(snapshot: dict) -> set[str]:
    return set(snapshot["grids"])


def server_review(url: str, args: dict, role: str = "city_leader", town: str | None = None):
    """The review the server computes for ``args``, as the page's caller."""
    from data.store import Store
    from domain.access import for_user
    from domain.review_metrics import METRICS
    from domain.review_query import local_today, parse_query
    from services.review import build_review

    now = dt.datetime.now(dt.UTC)
    store = Store.open(url)
    try:
        query = parse_query(args, today=local_today(now), metrics=METRICS)
        return build_review(store, query, for_user(1, "t", role, town), now=now)
    finally:
        store.close()


def pick_dropdown(page, component_id: str, text: str) -> None:
    """Choose ``text`` in a Dash 4 dropdown (its menu is a Radix popover elsewhere in the page)."""
    page.click(f"#{component_id}")
    menu = page.get_attribute(f"#{component_id}", "aria-controls")
    page.locator(f"[id='{menu}'] [role=option]", has_text=text).first.click()
    page.keyboard.press("Escape")


def test_filters_change_the_map_and_tables_and_match_the_server(served, review_page):
    page = review_page(CITY_LEADER)
    first = state(page)
    assert first["crumbs"].startswith("全市")
    assert len(shown_grids(first)) == 1400  # every grid of the county, coloured or grey
    assert first["units"] == 12  # the towns ranked
    expected = server_review(served["url"], {"period": "month"})
    assert first["tiles"]["incidents"] == f"{int(expected.totals['incidents']):,}"
    assert "诉求件数" in first["legend"]

    # The year: more reports, other colours.
    page.locator("#review-pick label", has_text="本年").click()
    year = wait_changed(page, first, "tiles")
    expected = server_review(served["url"], {"period": "year"})
    assert year["tiles"]["incidents"] == f"{int(expected.totals['incidents']):,}"
    assert year["tiles"]["incidents"] != first["tiles"]["incidents"]
    assert year["fills"] != first["fills"]

    # Another metric: the legend says so and the ranking follows it.
    pick_dropdown(page, "review-metric", "满意率")
    by_rate = wait_changed(page, year, "legend")
    assert "满意率" in by_rate["legend"]
    expected = server_review(served["url"], {"period": "year", "metric": "satisfaction_rate"})
    assert by_rate["unitNames"][0].endswith(expected.units.iloc[0]["name"])
    assert by_rate["ticks"][-1].endswith("%") and float(by_rate["ticks"][-1][:-1]) <= 100

    # One category: fewer reports.
    pick_dropdown(page, "review-categories", "垃圾清运")
    garbage = wait_changed(page, by_rate, "tiles")
    expected = server_review(
        served["url"], {"period": "year", "metric": "satisfaction_rate", "category": "garbage"}
    )
    assert garbage["tiles"]["incidents"] == f"{int(expected.totals['incidents']):,}"
    assert int(garbage["tiles"]["incidents"].replace(",", "")) < int(
        year["tiles"]["incidents"].replace(",", "")
    )
    # The view's link opens the same view (a bookmark).
    link = page.get_attribute("#review-link", "href")
    assert "category=garbage" in link and "metric=satisfaction_rate" in link
    page.goto(served["base"] + link)
    page.wait_for_selector(".gc-review-tile", timeout=60_000)
    wait_settled(page)
    assert state(page)["tiles"]["incidents"] == garbage["tiles"]["incidents"]


def test_drill_down_city_town_community_grid_and_back(served, review_page):
    page = review_page(CITY_LEADER, "?period=year")
    city = state(page)
    top_town = city["unitNames"][0]
    page.locator("#review-units .ag-pinned-left-cols-container .ag-row[row-index='0']").click()
    town = wait_until(page, "(s) => (s.crumbs.match(/›/g) || []).length === 1")
    assert top_town.split(" ")[-1] in town["crumbs"]
    assert len(shown_grids(town)) < 400  # the town's grids only
    page.locator("#review-units .ag-pinned-left-cols-container .ag-row[row-index='0']").click()
    community = wait_until(page, "(s) => (s.crumbs.match(/›/g) || []).length === 2")
    assert len(shown_grids(community)) < len(shown_grids(town))  # the community's grids
    page.locator("#review-units .ag-pinned-left-cols-container .ag-row[row-index='0']").click()
    grid = wait_until(page, "(s) => (s.crumbs.match(/›/g) || []).length === 3")
    assert len(grid["selected"]) == 1  # outlined on the map
    card = page.inner_text("#review-grid")
    assert "网格员" in card and "****" in card  # a leader sees the worker, phone masked
    # The breadcrumb goes back up to the city.
    page.locator(".gc-crumb", has_text="全市").click()
    back = wait_until(page, "(s) => !s.crumbs.includes('›')")
    assert back["crumbs"].startswith("全市")
    assert len(shown_grids(back)) == 1400


def test_a_click_on_a_grid_of_the_map_drills_into_it(served, review_page):
    page = review_page(CITY_LEADER, "?period=year")
    city = state(page)
    code = city["grids"][len(city["grids"]) // 2]
    page.evaluate("([id, code]) => window.gc.map.pixel(id, code, 14)", ["review-map-grids", code])
    at = wait_clickable(page, "review-map", "review-map-grids", code)  # the map moved there
    page.mouse.click(at["x"], at["y"])
    grid = wait_until(page, "(s) => (s.crumbs.match(/›/g) || []).length === 3")
    assert grid["selected"] == [code]  # outlined on the map
    assert code in page.inner_text("#review-grid")  # its card: worker, households
    assert len(shown_grids(grid)) < len(shown_grids(city))


def test_a_metric_changed_while_the_grids_load_is_the_one_drawn(served, browser):
    """Regression: dash-leaflet skips a hideout that changes while its layer
    fetches its URL, and drew the fetched grids in the old metric's colours."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    held = []  # the grids' request, answered only once the metric has changed
    asked = []  # the same request, as the page's request events tell it
    grids_url = "/api/v1/grids.geojson"
    page.on("request", lambda request: asked.append(request) if grids_url in request.url else None)
    page.route(f"**{grids_url}*", lambda route: held.append(route))
    try:
        browser_sign_in(page, served["base"], CITY_LEADER, then="/review?period=year")
        if not asked:
            page.wait_for_event(
                "request", predicate=lambda request: grids_url in request.url, timeout=60_000
            )
        page.wait_for_function(
            "() => document.getElementById('review-legend').innerText.includes('诉求件数')",
            timeout=60_000,
        )
        pick_dropdown(page, "review-metric", "满意率")
        page.wait_for_function(
            "() => document.getElementById('review-legend').innerText.includes('满意率')",
            timeout=60_000,
        )
        assert held, "the review map never asked for its grids"
        for route in held:
            route.continue_()
        # Drawn and at rest; whether in the right colours is what is asserted below.
        styles = "() => window.gc.map.styles('review-map-grids')"
        wait_map_at_rest(
            page,
            "review-map",
            ready_js=f"() => window.gc && Object.keys(({styles})()).length > 0",
            look_js=styles,
        )
        drawn, wanted = page.evaluate("""() => [window.gc.map.styles('review-map-grids'),
            window.dash_component_api.getLayout('review-map-grids').props.hideout]""")
        assert len(drawn) == 1400 and len(wanted["fill"]) > 100
        wrong = [
            code
            for code, style in drawn.items()
            if style["fill"] != wanted["fill"].get(code, wanted["nodata"])
        ]
        assert wrong == []
    finally:
        page.close()


def test_a_town_leader_sees_only_their_town(served, review_page):
    page = review_page(TOWN_LEADER, "?period=year")
    snapshot = state(page)
    from data.store import Store

    store = Store.open(served["url"])
    own = set(store.grids(town=TOWN, geometry=False)["code"])
    store.close()
    assert shown_grids(snapshot) == own
    assert page.is_disabled("#review-town")  # no other town to choose
    expected = server_review(served["url"], {"period": "year"}, "town_leader", TOWN)
    assert snapshot["tiles"]["incidents"] == f"{int(expected.totals['incidents']):,}"


def test_an_empty_period_and_a_reversed_range_say_so_and_draw_no_blank_chart(served, review_page):
    page = review_page(CITY_LEADER, "?from=2020-01-01&to=2020-01-31")  # before the channel
    empty = state(page)
    assert empty["notice"] == "所选时段和范围内没有诉求。"
    assert len(shown_grids(empty)) == 1400  # the map still shows the grids, grey
    assert "所选时段和范围内没有诉求" in empty["trendText"]  # the chart says it, not blank
    assert empty["tiles"]["incidents"] == "0"

    page = review_page(CITY_LEADER, "?from=2026-06-30&to=2026-06-01")
    reversed_ = state(page)
    assert reversed_["notice"] == "开始日期晚于结束日期，请调整时间范围。"
    assert len(shown_grids(reversed_)) == 1400
    assert "开始日期晚于结束日期" in reversed_["trendText"]


# The forecast section once its callback has answered: the head's words, how
# many days it compared, the chart's traces, the bars drawn, the work at risk,
# the table per category (its caption, and each row's code, side and cells).
FORECAST_JS = """
() => {
    const head = document.getElementById('review-forecast-head');
    const table = document.querySelector('#review-forecast-categories table');
    const chart = document.querySelector('#review-forecast .js-plotly-plot');
    const risk = document.querySelector('#review-at-risk [data-at-risk]');
    const bars = chart && chart.data ? chart.data.filter(t => t.type === 'bar') : [];
    return {
        head: head ? head.innerText.replace(/\\s+/g, ' ') : '',
        compared: head && head.querySelector('[data-compared]')
            ? +head.querySelector('[data-compared]').dataset.compared : null,
        traces: chart && chart.data ? chart.data.length : -1,
        came: bars.length ? bars[0].y : [],
        chartText: chart ? chart.innerText : '',
        risk: risk ? risk.dataset.atRisk : null,
        caption: table ? table.caption.innerText : '',
        categories: table ? Array.from(table.tBodies[0].rows).map(r => ({
            code: r.dataset.category, side: r.dataset.side,
            cells: Array.from(r.cells).map(c => c.innerText.trim()),
        })) : [],
    };
}
"""


def came_by_category(shown: dict) -> int:
    """The reports that came, added over the rows of the table per category."""
    return sum(int(row["cells"][3].replace(",", "")) for row in shown["categories"])


def forecast_state(page, ready_js: str) -> dict:
    """The forecast section once ``ready_js`` (a function of it) holds."""
    page.wait_for_function(f"() => ({ready_js})(({FORECAST_JS})())", timeout=120_000)
    return page.evaluate(FORECAST_JS)


def test_the_review_compares_the_forecast_with_what_came_and_counts_work_at_risk(
    served, review_page
):
    """Issue 20: the last two weeks, each day's forecast as made at its week's
    start against the reports that came, for the city and for a town leader's
    own town, with the open work at risk now; the page has no serious axe finding."""
    from axe_playwright_python.sync_playwright import Axe

    from domain.access import for_user
    from domain.categories import category_name
    from domain.review_query import Period, ReviewQuery, local_today
    from services.review_forecast import review_forecast

    wait_for_models(served["url"])
    today = local_today(dt.datetime.now(dt.UTC))
    first, last = today - dt.timedelta(days=14), today - dt.timedelta(days=1)
    args = f"?from={first}&to={last}"
    page = review_page(CITY_LEADER, args)
    city = forecast_state(
        page,
        "(s) => s.compared !== null && s.risk !== null && s.risk !== '' && s.categories.length",
    )
    assert city["compared"] == 14 and city["head"].startswith("全市")
    assert city["traces"] == 4 and len(city["came"]) == 14 and None not in city["came"]
    store = Store.open(served["url"])
    try:
        expected = review_forecast(
            store,
            ReviewQuery(Period(first, last)),
            for_user(1, "t", "city_leader", None),
            now=dt.datetime.now(dt.UTC),
        )
    finally:
        store.close()
    assert city["came"] == expected.days["actual"].astype(int).tolist()
    assert f"实际 {expected.totals['actual']:,} 件" in city["head"]
    # Per category: the server's rows in its order (largest forecast first),
    # named in Chinese, what came outside its interval marked in words too.
    table = expected.categories
    assert [row["code"] for row in city["categories"]] == table["category"].tolist()
    assert [row["side"] for row in city["categories"]] == table["side"].tolist()
    assert city["caption"].startswith("全市 · ")
    for row, want in zip(city["categories"], table.itertuples(), strict=True):
        assert row["cells"][0] == category_name(want.category, "zh")
        assert row["cells"][3] == f"{int(want.actual):,}"
        assert row["cells"][4] == {"above": "▲ 高于区间", "below": "▼ 低于区间"}.get(want.side, "")
    assert came_by_category(city) == expected.totals["actual"]
    page.wait_for_selector("#review-proactive [data-spots]")  # its tables checked too
    found = Axe().run(page, options=WCAG).response["violations"]
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []

    own = forecast_state(
        review_page(TOWN_LEADER, args),
        "(s) => s.compared !== null && s.risk !== null && s.categories.length",
    )
    assert own["head"].startswith("胶西街道") and own["compared"] == 14
    assert own["caption"].startswith("胶西街道 · ")
    assert came_by_category(own) == sum(own["came"])
    assert sum(own["came"]) < sum(city["came"]) and int(own["risk"]) <= int(city["risk"])


def test_a_period_ahead_shows_the_forecast_alone_and_one_beyond_it_says_so(served, review_page):
    from domain.review_query import local_today

    wait_for_models(served["url"])
    today = local_today(dt.datetime.now(dt.UTC))
    ahead = f"?from={today + dt.timedelta(days=1)}&to={today + dt.timedelta(days=3)}"
    soon = forecast_state(review_page(CITY_LEADER, ahead), "(s) => s.traces === 4")
    assert "还没有过完的一天" in soon["head"] and soon["came"] == [None, None, None]
    far = f"?from={today + dt.timedelta(days=30)}&to={today + dt.timedelta(days=40)}&lang=en"
    beyond = forecast_state(review_page(CITY_LEADER, far), "(s) => s.head.includes('beyond')")
    assert "reaches 7 days from today" in beyond["head"]
    assert beyond["traces"] == 0 and "No forecast to show" in beyond["chartText"]


def test_english_switch_and_4k(served, review_page):
    page = review_page(CITY_LEADER, "?period=year&lang=en", width=3840, height=2160)
    snapshot = state(page)
    assert snapshot["crumbs"].startswith("City")
    assert "Incidents" in snapshot["legend"]
    assert page.inner_text("#review-units-title").startswith("Towns")


def test_clicking_a_bar_drills_into_its_category_and_its_month(served, review_page):
    page = review_page(CITY_LEADER, "?period=year")
    year = state(page)
    # The category chart's top bar: the review filters to that category.
    page.locator("#review-category-mix .bars .point path").last.click(force=True)
    category = wait_changed(page, year, "tiles")
    chosen = page.inner_text("#review-categories")
    assert chosen.strip() and "全部" not in chosen
    assert int(category["tiles"]["incidents"].replace(",", "")) < int(
        year["tiles"]["incidents"].replace(",", "")
    )
    # A month of the trend: the period becomes that month.
    page.locator("#review-trend .bars .point path").first.click(force=True)
    month = wait_changed(page, category, "crumbs")
    assert "2026-01-01 至 2026-01-31" in month["crumbs"] or "-01 至 " in month["crumbs"]
    assert page.locator("#review-pick input[value=custom]").is_checked()


# Every table of the page: its headers as laid out, and whether it scrolls sideways.
TABLES_JS = """
() => Array.from(document.querySelectorAll('.gc-review-table')).map(box => {
    const grid = box.querySelector('.ag-root-wrapper');
    const viewport = grid.querySelector('.ag-center-cols-viewport');
    const cells = Array.from(grid.querySelectorAll('.ag-header-cell'));
    const texts = cells.map(c => c.querySelector('.ag-header-cell-text'));
    // A word (not CJK, which wraps between any two characters) split over two lines.
    const split = texts.flatMap(t => {
        const words = []; const node = t.firstChild; if (!node) return words;
        const re = /[^\\s\\u2e80-\\u9fff\\uff00-\\uffef]+/g; let m;  // CJK may wrap anywhere
        while ((m = re.exec(node.textContent)) !== null) {
            const range = document.createRange();
            range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
            const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
            if (lines.size > 1) words.push(m[0]);
        }
        return words;
    });
    const right = grid.getBoundingClientRect().right;
    return {
        id: box.querySelector('[id]').id,
        headers: texts.map(t => t.innerText),
        cut: texts.filter(t => t.scrollWidth > t.clientWidth + 1
                            || t.scrollHeight > t.clientHeight + 1).map(t => t.innerText),
        split,
        outside: cells.filter(c => c.getBoundingClientRect().right > right + 1)
                      .map(c => c.innerText),
        sideways: viewport.scrollWidth > viewport.clientWidth + 1,
    };
})
"""


@pytest.mark.parametrize(("width", "height", "lang"), [(1920, 1080, "zh"), (3840, 2160, "en")])
def test_every_header_reads_whole_every_column_shows_and_rates_stop_at_100(
    served, review_page, width, height, lang
):
    """Issue 16: headers were cut ("千人诉…"), the last column was off the card,
    and the closure-rate axis read 103.2 %."""
    page = review_page(CITY_LEADER, f"?period=year&lang={lang}", width=width, height=height)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if "AG Grid" in m.text else None)
    page.locator("#review-league").scroll_into_view_if_needed()
    wait_steady(page, TABLES_JS)  # the tables laid out where they were scrolled to
    tables = page.evaluate(TABLES_JS)
    assert {t["id"] for t in tables} == {
        "review-units",
        "review-hot",
        "review-grids",
        "review-league",
    }
    for table in tables:
        assert len(table["headers"]) >= 6, table
        assert table["cut"] == [] and table["split"] == [], table
        assert table["outside"] == [] and not table["sideways"], table
    units = next(t for t in tables if t["id"] == "review-units")
    expected = "超时件数" if lang == "zh" else "SLA breaches"
    assert expected in units["headers"]  # the last column, on screen
    axis = page.evaluate(
        "() => document.querySelector('#review-trend .js-plotly-plot')._fullLayout.yaxis2.range"
    )
    assert axis[0] >= 0 and axis[1] <= 100
    ticks = page.evaluate(
        "() => Array.from(document.querySelectorAll('#review-trend .y2tick text'))"
        ".map(t => t.textContent)"
    )
    assert ticks and max(float(t.rstrip("%")) for t in ticks) <= 100
    assert warnings == []


# The recurring spots card once its callback has answered: the count and key
# of each spot proposed, and each proactive case's number and status.
PROACTIVE_JS = """
() => {
    const card = document.getElementById('review-proactive');
    const head = card && card.querySelector('[data-spots]');
    return {
        spots: head ? +head.dataset.spots : null,
        keys: Array.from(card ? card.querySelectorAll('tr[data-spot]') : [])
            .map(r => r.dataset.spot),
        cases: Array.from(card ? card.querySelectorAll('tr[data-case]') : [])
            .map(r => [r.dataset.case, r.cells[4].innerText.trim()]),
        heads: Array.from(card ? card.querySelectorAll('h3') : []).map(h => h.innerText),
        buttons: card ? card.querySelectorAll('button, input').length : -1,
    };
}
"""


def test_the_review_lists_the_spots_proposed_and_the_proactive_cases_read_only(served, review_page):
    """Issue 20: a leader sees what the desk is proposed now and the proactive
    cases opened in the period, of their own town only; opening stays on the
    console (no button here)."""
    from domain.access import for_user
    from domain.review_query import local_today
    from services import proactive

    now = dt.datetime.now(dt.UTC)
    store = Store.open(served["url"])
    try:
        spot = proactive.proposals(store, now).iloc[0]  # the demo plants recent spots
        operator = for_user(1, "zhao", "operator", None)
        opened = proactive.open_case(store, spot["key"], operator, now)
        public_id = store.incidents(ids=[opened]).iloc[0]["public_id"]
        proposed = proactive.proposals(store, now)
        in_town = proactive.proposals(store, now, town=TOWN)
    finally:
        store.close()
    today = local_today(now)
    args = f"?from={today - dt.timedelta(days=6)}&to={today}"
    page = review_page(CITY_LEADER, args)
    page.wait_for_function(f"() => ({PROACTIVE_JS})().spots !== null", timeout=60_000)
    city = page.evaluate(PROACTIVE_JS)
    assert city["spots"] == len(proposed) and city["keys"] == proposed["key"].tolist()
    assert spot["key"] not in city["keys"]  # opened: no longer proposed
    assert [public_id, "立案"] in city["cases"] and city["buttons"] == 0
    assert city["heads"][0].startswith("全市当前待研判点位")

    own = review_page(TOWN_LEADER, args + "&lang=en")
    own.wait_for_function(f"() => ({PROACTIVE_JS})().spots !== null", timeout=60_000)
    mine = own.evaluate(PROACTIVE_JS)
    assert mine["heads"][0].startswith("Jiaoxi")
    assert mine["keys"] == in_town["key"].tolist()
    assert (public_id in [case for case, _ in mine["cases"]]) == (spot["town_code"] == TOWN)
