"""The delivery worker against real HTTP receivers on 127.0.0.1 (http.server in
a thread): a WeCom robot, a DingTalk robot that checks the signature, SMS
gateways of each template kind, one that fails twice and then takes the
message, one that always fails; and the scans that tell the desk once."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import threading
import urllib.parse

import pytest
import shapely
from sqlalchemy import update

from data import schema
from data.store_dispatch import Assignment
from data.store_outbox import FIELD_FIRST, enqueue
from domain.event_tasks import TaskSpec, checked_targets
from domain.events import declaration
from domain.notices import decline_notice, retry_delay_s
from services.event_mobilisation import mobilise
from services.notification_transports import Transports, dingtalk_signed_url
from services.notifications import (
    deliver_once,
    run_forever,
    scan_overdue_checkins,
    scan_unacknowledged,
)
from settings import Settings
from tests.http_receivers import OK, receiving

MIN = dt.timedelta(minutes=1)


def _desk_notice(store, *, at, text_zh="张伟 拒绝了任务 T1", text_en="张伟 declined task T1"):
    with store._transaction() as conn:
        return enqueue(
            conn,
            kind="decline",
            recipient_kind="desk",
            recipient=None,
            incident_id=None,
            payload={"title_zh": "任务被拒 T1", "text_zh": text_zh, "text_en": text_en},
            at=at,
        )


def _reporter_notice(store, *, at, phone="13900000009", text="您反映的问题 “T1” 已办结"):
    with store._transaction() as conn:
        return enqueue(
            conn,
            kind="incident_state",
            recipient_kind="reporter",
            recipient=phone,
            incident_id=None,
            payload={"text_zh": text, "text_en": "Your report T1 has been resolved."},
            at=at,
        )


def _entry(store, notification_id):
    return next(e for e in store.outbox_entries() if e["id"] == notification_id)


def _now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# ------------------------------------------------------------------ robots


def test_wecom_robot_gets_markdown_and_its_errcode_decides(store):
    now = _now()
    sent = _desk_notice(store, at=now)
    with receiving(OK) as robot:
        out = deliver_once(
            store, Transports(webhook_url=robot.url + "/cgi-bin/webhook/send?key=k"), now=now
        )
    assert (out.claimed, out.sent, out.failed) == (1, 1, 0)
    [request] = robot.requests
    assert request["query"] == {"key": ["k"]}
    assert request["headers"]["Content-Type"].startswith("application/json")
    body = json.loads(request["body"])
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    assert "张伟 拒绝了任务 T1" in body["markdown"]["content"]
    assert "declined task T1" in body["markdown"]["content"]
    entry = _entry(store, sent)
    assert (entry["state"], entry["transport"], entry["attempts"]) == ("sent", "webhook", 1)

    # A robot that answers HTTP 200 with another errcode did not deliver.
    refused = _desk_notice(store, at=now)
    with receiving((200, {"errcode": 93000, "errmsg": "invalid webhook url"})) as robot:
        out = deliver_once(store, Transports(webhook_url=robot.url), now=now)
    assert (out.sent, out.retrying) == (0, 1)
    entry = _entry(store, refused)
    assert entry["state"] == "pending" and "errcode 93000" in entry["last_error"]
    assert robot.url not in entry["last_error"]


def _dingtalk_sign_is_right(secret):
    def check(request):
        stamp, sign = request["query"].get("timestamp"), request["query"].get("sign")
        if not stamp or not sign:
            return (200, {"errcode": 310000, "errmsg": "sign not match"})
        digest = hmac.new(secret.encode(), f"{stamp[0]}\n{secret}".encode(), hashlib.sha256)
        if base64.b64encode(digest.digest()).decode() != sign[0]:  # parse_qs decoded it
            return (200, {"errcode": 310000, "errmsg": "sign not match"})
        return None

    return check


def test_dingtalk_robot_gets_markdown_with_a_valid_signature(store):
    now, secret = _now(), "SECtest+/=secret"
    sent = _desk_notice(store, at=now)
    with receiving(OK, check=_dingtalk_sign_is_right(secret)) as robot:
        transports = Transports(
            webhook_url=robot.url + "/robot/send?access_token=t",
            webhook_kind="dingtalk",
            webhook_secret=secret,
        )
        out = deliver_once(store, transports, now=now)
        assert out.sent == 1
        [request] = robot.requests
        assert request["query"]["access_token"] == ["t"]
        stamp = int(request["query"]["timestamp"][0])
        assert abs(stamp / 1000 - dt.datetime.now(dt.UTC).timestamp()) < 60  # ms, now
        body = json.loads(request["body"])
        assert body["msgtype"] == "markdown"
        assert body["markdown"]["title"] == "任务被拒 T1"
        assert "张伟 拒绝了任务 T1" in body["markdown"]["text"]
        # A wrong secret is refused by the robot, so it is a failure here too.
        wrong = _desk_notice(store, at=now)
        bad = Transports(
            webhook_url=transports.webhook_url, webhook_kind="dingtalk", webhook_secret="SECother"
        )
        assert deliver_once(store, bad, now=now).retrying == 1
    assert _entry(store, sent)["state"] == "sent"
    assert "errcode 310000" in _entry(store, wrong)["last_error"]


def test_the_dingtalk_signature_is_url_encoded_into_the_query():
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECx", 1)
    query = urllib.parse.urlsplit(url).query
    assert query.startswith("access_token=t&timestamp=1&sign=")
    assert "+" not in query.split("sign=")[1] and "/" not in query.split("sign=")[1]
    bare = dingtalk_signed_url("http://127.0.0.1/robot", "SECx", 1)
    assert "/robot?timestamp=1&sign=" in bare


# --------------------------------------------------------------------- SMS


def test_sms_by_a_json_template_escapes_the_text(store):
    now = _now()
    text = '您反映的问题 "T1" 已办结\n谢谢'
    sent = _reporter_notice(store, at=now, text=text)
    with receiving((200, b"queued")) as gateway:
        transports = Transports(
            sms_url=gateway.url + "/sms/send",
            sms_body='{"to": "{phone}", "content": "{text}", "sign": "网格指挥"}',
        )
        assert deliver_once(store, transports, now=now).sent == 1
    [request] = gateway.requests
    assert request["method"] == "POST" and request["path"] == "/sms/send"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(request["body"]) == {"to": "13900000009", "content": text, "sign": "网格指挥"}
    assert _entry(store, sent)["transport"] == "sms"


def test_sms_by_a_form_template_and_by_get(store):
    now = _now()
    _reporter_notice(store, at=now, phone="13900000009", text="已办结 & 谢谢")
    with receiving((204, b"")) as gateway:
        form = Transports(sms_url=gateway.url + "/send", sms_body="mobile={phone}&msg={text}&tpl=1")
        assert deliver_once(store, form, now=now).sent == 1
        _reporter_notice(store, at=now, phone="13900000008", text="已派人")
        get = Transports(sms_url=gateway.url + "/send?m={phone}&t={text}", sms_method="GET")
        assert deliver_once(store, get, now=now).sent == 1
    posted, fetched = gateway.requests
    assert urllib.parse.parse_qs(posted["body"].decode()) == {
        "mobile": ["13900000009"],
        "msg": ["已办结 & 谢谢"],
        "tpl": ["1"],
    }
    assert (fetched["method"], fetched["body"]) == ("GET", b"")
    assert fetched["query"] == {"m": ["13900000008"], "t": ["已派人"]}


def test_a_reporter_is_told_by_sms_when_their_incident_is_dispatched(city_store):
    store = city_store
    t2 = int(store.incidents(public_ids=["T2"])["id"].iloc[0])
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.incidents)
            .where(schema.incidents.c.id == t2)
            .values(reporter_phone="13900000009")
        )
    store.dispatch([Assignment(t2, 1)], actor="user:zhao")
    with receiving((200, b"ok")) as gateway:
        out = deliver_once(store, Transports(sms_url=gateway.url + "/sms"))
    assert out.sent == 1  # the reporter; the cadre's waits for the field app
    body = json.loads(gateway.requests[0]["body"])
    assert body["phone"] == "13900000009" and "T2" in body["text"]
    [cadre] = store.outbox_entries(kind="dispatch")
    assert cadre["state"] == "pending" and cadre["attempts"] == 0


# ------------------------------------------------------------ retry, give up


def test_a_gateway_that_fails_twice_then_takes_it_is_retried_with_backoff(store):
    now = _now()
    sent = _reporter_notice(store, at=now)
    rng = random.Random(7)
    with receiving((500, b"busy"), (502, b"bad gateway"), (200, b"ok")) as gateway:
        transports = Transports(sms_url=gateway.url + "/sms")
        at = now
        waits = []
        for _ in range(2):
            out = deliver_once(store, transports, now=at, rng=rng)
            assert (out.sent, out.retrying, out.failed) == (0, 1, 0)
            entry = _entry(store, sent)
            waits.append((entry["next_attempt_at"] - at).total_seconds())
            assert entry["state"] == "pending" and entry["last_error"].startswith("HTTP 50")
            # Not before its time: nothing is claimed a second early.
            assert (
                deliver_once(
                    store, transports, now=entry["next_attempt_at"] - dt.timedelta(seconds=1)
                ).claimed
                == 0
            )
            at = entry["next_attempt_at"]
        assert deliver_once(store, transports, now=at, rng=rng).sent == 1
    assert len(gateway.requests) == 3
    entry = _entry(store, sent)
    assert (entry["state"], entry["attempts"], entry["last_error"]) == ("sent", 3, None)
    # Exponential with jitter: the first wait 7.5–15 s, the second 15–30 s.
    assert 7.5 <= waits[0] <= 15 and 15 <= waits[1] <= 30


def test_a_gateway_that_always_fails_ends_failed_after_the_last_try(store):
    now = _now()
    sent = _reporter_notice(store, at=now)
    with receiving((503, b"down")) as gateway:
        transports = Transports(sms_url=gateway.url + "/sms")
        at = now
        for _ in range(4):
            deliver_once(store, transports, now=at, max_attempts=4)
            at = _entry(store, sent)["next_attempt_at"]
        assert deliver_once(store, transports, now=at + dt.timedelta(hours=1)).claimed == 0
    assert len(gateway.requests) == 4
    entry = _entry(store, sent)
    assert (entry["state"], entry["attempts"]) == ("failed", 4)
    assert entry["last_error"] == "HTTP 503 Service Unavailable"


def test_a_closed_port_is_a_failure_too(store):
    now = _now()
    sent = _desk_notice(store, at=now)
    with receiving(OK) as robot:
        gone = robot.url
    assert deliver_once(store, Transports(webhook_url=gone), now=now).retrying == 1
    assert "cannot reach" in _entry(store, sent)["last_error"]


def test_backoff_doubles_up_to_its_cap():
    rng = random.Random(1)
    for attempts, low, high in ((1, 7.5, 15), (2, 15, 30), (3, 30, 60), (20, 900, 1800)):
        assert low <= retry_delay_s(attempts, rng=rng) <= high


def test_what_no_transport_can_reach_fails_at_once_saying_which_setting(store):
    now = _now()
    desk, reporter = _desk_notice(store, at=now), _reporter_notice(store, at=now)
    out = deliver_once(store, Transports(), now=now)
    assert (out.claimed, out.failed) == (2, 2)
    assert "GC_NOTIFY_WEBHOOK" in _entry(store, desk)["last_error"]
    assert "GC_SMS_URL" in _entry(store, reporter)["last_error"]


def test_cadres_get_an_sms_only_when_configured_and_not_fetched_in_time(city_store):
    store = city_store
    t1 = int(store.incidents(public_ids=["T1"])["id"].iloc[0])
    store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    [note] = store.outbox_entries(kind="dispatch")
    late = note["created_at"] + FIELD_FIRST
    with receiving((200, b"ok")) as gateway:
        plain = Transports(sms_url=gateway.url + "/sms")
        assert deliver_once(store, plain, now=late).claimed == 0  # the field app's
        cadres = Transports(sms_url=gateway.url + "/sms", sms_cadres=True)
        assert deliver_once(store, cadres, now=late - dt.timedelta(seconds=1)).claimed == 0
        assert deliver_once(store, cadres, now=late).sent == 1
    assert json.loads(gateway.requests[0]["body"])["phone"] == "13800000001"
    # Fetched by the phone afterwards: it stays sent by SMS.
    assert store.mark_fetched(1, [note["id"]], late) == 0
    assert _entry(store, note["id"])["transport"] == "sms"


# ------------------------------------------------------------------- scans


def _event_with_cadre(store, minutes=30):
    now = dt.datetime.now(dt.UTC)
    outline = shapely.union_all(store.towns().geometry.to_numpy())
    fields = {
        "name": "甲街道土豆抢收",
        "kind": "harvest_help",
        "severity": 3,
        "grids": ["A-1"],
        "started_at": now - 10 * MIN,
        "checkin_minutes": minutes,
    }
    event = store.declare_event(
        declaration(fields, city_outline=outline, grids=store.grids(), now=now), actor="指挥长"
    )
    spec = TaskSpec(
        "1号地抢收", "farm_help", 2, 1, 120.005, 36.01, checked_targets({}, "harvest_help")
    )
    task, _ = store.add_task(event, spec, grid_code="A-1", town_code="370281001", actor="指挥长")
    mobilise(store, event, [{"incident": task, "cadre_id": 1}], actor="指挥长")
    sent = store.event_dispatches(event)["sent_at"].iloc[0].to_pydatetime()
    return event, task, sent


def test_an_overdue_check_in_is_told_once_per_overdue_period(city_store):
    """The desk is told, and the cadre is reminded on their phone, once per period."""
    store = city_store
    event, task, sent = _event_with_cadre(store, minutes=30)
    assert scan_overdue_checkins(store, sent + 29 * MIN) == []  # not yet due
    first = scan_overdue_checkins(store, sent + 31 * MIN)
    assert scan_overdue_checkins(store, sent + 40 * MIN) == []  # the same period
    assert scan_overdue_checkins(store, sent + 44 * MIN) == []
    store.check_in(event, 1, actor="cadre:张伟", at=sent + 45 * MIN)  # a new period
    assert scan_overdue_checkins(store, sent + 70 * MIN) == []
    second = scan_overdue_checkins(store, sent + 76 * MIN)
    assert scan_overdue_checkins(store, sent + 90 * MIN) == []
    told = store.outbox_entries(kind="checkin_overdue")
    assert [e["id"] for e in told] == first + second and len(first) == len(second) == 2
    assert {(e["recipient_kind"], e["recipient"], e["incident_id"]) for e in told} == {
        ("desk", None, task),
        ("cadre", "1", task),
    }
    desk = [e for e in told if e["recipient_kind"] == "desk"]
    assert "张伟" in desk[0]["payload"]["text_zh"] and "30" in desk[0]["payload"]["text_en"]
    assert desk[0]["payload"]["last_seen_at"] != desk[1]["payload"]["last_seen_at"]
    reminded = store.notifications_for_cadre(1)
    assert any("报到" in n["text_zh"] and n["kind"] == "checkin_overdue" for n in reminded)


def test_a_task_nobody_accepted_is_told_to_the_desk_once(city_store):
    store = city_store
    t1 = int(store.incidents(public_ids=["T1"])["id"].iloc[0])
    store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    sent = store.acknowledgements([t1])["sent_at"].iloc[0]
    assert scan_unacknowledged(store, 10, sent + 9 * MIN) == []
    [told] = scan_unacknowledged(store, 10, sent + 11 * MIN)
    assert scan_unacknowledged(store, 10, sent + 30 * MIN) == []
    entry = _entry(store, told)
    assert (entry["kind"], entry["recipient_kind"], entry["incident_id"]) == (
        "unacknowledged",
        "desk",
        t1,
    )
    assert "10" in entry["payload"]["text_zh"] and "张伟" in entry["payload"]["text_zh"]


def test_a_decline_notice_reaches_the_desks_robot(city_store):
    store = city_store
    incident = store.incidents(public_ids=["T1"]).iloc[0].to_dict()
    with store._transaction() as conn:
        enqueue(
            conn,
            kind="decline",
            recipient_kind="desk",
            recipient=None,
            incident_id=incident["id"],
            payload=decline_notice(incident, cadre_id=1, cadre_name="张伟", reason="车坏了"),
            at=_now(),
        )
    with receiving(OK) as robot:
        assert deliver_once(store, Transports(webhook_url=robot.url)).sent == 1
    content = json.loads(robot.requests[0]["body"])["markdown"]["content"]
    assert "车坏了" in content and "T1" in content


# -------------------------------------------------------------------- loop


def test_the_worker_delivers_until_told_to_stop(store):
    _desk_notice(store, at=_now() - MIN)
    with receiving(OK) as robot:
        settings = Settings.from_env({"GC_NOTIFY_WEBHOOK": robot.url})
        stop = threading.Event()
        worker = threading.Thread(
            target=run_forever, args=(store, settings, stop), kwargs={"poll_s": 0.05}
        )
        worker.start()
        try:
            deadline = dt.datetime.now() + dt.timedelta(seconds=10)
            while not robot.requests and dt.datetime.now() < deadline:
                stop.wait(0.05)
        finally:
            stop.set()
            worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(robot.requests) == 1
    assert [e["state"] for e in store.outbox_entries()] == ["sent"]


@pytest.mark.parametrize(
    "env, word",
    [
        ({"GC_NOTIFY_WEBHOOK_KIND": "slack"}, "GC_NOTIFY_WEBHOOK_KIND"),
        ({"GC_NOTIFY_WEBHOOK": "ftp://robot"}, "GC_NOTIFY_WEBHOOK"),
        ({"GC_SMS_URL": "http://gw/send", "GC_SMS_BODY": "to={phone}"}, "{text}"),
        ({"GC_SMS_METHOD": "DELETE"}, "GC_SMS_METHOD"),
        ({"GC_ACK_MINUTES": "0"}, "GC_ACK_MINUTES"),
        ({"GC_SMS_CADRES": "yes"}, "GC_SMS_CADRES"),
    ],
)
def test_bad_notification_settings_are_refused_by_name(env, word):
    from settings import SettingsError

    with pytest.raises(SettingsError, match=word.replace("{", r"\{").replace("}", r"\}")):
        Settings.from_env(env)


def test_settings_do_not_show_the_robots_key_or_secret():
    shown = repr(
        Settings.from_env(
            {
                "GC_NOTIFY_WEBHOOK": "https://qyapi/send?key=SECRETKEY",
                "GC_NOTIFY_WEBHOOK_SECRET": "SECabc",
            }
        )
    )
    assert "SECRETKEY" not in shown and "SECabc" not in shown
