"""The console shows, for each cadre sent, whether they have seen and accepted
the task on their phone, and flags one nobody acknowledged within
GC_ACK_MINUTES; on a real store, through the console's own callback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from dashboard import dispatch_view as view
from dashboard.console_panels import acknowledgements_view
from dashboard.pages import console
from dashboard.shell import AppContext
from data import schema
from data.store import Store
from data.store_dispatch import Assignment
from settings import Settings
from tests.test_dispatch_api import staffed_city


@pytest.fixture
def staffed(database_url):
    store = Store.open(database_url)
    store.load_city(staffed_city())
    yield store
    store.close()


def _text(component) -> str:
    """The text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _set(store, **values) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(schema.dispatches).values(**values))


def test_each_cadre_sent_shows_seen_accepted_or_late(staffed):
    t1 = int(staffed.incident_by_public_id("T1")["id"])
    cadre = view.picked(staffed, t1, "zh")["cadres"][0]
    staffed.dispatch([Assignment(t1, cadre["cadre_id"])], actor="李值班")
    chosen = view.picked(staffed, t1, "zh", ack_minutes=10)
    json.dumps(chosen)  # goes to the browser in a dcc.Store
    assert chosen["acks"] == [{"name": cadre["name"], "state": "sent", "late": False}]
    assert _text(acknowledgements_view(chosen, "zh")) == f"已派：{cadre['name']} 未查看"
    # Nobody has acknowledged it for 20 minutes: flagged.
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    _set(staffed, sent_at=sent)
    late = view.picked(staffed, t1, "zh", ack_minutes=10)
    assert late["acks"][0] == {"name": cadre["name"], "state": "sent", "late": True}
    shown = acknowledgements_view(late, "zh")
    assert "⚠ 超过 10 分钟未确认" in _text(shown)
    assert "gc-warn" in shown.children[1].children[0].className
    english = _text(acknowledgements_view(view.picked(staffed, t1, "en", ack_minutes=10), "en"))
    assert "not acknowledged for over 10 min" in english
    # Seen on the phone, still late; then accepted: no flag.
    _set(staffed, seen_at=sent + dt.timedelta(minutes=1))
    assert view.acknowledged(staffed, t1, 10)[0] == {
        "name": cadre["name"],
        "state": "seen",
        "late": True,
    }
    _set(staffed, accepted_at=sent + dt.timedelta(minutes=15))
    accepted = view.picked(staffed, t1, "zh", ack_minutes=10)
    assert accepted["acks"][0] == {"name": cadre["name"], "state": "accepted", "late": False}
    assert _text(acknowledgements_view(accepted, "zh")) == f"已派：{cadre['name']} 已接受"


def test_the_console_redraws_the_pick_when_a_cadre_accepts(staffed):
    t1 = int(staffed.incident_by_public_id("T1")["id"])
    context = AppContext(settings=Settings.from_env({"GC_ACK_MINUTES": "5"}), store=staffed)
    pick = str(t1)  # the pick's store (console.PICK_JS)
    first = console.recommend_cadres(context, pick, 0, None, None, None, None, "zh")
    shown = first[0]
    assert shown["acks"] == [] and shown["ack_minutes"] == 5
    # The queue's reload comes round: nothing changed, nothing redrawn.
    again = console.recommend_cadres(context, pick, 0, 1, shown, None, None, "zh")
    assert all(v is console.no_update for v in again)
    staffed.dispatch([Assignment(t1, shown["cadres"][0]["cadre_id"])], actor="李值班")
    _set(staffed, accepted_at=dt.datetime.now(dt.UTC))
    redrawn = console.recommend_cadres(context, pick, 0, 2, shown, None, None, "zh")
    assert redrawn[0]["acks"][0]["state"] == "accepted"
    assert "已接受" in _text(redrawn[1])
