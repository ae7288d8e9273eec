"""Every legal and every illegal move of the lifecycle, without a database."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from domain.errors import InvalidInput
from domain.lifecycle import ACTIONS, STATUSES, TRANSITIONS, legal_actions, plan

NOW = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
# What each action needs to be complete (proof, notes, targets).
NEEDS = {
    "reject": {"note": "不属于网格事项"},
    "merge": {"into": 99},
    "escalate": {"note": "需要区级协调"},
    "park": {"note": "等待业主"},
    "resolve": {"note": "已修复", "callback": "居民确认已修好"},
    "send_back": {"note": "现场未整改"},
    "rate": {"rating": 4},
    "reopen": {"note": "居民投诉未修好"},
}


def incident(status: str, **extra) -> dict:
    return {
        "id": 1,
        "status": status,
        "lon": 120.0,
        "lat": 36.0,
        "resolved_by": "甲",
        "pauses": None,
        "category": "garbage",
        "priority": 3,
        "reported_at": NOW - dt.timedelta(hours=2),
        **extra,
    }


PAIRS = list(itertools.product(STATUSES, ACTIONS))


@pytest.mark.parametrize("status, action", [p for p in PAIRS if p[0] in ACTIONS[p[1]].sources])
def test_every_legal_move(status, action):
    move = plan(incident(status), action, actor="乙", now=NOW, **NEEDS.get(action, {}))
    assert move.target == ACTIONS[action].target
    assert move.changes["status"] == ACTIONS[action].target
    assert move.changes["updated_at"] == NOW
    if ACTIONS[action].stamp:
        assert move.changes[ACTIONS[action].stamp] == NOW


@pytest.mark.parametrize("status, action", [p for p in PAIRS if p[0] not in ACTIONS[p[1]].sources])
def test_every_illegal_move_is_refused_naming_the_legal_ones(status, action):
    with pytest.raises(InvalidInput) as refused:
        plan(incident(status), action, actor="乙", now=NOW, **NEEDS.get(action, {}))
    assert f"legal now: {', '.join(legal_actions(status)) or 'none'}" in str(refused.value)


def test_transitions_follow_from_the_actions():
    assert TRANSITIONS["reported"] == {"registered", "rejected", "duplicate"}
    assert TRANSITIONS["rejected"] == frozenset() and TRANSITIONS["duplicate"] == frozenset()


@pytest.mark.parametrize("action", ["reject", "escalate", "park", "send_back", "reopen"])
def test_moves_that_need_a_reason_refuse_without_one(action):
    status = next(iter(ACTIONS[action].sources))
    with pytest.raises(InvalidInput, match="needs a note"):
        plan(incident(status), action, actor="乙", now=NOW)


def test_resolving_needs_proof():
    with pytest.raises(InvalidInput, match="needs proof"):
        plan(incident("in_progress"), "resolve", actor="乙", now=NOW, note="好了")
    with pytest.raises(InvalidInput, match="must be within 200 m"):
        plan(
            incident("in_progress"),
            "resolve",
            actor="乙",
            now=NOW,
            note="好了",
            checkin=(120.01, 36.0),
        )
    near = plan(
        incident("in_progress"),
        "resolve",
        actor="乙",
        now=NOW,
        note="好了",
        checkin=(120.001, 36.0),
    )
    assert near.changes["resolved_by"] == "乙"
    assert json.loads(near.changes["resolution"])["checkin"] == [120.001, 36.0]
    with pytest.raises(InvalidInput, match="photo_url"):
        plan(
            incident("in_progress"),
            "resolve",
            actor="乙",
            now=NOW,
            note="好了",
            photo_url="javascript:alert(1)",
        )


def test_the_resolver_cannot_verify():
    with pytest.raises(InvalidInput, match="cannot also verify"):
        plan(incident("resolved", resolved_by="乙"), "verify", actor="乙", now=NOW)
    assert plan(incident("resolved", resolved_by="乙"), "verify", actor="丙", now=NOW)


@pytest.mark.parametrize(
    "rating, status", [(1, "registered"), (2, "registered"), (3, "closed"), (5, "closed")]
)
def test_ratings_of_one_or_two_reopen(rating, status):
    move = plan(incident("closed"), "rate", actor="居民", now=NOW, rating=rating)
    assert move.changes["status"] == status and move.changes["satisfaction"] == rating


@pytest.mark.parametrize("rating", [0, 6, 2.5, "5", None])
def test_ratings_must_be_one_to_five(rating):
    with pytest.raises(InvalidInput, match="1 to 5"):
        plan(incident("closed"), "rate", actor="居民", now=NOW, rating=rating)


def test_parking_records_a_pause_and_unparking_ends_it():
    parked = plan(incident("in_progress"), "park", actor="乙", now=NOW, note="等待配件")
    later = NOW + dt.timedelta(hours=5)
    back = plan(
        incident("parked", pauses=parked.changes["pauses"]), "unpark", actor="乙", now=later
    )
    assert json.loads(back.changes["pauses"]) == [[NOW.isoformat(), later.isoformat()]]


def test_unknown_action_and_overlong_note():
    with pytest.raises(InvalidInput, match="unknown action"):
        plan(incident("reported"), "teleport", actor="乙", now=NOW)
    with pytest.raises(InvalidInput, match="at most 2000"):
        plan(incident("reported"), "reject", actor="乙", now=NOW, note="长" * 2001)


def test_parking_stops_the_resolution_clock_and_unparking_moves_the_deadline_later():
    # Reported on Monday 2026-06-15 10:00 Beijing, normal priority: 3 working days.
    reported = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    base = incident("registered", reported_at=reported)
    parked_at = reported + dt.timedelta(hours=1)
    parked = plan(base, "park", actor="乙", now=parked_at, note="等待产权单位")
    assert parked.changes["due_resolve_at"] is None  # undetermined while parked
    unpark_at = parked_at + dt.timedelta(days=1)  # a whole working day parked
    after = {**base, **parked.changes}
    unparked = plan(after, "unpark", actor="乙", now=unpark_at)
    unpaused = plan(base, "park", actor="乙", now=parked_at, note="x")  # same clock, no time
    due = unparked.changes["due_resolve_at"]
    quick = plan({**base, **unpaused.changes}, "unpark", actor="乙", now=parked_at)
    assert due - quick.changes["due_resolve_at"] >= dt.timedelta(hours=20)
    assert json.loads(unparked.changes["pauses"])[0][1] == unpark_at.isoformat()


def test_a_stricter_policy_gives_an_earlier_deadline_on_unpark():
    from domain.sla import SlaPolicy

    strict = SlaPolicy.from_dict({"categories": {"garbage": {"resolve": "4 clock_hours"}}})
    reported = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    base = incident("registered", reported_at=reported)
    at = reported + dt.timedelta(hours=1)
    parked = {**base, **plan(base, "park", actor="乙", now=at, note="x").changes}
    back = at + dt.timedelta(hours=1)
    default = plan(parked, "unpark", actor="乙", now=back).changes["due_resolve_at"]
    tight = plan(parked, "unpark", actor="乙", now=back, policy=strict).changes["due_resolve_at"]
    assert tight == reported + dt.timedelta(hours=5)  # 4 h, plus the hour parked
    assert tight < default
