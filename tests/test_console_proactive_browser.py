"""Issue 20 on the dispatch console, in headless Chromium against the real server:
the queue's breach risk (riskiest first, with its factors in the detail), and
a recurring spot of the demo county opened as a proactive case in one click."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser_waits import DASH_IDLE_JS
from tests.servers import browser_sign_in, demo_county_server, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPERATOR = "zhao"
QUEUE = "dash_ag_grid.getApi('queue')"
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo county (with its planted recurring spots), an operator, and the
    breach-risk model trained from its history, as `python app.py model train` does."""
    with demo_county_server(
        tmp_path_factory.mktemp("proactive"), [("operator", OPERATOR, None)]
    ) as s:
        from data.store import Store
        from services import predictions

        store = Store.open(s["url"])
        try:
            s["trained"] = predictions.train(store, dt.datetime.now(dt.UTC), actor="test")
        finally:
            store.close()
        yield s


@pytest.fixture
def desk(browser, served):
    """/dispatch signed in as the operator; after the test, no JavaScript error,
    no failed callback, no AG Grid warning."""
    pages = []

    def opener(width: int = 1920, height: int = 1080, lang: str = "zh", spots: bool = True):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on(
            "console",
            lambda m: (
                page.errors.append(m.text) if m.type == "error" or "AG Grid" in m.text else None
            ),
        )
        browser_sign_in(page, served["base"], OPERATOR, then=f"/dispatch?lang={lang}")
        page.wait_for_selector("#queue .ag-row", timeout=30_000)
        if spots:
            page.wait_for_selector("#proactive .gc-spot", timeout=30_000)
        page.wait_for_function(DASH_IDLE_JS)
        pages.append(page)
        return page

    yield opener
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    log = served["log"].read_text(errors="replace") if errors else ""
    assert errors == [], log[-4000:]


def queue_rows(page) -> list[dict]:
    """The queue's rows in the order shown (sorted as the operator sees them)."""
    return page.evaluate(
        f"() => {{ const rows = []; {QUEUE}.forEachNodeAfterFilterAndSort(n => rows.push(n.data));"
        " return rows; }"
    )


def test_the_queue_puts_new_reports_then_the_riskiest_work_first_and_the_detail_says_why(
    served, desk
):
    assert served["trained"]["breach_risk"]["status"] == "ok"  # the county's history suffices
    page = desk(spots=False)
    assert "训练的模型" in page.inner_text("#risk-note")
    header = page.locator("#queue .ag-header-cell[col-id=risk]").inner_text()
    assert header.strip() == "超时风险"
    rows = queue_rows(page)
    new = [r for r in rows if r["status"] == "受理"]  # not yet registered: first
    assert rows[: len(new)] == new and [r["priority"] for r in new] == sorted(
        r["priority"] for r in new
    )  # urgent first, then riskiest (domain.triage, tested in test_triage.py)
    risks = [r["risk"] for r in rows[len(new) :]]  # then the work under way, riskiest first
    assert all(r is not None for r in risks[:5]) and risks == sorted(
        risks, key=lambda r: -1 if r is None else r, reverse=True
    )
    at = len(new)
    first = page.locator(f"#queue .ag-row[row-index='{at}'] [col-id=risk]").inner_text()
    assert first.endswith("%") and float(first[:-1]) == pytest.approx(rows[at]["risk"], abs=0.5)
    # An open incident not yet overdue: its risk and the factors that drive it.
    pick = next(n for n, r in enumerate(rows) if r["risk"] is not None and r["risk"] < 100)
    page.locator(f"#queue .ag-row[row-index='{pick}'] .ag-cell").first.click()
    wait_text(page, "#incident-detail", "超时风险")
    factors = page.locator(".gc-risk-factors li").all_inner_texts()
    assert 1 <= len(factors) <= 3 and all(f.endswith(("↑", "↓")) for f in factors)
    assert page.inner_text(".gc-risk-figure") == f"{rows[pick]['risk']:.0f}%"


def test_a_report_of_a_spot_opens_read_only_and_the_page_passes_axe(served, desk):
    page = desk()
    report = page.locator("#proactive .gc-spot-report").first
    number = report.locator(".gc-spot-id").inner_text()
    report.click()
    wait_text(page, "#incident-detail", number)
    assert "只读" in page.inner_text("#incident-detail")
    assert page.locator("#incident-detail .gc-button").count() == 0  # no move from here
    found = Axe().run(page, options=WCAG).response["violations"]
    serious = {
        v["id"]: [" ".join(n["target"]) for n in v["nodes"][:3]]
        for v in found
        if v["impact"] in ("serious", "critical")
    }
    assert serious == {}


def test_an_operator_opens_a_proposed_spot_as_a_proactive_case(served, desk):
    from data.store import Store

    page = desk()
    card = page.locator("#proactive .gc-spot").first
    key = page.evaluate("() => JSON.parse(document.querySelector('#proactive .gc-spot').id).spot")
    reports = card.locator(".gc-spot-report").count()
    assert reports >= 5 and "次" in card.locator(".gc-spot-when").inner_text()
    # The small map shows the spot's reports.
    page.wait_for_function(
        "(n) => window.gc && Object.keys(window.gc.map.spotPoints()).length === n", arg=reports
    )
    before = len(queue_rows(page))
    card.locator(".gc-spot-open").click()
    done = wait_text(page, "#proactive-result", "已立案")
    public_id = done.split("已立案 ")[1].split("（")[0]
    page.wait_for_function(
        f"(id) => {{ let found = false; {QUEUE}.forEachNode(n => {{"
        " if (n.data.public_id === id && n.data.channel === '主动发现') found = true; });"
        " return found; }",
        arg=public_id,
    )
    assert len(queue_rows(page)) == before + 1
    page.wait_for_function(
        "(key) => ![...document.querySelectorAll('#proactive .gc-spot')]"
        ".some(e => JSON.parse(e.id).spot === key)",
        arg=key,
    )
    store = Store.open(served["url"])
    try:
        case = store.incident_by_public_id(public_id)
        decisions = store.spot_decisions()
    finally:
        store.close()
    assert case["channel"] == "proactive" and case["status"] == "registered"
    mine = decisions[decisions["incident_id"] == case["id"]]
    assert list(mine["decision"]) == ["opened"] and list(mine["decided_by"]) == [f"user:{OPERATOR}"]


def test_a_dismissed_spot_leaves_the_list_and_opens_nothing(served, desk):
    from data.store import Store

    page = desk()
    before = len(queue_rows(page))
    key = page.evaluate("() => JSON.parse(document.querySelector('#proactive .gc-spot').id).spot")
    page.locator("#proactive .gc-spot").first.locator(".gc-spot-dismiss").click()
    wait_text(page, "#proactive-result", "已忽略")
    page.wait_for_function(
        "(key) => ![...document.querySelectorAll('#proactive .gc-spot')]"
        ".some(e => JSON.parse(e.id).spot === key)",
        arg=key,
    )
    page.wait_for_function(DASH_IDLE_JS)
    assert len(queue_rows(page)) == before
    store = Store.open(served["url"])
    try:
        decisions = store.spot_decisions()
    finally:
        store.close()
    assert "dismissed" in set(decisions["decision"])
