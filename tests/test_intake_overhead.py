"""Issue 16, item 13: work a report need not cost, gone, and the answers unchanged.

The intake's rate limit started a thread every 10 ms under load (``limits``'
MemoryStorage expires its keys with a ``threading.Timer`` it starts again
whenever the last has run), and the request waited for it to start. The
priority scan ran one regular expression per keyword of every rule. These
tests hold the intake to neither, and check that the answers stay the same.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event

from app import create_app
from domain.categories import CATEGORIES
from domain.priority import DEFAULT_RULES, priority_for
from domain.public_ids import PATTERN, public_id_for
from settings import Settings
from tests.servers import csrf_from, tiny_app
from tests.tiny_city import tiny_city
from web.limits import WindowCounters


@pytest.fixture
def intake(tmp_path):
    app, store = tiny_app(tmp_path)
    key = store.create_api_key("小程序", actor="test", scopes="open311")
    client = app.server.test_client()

    def report():
        return client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "garbage",
                "description": "垃圾未清运",
                "lat": "36.011",
                "long": "120.005",
            },
        )

    yield report
    store.close()


def test_the_intake_limit_starts_no_thread_per_report(intake, monkeypatch):
    """The regression: a Timer thread per 10 ms of traffic, waited for by the request."""
    assert intake().status_code == 200  # the group-commit writer starts once
    started: list[str] = []
    start = threading.Thread.start

    def counting_start(thread):
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    for _ in range(20):
        assert intake().status_code == 200
        time.sleep(0.015)  # longer than the library's 10 ms timer
    assert started == []


def test_the_intake_limit_still_refuses_over_its_rate(intake):
    codes = [intake().status_code for _ in range(101)]
    assert codes[:100] == [200] * 100 and codes[100] == 429


def test_window_counters_count_per_key_and_start_again_after_the_window():
    counters = WindowCounters()
    assert [counters.incr("a", 0.2) for _ in range(3)] == [1, 2, 3]
    assert counters.incr("b", 0.2) == 1  # another caller has its own count
    assert counters.get("a") == 3 and counters.get_expiry("a") > time.time()
    time.sleep(0.25)
    assert counters.get("a") == 0
    assert counters.incr("a", 0.2) == 1  # a new window


def test_window_counters_drop_expired_keys_without_a_thread():
    counters = WindowCounters()
    counters.PURGE_AT = 10
    for n in range(10):
        counters.incr(f"old{n}", 0.01)
    time.sleep(0.02)
    counters.incr("new", 60)
    assert counters.reset() == 1  # the ten expired ones were dropped on the way


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.en)
def test_every_keyword_of_every_rule_is_still_found(rule):
    """The scan now first asks whether any word of a rule occurs at all (one
    search, not one per word); no keyword may be lost by that."""
    plain = next(c for c in CATEGORIES if c.priority == 4)
    also = f"，{rule.with_any[0]}" if rule.with_any else ""
    for word in rule.keywords:
        if any(word in excluded for excluded in rule.exclude):
            continue
        for text in (f"现场{word}{also}", f"{word.upper()} here{also}"):
            priority, reasons = priority_for(plain.code, text)
            assert priority <= rule.min_priority, (word, text)
            assert any(word in r.en or word.upper() in r.en for r in reasons[1:]), (word, text)


def test_a_keyword_inside_an_excluded_word_or_negated_still_does_not_count():
    plain = next(c for c in CATEGORIES if c.priority == 4)
    for text in ("楼下火锅店很吵", "没有发现起火", "the fire lane sign is faded", "no fire"):
        assert priority_for(plain.code, text)[0] == plain.priority, text


def test_a_report_builds_no_session_serializer_and_reads_no_system_random(intake, monkeypatch):
    """The regressions: Flask built the session's signing serializer for every
    request, cookie or not; the report's placeholder id came from os.urandom,
    a system call that lets go of the GIL, which the request then waited for."""
    assert intake().status_code == 200
    calls: list[str] = []
    serializer = SecureCookieSessionInterface.get_signing_serializer
    urandom = os.urandom

    def counting_serializer(self, app):
        calls.append("serializer")
        return serializer(self, app)

    def counting_urandom(n):
        calls.append("urandom")
        return urandom(n)

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counting_serializer)
    monkeypatch.setattr(os, "urandom", counting_urandom)
    for _ in range(5):
        answer = intake()
        assert answer.status_code == 200
        assert PATTERN.fullmatch(answer.get_json()[0]["service_request_id"])
        assert "Set-Cookie" not in answer.headers
    assert calls == []


def test_a_group_of_reports_costs_one_statement_a_table_and_no_update(tmp_path):
    """Issue 16 (item 13): the writer ran four statements per report (the
    incident, an UPDATE for its public id, the audit and the feed entry); a
    group of reports now takes its ids first and writes one statement a table."""
    app, store = tiny_app(tmp_path)
    key = store.create_api_key("小程序", actor="test", scopes="open311")
    form = {
        "api_key": key,
        "service_code": "garbage",
        "description": "垃圾未清运",
        "lat": "36.011",
        "long": "120.005",
    }
    assert app.server.test_client().post("/open311/v2/requests.json", data=form).status_code == 200
    statements: list[str] = []
    event.listen(
        store.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql)
    )
    release, busy = threading.Event(), threading.Event()

    def hold(conn):
        busy.set()
        release.wait(5)

    answers: dict[int, object] = {}

    def report(n):
        answers[n] = app.server.test_client().post("/open311/v2/requests.json", data=form)

    holder = threading.Thread(target=store._group.run, args=(hold,))
    holder.start()
    busy.wait(5)  # the writer is busy: the reports below queue up and go as one group
    threads = [threading.Thread(target=report, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    release.set()
    for thread in [holder, *threads]:
        thread.join()
    written = [
        s.split("(")[0].split(" SET")[0].strip()
        for s in statements
        if s.startswith(("INSERT", "UPDATE"))
    ]
    assert written == ["INSERT INTO incidents", "INSERT INTO audit_log", "INSERT INTO change_feed"]
    public_ids = [answers[n].get_json()[0]["service_request_id"] for n in range(8)]
    assert all(answers[n].status_code == 200 for n in range(8))
    assert len(set(public_ids)) == 8 and all(PATTERN.fullmatch(p) for p in public_ids)
    stored = store.incidents_by_public_ids(public_ids).sort_values("id")
    assert [
        public_id_for(i, at) for i, at in zip(stored["id"], stored["reported_at"], strict=True)
    ] == list(stored["public_id"])
    feed = store.changes_since(0)
    feed = feed[feed["entity"] == "incident"].tail(8)
    assert list(feed["entity_id"]) == [str(i) for i in stored["id"]]  # in order, one each
    assert [p["public_id"] for p in feed["payload"]] == list(stored["public_id"])
    audited = store.audit(100)
    newest_first = list(audited[audited["action"] == "add_report"]["entity_id"])
    assert newest_first[:8][::-1] == [str(i) for i in stored["id"]]  # in order, one each
    store.close()


def test_a_signed_in_session_still_loads(tmp_path):
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url, "ADMIN_PASSWORD": "s3cret-pass-word"}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    store.ensure_first_admin("s3cret-pass-word")
    client = app.server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/_dash-layout").status_code == 401  # no session: refused
    signed_in = client.post(
        "/login", data={"username": "admin", "password": "s3cret-pass-word", "csrf_token": token}
    )
    assert signed_in.status_code == 302 and "session" in signed_in.headers["Set-Cookie"]
    assert client.get("/_dash-layout").status_code == 200  # the session cookie is read
    store.close()
