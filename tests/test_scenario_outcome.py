"""`python app.py simulate flood` ends by printing its outcome, at the seed's
scale and with fieldwork in daylight (issue 16, item 12): a small run against
a real server, read as a user reads it."""

from __future__ import annotations

import re

import pytest

from cli.serve import seed_city
from data.store import Store
from scripts.app_process import app_process, run_small_flood

pytestmark = pytest.mark.slow


def test_a_small_flood_run_prints_its_outcome_with_plausible_figures(tmp_path):
    url = f"sqlite:///{tmp_path / 'flood.db'}"
    store = Store.open(url)
    seed_city(store, scale="county", seed=2022)
    store.close()
    with app_process({"DATABASE_URL": url}) as base:
        run = run_small_flood(base, url)
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
