"""`python app.py simulate flood` ends by printing its outcome, at the seed's
scale and with fieldwork in daylight (issue 16, item 12): a small run against
a real server, read as a user reads it. Its cadres act from their own phones
through the field app's endpoints, as the page at /field does (issue 19,
item 7): the audit log says so."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cli.serve import seed_city
from data import schema
from data.store import Store
from scripts.app_process import app_process, run_small_flood

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flood(tmp_path_factory):
    """A small run against a real server: (the finished run, its database's URL)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('flood') / 'flood.db'}"
    store = Store.open(url)
    seed_city(store, scale="county", seed=2022)
    store.close()
    with app_process({"DATABASE_URL": url}) as base:
        run = run_small_flood(base, url)
    return run, url


def test_a_small_flood_run_prints_its_outcome_with_plausible_figures(flood):
    run, _ = flood
    out = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    assert "演练结束: 9 件上报" in out and "9 件办结" in out, out[-2000:]

    contact = re.search(r"contacted within 1 h: (\d+)/(\d+) \(([\d.]+)%\)", out)
    hands = re.search(r"headcount met within 24 h: (\d+)/(\d+) \(([\d.]+)%\)", out)
    median = re.search(r"median time to resolve: ([\d.]+) 小时 h（(\d+) 件办结", out)
    gain = re.search(r"gain over greedy: (-?[\d.]+)%（.*?(\d+) 批 batches, (\d+) 批多件竞争", out)
    assert contact and hands and median and gain, out[-3000:]
    assert int(contact[2]) == 9 and 0 <= int(contact[1]) <= 9
    # Three fields of 8-20 hands each and six streets of one hand.
    assert 6 + 3 * 8 <= int(hands[2]) <= 6 + 3 * 20 and int(hands[1]) <= int(hands[2])
    assert int(median[2]) == 9 and 0 < float(median[1]) < 120
    assert int(gain[2]) >= 2 and int(gain[3]) >= 1  # the three fields asked at once
    assert float(gain[1]) >= 0.0

    # Fieldwork stops at night: every harvest is finished between 06:00 and 19:00.
    harvests = re.findall(r"\[第\d+天 (\d\d):(\d\d)\] 办结 \S+: 抢收土豆", out)
    assert len(harvests) == 3
    assert all(6 <= int(h) + int(m) / 60 <= 19 for h, m in harvests), harvests

    # The sales are what the cadres helped sell (¥1,560-2,280 a helper), not the crop.
    sales = int(re.search(r"销售 ([\d,]+) 元", out)[1].replace(",", ""))
    helpers = int(hands[2]) - 6
    assert 1_500 * helpers <= sales <= 2_300 * helpers, sales


def test_the_cadres_act_from_their_own_phones_through_the_field_app(flood):
    """Each cadre sent is invited and signs in once; every accept, arrival,
    position, check-in, harvest figure and "done" is audited as that cadre
    (``cadre:<name>``, the phone's session), and nothing came with a field
    key any more."""
    run, url = flood
    assert run.returncode == 0, run.stderr[-2000:]
    store = Store.open(url)
    try:
        audit = store.audit(limit=50_000)
        sessions = store.field_sessions()
        with store.engine.connect() as conn:
            sent = conn.execute(select(schema.dispatches.c.cadre_id)).scalars().all()
            keys = conn.execute(select(schema.field_actions.c.key)).scalars().all()
    finally:
        store.close()
    assert not audit["actor"].str.startswith("field:").any()  # no field key's posts
    phone_work = ("field_accept", "field_arrive", "field_done", "check_in", "report_progress")
    for action in (*phone_work, "record_positions"):
        actors = audit.loc[audit["action"] == action, "actor"]
        assert len(actors), f"no {action} in the audit log"
        assert actors.str.startswith("cadre:").all(), (action, set(actors))
    # One phone per cadre sent, signed in once, and each task accepted and reached.
    assert len(sessions) == len(set(sent)) == sessions["cadre_id"].nunique() >= 6 + 3 * 8
    assert (audit["action"] == "field_accept").sum() == len(sent)
    assert (audit["action"] == "field_arrive").sum() == len(sent)
    # The six streets were resolved by their cadre's "done"; the fields by the desk.
    resolved = audit.loc[audit["action"] == "resolve", "actor"]
    assert resolved.str.startswith("cadre:").sum() == 6
    assert (resolved == "key:演练模拟器/胶西街道处置组（演练）").sum() == 3
    # Every action carried its own idempotency key.
    assert len(keys) == len(set(keys)) >= audit["action"].isin(phone_work).sum()
