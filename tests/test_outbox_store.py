"""The outbox over a real store, on SQLite and PostgreSQL: each cause writes its
notification in its own transaction (and a refused one writes none), claims
by several workers never overlap, and a cadre reads only their own."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
import shapely
from sqlalchemy import update

from data import schema
from data.store_dispatch import Assignment
from data.store_outbox import FIELD_FIRST, enqueue
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.event_tasks import TaskSpec, checked_targets
from domain.events import declaration
from domain.notices import decline_notice
from services.event_mobilisation import mobilise
from tests.tiny_city import tiny_city

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _set_reporter_phone(store, incident_id: int, phone: str | None) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.incidents)
            .where(schema.incidents.c.id == incident_id)
            .values(reporter_phone=phone)
        )


def _incident_id(store, public_id: str) -> int:
    return int(store.incidents(public_ids=[public_id])["id"].iloc[0])


def _kinds(store) -> list[tuple[str, str, str | None]]:
    return [(e["kind"], e["recipient_kind"], e["recipient"]) for e in store.outbox_entries()]


# --------------------------------------------------------------- the causes


def test_a_dispatch_tells_each_cadre_and_the_reporter_once(city_store):
    store = city_store
    t2 = _incident_id(store, "T2")  # reported: registered and dispatched on the way
    _set_reporter_phone(store, t2, "13900000009")
    store.dispatch([Assignment(t2, 1)], actor="user:zhao")
    entries = store.outbox_entries()
    assert _kinds(store) == [
        ("incident_state", "reporter", "13900000009"),
        ("dispatch", "cadre", "1"),
    ]
    reporter, cadre = entries
    assert reporter["payload"]["action"] == "dispatch"  # not "register" as well
    assert "T2" in reporter["payload"]["text_zh"] and "T2" in reporter["payload"]["text_en"]
    assert cadre["incident_id"] == t2 and cadre["payload"]["phone"] == "13800000001"
    assert cadre["state"] == "pending" and cadre["attempts"] == 0
    # The field app has a head start before any SMS to a cadre; the reporter's is due now.
    assert cadre["next_attempt_at"] - cadre["created_at"] == FIELD_FIRST
    assert reporter["next_attempt_at"] == reporter["created_at"]


def test_a_refused_dispatch_tells_nobody(city_store):
    store = city_store
    t1 = _incident_id(store, "T1")
    _set_reporter_phone(store, t1, "13900000009")
    with pytest.raises(Conflict):  # cadre 2 is on site: the whole dispatch is refused
        store.dispatch([Assignment(t1, 1), Assignment(t1, 2)], actor="user:zhao")
    assert store.outbox_entries() == []
    with pytest.raises(InvalidInput):
        store.dispatch([Assignment(t1, 1)], actor="user:zhao", notice="decline")
    assert store.outbox_entries() == []


def test_a_task_declined_before_goes_to_the_next_cadre_as_a_reassignment(city_store):
    store = city_store
    t1 = _incident_id(store, "T1")
    [first] = store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    # The field app's decline: the dispatch is declined and released, the cadre freed.
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.dispatches)
            .where(schema.dispatches.c.id == first)
            .values(declined_at=NOW, decline_reason="腿伤", released_at=NOW)
        )
        conn.execute(
            update(schema.cadres).where(schema.cadres.c.id == 1).values(status="available")
        )
    store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    assert [e["kind"] for e in store.outbox_entries(kind=None)] == ["dispatch", "reassign"]
    assert store.outbox_entries(kind="reassign")[0]["payload"]["text_zh"].startswith("改派任务")


def test_a_decline_is_told_to_the_desk_in_the_callers_transaction(city_store):
    store = city_store
    incident = store.incidents(public_ids=["T1"]).iloc[0].to_dict()
    payload = decline_notice(incident, cadre_id=1, cadre_name="张伟", reason="车坏了")

    def decline(conn):
        return enqueue(
            conn,
            kind="decline",
            recipient_kind="desk",
            recipient=None,
            incident_id=incident["id"],
            payload=payload,
            at=NOW,
        )

    with pytest.raises(RuntimeError), store._transaction() as conn:
        decline(conn)
        raise RuntimeError("the decline's own write failed")
    assert store.outbox_entries() == []  # rolled back with it
    with store._transaction() as conn:
        new_id = decline(conn)
    [entry] = store.outbox_entries()
    assert entry["id"] == new_id and entry["recipient"] is None
    assert "车坏了" in entry["payload"]["text_zh"] and "车坏了" in entry["payload"]["text_en"]


@pytest.mark.parametrize(
    "kind, recipient_kind, recipient, payload",
    [
        ("telegram", "desk", None, {"text_zh": "a", "text_en": "a"}),
        ("decline", "boss", None, {"text_zh": "a", "text_en": "a"}),
        ("dispatch", "cadre", "张伟", {"text_zh": "a", "text_en": "a"}),
        ("incident_state", "reporter", "", {"text_zh": "a", "text_en": "a"}),
        ("decline", "desk", "13800000001", {"text_zh": "a", "text_en": "a"}),
        ("decline", "desk", None, {"text_zh": "只有中文"}),
    ],
)
def test_a_notice_no_transport_could_deliver_is_refused_and_nothing_written(
    store, kind, recipient_kind, recipient, payload
):
    with pytest.raises(InvalidInput) as refused, store._transaction() as conn:
        enqueue(
            conn,
            kind=kind,
            recipient_kind=recipient_kind,
            recipient=recipient,
            incident_id=None,
            payload=payload,
            at=NOW,
        )
    assert str(refused.value) and refused.value.zh  # said in both languages
    assert store.outbox_entries() == []


def test_a_reporter_hears_of_the_moves_they_care_about(city_store):
    store = city_store
    t1, t2 = _incident_id(store, "T1"), _incident_id(store, "T2")
    _set_reporter_phone(store, t2, "13900000009")
    store.apply_action(t1, "park", actor="user:zhao", note="等材料")
    assert store.outbox_entries() == []  # T1 has no phone
    with pytest.raises(InvalidInput):  # illegal: nothing moves, nobody is told
        store.apply_action(t2, "close", actor="user:zhao")
    assert store.outbox_entries() == []
    store.apply_action(t2, "register", actor="user:zhao")
    [told] = store.outbox_entries()
    assert (told["kind"], told["recipient"], told["incident_id"]) == (
        "incident_state",
        "13900000009",
        t2,
    )
    assert told["payload"]["action"] == "register"
    store.apply_action(t2, "park", actor="user:zhao", note="等材料")  # internal: not told
    assert len(store.outbox_entries()) == 1


def _declare(store, grids, started_at):
    outline = shapely.union_all(store.towns().geometry.to_numpy())
    fields = {
        "name": "甲街道土豆抢收",
        "kind": "harvest_help",
        "severity": 3,
        "grids": grids,
        "started_at": started_at,
        "checkin_minutes": 30,
    }
    event = declaration(fields, city_outline=outline, grids=store.grids(), now=started_at)
    return store.declare_event(event, actor="指挥长")


def test_an_events_mobilisation_tells_each_cadre_sent(city_store):
    store = city_store
    now = dt.datetime.now(dt.UTC)
    event = _declare(store, ["A-1", "A-2"], now - 10 * MIN)
    spec = TaskSpec(
        "1号地抢收", "farm_help", 2, 2, 120.005, 36.01, checked_targets({}, "harvest_help")
    )
    task, _ = store.add_task(event, spec, grid_code="A-1", town_code="370281001", actor="指挥长")
    mobilise(store, event, [{"incident": task, "cadre_id": 1}], actor="指挥长")
    [told] = store.outbox_entries()
    assert (told["kind"], told["recipient"], told["incident_id"]) == ("mobilise", "1", task)
    with pytest.raises(Conflict):  # cadre 2 is on site: nobody sent, nobody told
        mobilise(store, event, [{"incident": task, "cadre_id": 2}], actor="指挥长")
    assert len(store.outbox_entries()) == 1


# ---------------------------------------------------------------- delivery


def _desk_notices(store, n: int, at=NOW) -> list[int]:
    with store._transaction() as conn:
        return [
            enqueue(
                conn,
                kind="decline",
                recipient_kind="desk",
                recipient=None,
                incident_id=None,
                payload={"text_zh": f"第{i}条", "text_en": f"number {i}"},
                at=at,
            )
            for i in range(n)
        ]


def test_a_claim_is_a_lease_and_outcomes_are_kept(store):
    first, second, third = _desk_notices(store, 3)
    assert store.due_notifications(NOW - MIN, 10) == []  # not due yet
    claimed = store.due_notifications(NOW, 2)
    assert [c["id"] for c in claimed] == [first, second]
    assert [c["attempts"] for c in claimed] == [1, 1]
    assert claimed[0]["payload"]["text_en"] == "number 0"
    # Claimed rows are not due again until their lease runs out.
    assert [c["id"] for c in store.due_notifications(NOW, 10)] == [third]
    assert store.mark_sent(first, "webhook", NOW)
    assert store.mark_failed(second, "HTTP 500", NOW + MIN)
    assert store.mark_failed(third, "errcode 93000", None)
    assert not store.mark_sent(first, "webhook", NOW)  # once
    by_id = {e["id"]: e for e in store.outbox_entries()}
    assert (by_id[first]["state"], by_id[first]["transport"]) == ("sent", "webhook")
    assert (by_id[second]["state"], by_id[second]["last_error"]) == ("pending", "HTTP 500")
    assert (by_id[third]["state"], by_id[third]["last_error"]) == ("failed", "errcode 93000")
    again = store.due_notifications(NOW + MIN, 10)
    assert [(c["id"], c["attempts"]) for c in again] == [(second, 2)]
    # A worker that died with a claim: the row comes back after the lease.
    assert [c["id"] for c in store.due_notifications(NOW + 10 * MIN, 10)] == [second]


def test_workers_claiming_at_once_never_take_the_same_row(store):
    ids = _desk_notices(store, 60)
    taken: list[list[int]] = []
    start = threading.Barrier(6)

    def work():
        start.wait()
        mine = []
        while batch := store.due_notifications(NOW, 3):
            mine += [c["id"] for c in batch]
        taken.append(mine)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for mine in taken for i in mine]
    assert sorted(every) == ids  # each row once, none twice


def test_claims_can_leave_cadres_to_the_field_app(city_store):
    store = city_store
    store.dispatch([Assignment(_incident_id(store, "T1"), 1)], actor="user:zhao")
    later = dt.datetime.now(dt.UTC) + 2 * FIELD_FIRST
    assert store.due_notifications(later, 10, recipient_kinds=["desk", "reporter"]) == []
    assert [c["kind"] for c in store.due_notifications(later, 10)] == ["dispatch"]


# --------------------------------------------------------------- the phone


def test_a_cadre_sees_fetches_and_reads_only_their_own(city_store):
    store = city_store
    t1 = _incident_id(store, "T1")
    store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    [desk] = _desk_notices(store, 1)
    mine = store.notifications_for_cadre(1)
    assert [(n["kind"], n["state"], n["read_at"]) for n in mine] == [("dispatch", "pending", None)]
    assert mine[0]["text_zh"].startswith("新任务") and mine[0]["incident_id"] == t1
    assert store.notifications_for_cadre(2) == []
    note = mine[0]["id"]
    with pytest.raises(Forbidden) as refused:
        store.mark_read(note, 2)
    assert refused.value.zh
    with pytest.raises(Forbidden):
        store.mark_read(desk, 1)  # the desk's is nobody's on a phone
    with pytest.raises(NotFound):
        store.mark_read(999_999, 1)
    assert store.notifications_for_cadre(1)[0]["read_at"] is None  # nothing written
    # The phone fetched it: sent by the field app, and the task is seen.
    assert store.mark_fetched(2, [note], NOW) == 0  # not cadre 2's
    assert store.mark_fetched(1, [], NOW) == 0
    assert store.mark_fetched(1, [note], NOW) == 1
    assert store.mark_fetched(1, [note], NOW + MIN) == 0  # once
    [entry] = store.outbox_entries(kind="dispatch")
    assert (entry["state"], entry["transport"], entry["sent_at"]) == ("sent", "field", NOW)
    assert store.acknowledgements([t1])["seen_at"].tolist() == [NOW]
    first = store.mark_read(note, 1, at=NOW + MIN)
    assert store.mark_read(note, 1, at=NOW + 5 * MIN) == first  # the first time is kept
    assert store.notifications_for_cadre(1)[0]["state"] == "read"


def test_notifications_for_a_cadre_come_newest_first(city_store):
    store = city_store
    with store._transaction() as conn:
        for n in range(5):
            enqueue(
                conn,
                kind="dispatch",
                recipient_kind="cadre",
                recipient="3",
                incident_id=None,
                payload={"text_zh": f"{n}", "text_en": f"{n}"},
                at=NOW + n * MIN,
            )
    shown = store.notifications_for_cadre(3, limit=3)
    assert [n["text_en"] for n in shown] == ["4", "3", "2"]


# ----------------------------------------------------------------- the desk


def test_acknowledgements_flag_a_task_nobody_accepted_in_time(city_store):
    store = city_store
    t1, t2 = _incident_id(store, "T1"), _incident_id(store, "T2")
    store.dispatch([Assignment(t1, 1)], actor="user:zhao")
    sent = store.acknowledgements([t1])["sent_at"].iloc[0]
    fresh = store.acknowledgements([t1], ack_minutes=10, now=sent + 5 * MIN)
    assert fresh["unacknowledged"].tolist() == [False]
    late = store.acknowledgements(None, ack_minutes=10, now=sent + 11 * MIN)
    assert late[["cadre_id", "cadre_name", "public_id"]].values.tolist() == [[1, "张伟", "T1"]]
    assert late["unacknowledged"].tolist() == [True]
    with store.engine.begin() as conn:
        conn.execute(update(schema.dispatches).values(accepted_at=sent + 12 * MIN))
    accepted = store.acknowledgements([t1], ack_minutes=10, now=sent + 20 * MIN)
    assert accepted["unacknowledged"].tolist() == [False]
    assert accepted["accepted_at"].tolist() == [sent + 12 * MIN]
    assert len(store.acknowledgements([t2])) == 0
    assert isinstance(store.acknowledgements([t2]), pd.DataFrame)


def test_a_key_is_enqueued_once_however_often_a_scan_runs(store):
    notice = {
        "kind": "unacknowledged",
        "recipient_kind": "desk",
        "recipient": None,
        "incident_id": None,
        "payload": {"text_zh": "未确认", "text_en": "not acknowledged", "key": "unack:7"},
    }
    assert len(store.enqueue_once([notice, notice], at=NOW)) == 1
    assert store.enqueue_once([notice], at=NOW + MIN) == []
    with pytest.raises(InvalidInput):
        store.enqueue_once([{**notice, "payload": {"text_zh": "a", "text_en": "a"}}], at=NOW)
    assert len(store.outbox_entries()) == 1


def test_tiny_city_is_what_these_tests_expect():
    city = tiny_city()
    assert city.cadres["status"].tolist() == ["available", "on_site", "en_route"]
