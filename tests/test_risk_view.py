"""Breach risk as the console shows it: the figure, the notice, the factors in words."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.risk_view import (
    factor_text,
    percent,
    report_time,
    risk_class,
    risk_note,
    risk_note_view,
    risk_section,
)

TOWNS = {"370281001": "甲街道"}


def rendered(children) -> str:
    return json.dumps(children, cls=PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize(
    ("factor", "zh", "en"),
    [
        (
            {"key": "category", "value": "illegal_building", "weight": 0.8},
            "类别：违章搭建 ↑",
            "Category: Illegal construction ↑",
        ),
        ({"key": "workload", "value": 37, "weight": 0.3}, "镇街待办量 37 件 ↑", None),
        ({"key": "used", "value": 0.62, "weight": 0.5}, "已用时限 62% ↑", "Time used 62% ↑"),
        ({"key": "used", "value": 0.996, "weight": 0.5}, "已用时限 99% ↑", None),
        ({"key": "used", "value": 0.29, "weight": 0.5}, "已用时限 29% ↑", None),
        ({"key": "priority", "value": 1, "weight": -0.4}, "优先级：紧急 ↓", "Priority: Urgent ↓"),
        ({"key": "town", "value": "370281001", "weight": 0.2}, "镇街：甲街道 ↑", None),
        ({"key": "channel", "value": "hotline", "weight": 0.1}, "渠道：12345热线 ↑", None),
        (
            {"key": "reported", "value": "Fri 15-18", "weight": 0.25},
            "上报时段：周五 15–18 时 ↑",
            "Reported: Fri 15–18 h ↑",
        ),
        ({"key": "overdue", "value": 3.5, "weight": None}, "已超期 3.5 小时", "Overdue by 3.5 h"),
        (
            {"key": "new_reports", "value": 1.84, "weight": 0.3},
            "镇街近3天新增诉求为平时的 1.8 倍 ↑",
            "Town's new reports in 3 days: 1.8× usual ↑",
        ),
    ],
)
def test_each_factor_reads_as_plain_words_in_both_languages(factor, zh, en):
    assert factor_text(factor, "zh", TOWNS) == zh
    if en is not None:
        assert factor_text(factor, "en", TOWNS) == en


def test_an_unknown_factor_still_says_what_it_is():
    assert (
        factor_text({"key": "weather", "value": "rain", "weight": 0.2}, "zh") == "weather: rain ↑"
    )
    assert report_time("Sun 00-08", "zh") == "周日 00–08 时"


def test_the_notice_says_why_there_is_no_risk_and_never_guesses():
    assert risk_note(None, "zh") == "未训练风险模型，不显示超时风险（python app.py model train）"
    assert risk_note({"status": None}, "en").startswith("No risk model trained")
    thin = {"status": "thin", "note": "only 40 breaches (100 needed)", "trained_at": None}
    assert risk_note(thin, "zh") == "历史数据不足或模型不优于按类别的基线，不显示超时风险"
    assert risk_note(thin, "en").startswith("No breach risk: history too thin")
    assert risk_note_view(thin, "zh").title == "only 40 breaches (100 needed)"  # on hover
    trained = {"status": "ok", "trained_at": dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)}
    assert risk_note(trained, "zh") == "超时风险：06-20 12:00 训练的模型"  # Beijing time


def test_figures_are_percentages_and_marked_by_level():
    assert percent(0.6234) == 62.3 and percent(None) is None and percent(float("nan")) is None
    assert risk_class(72) == "gc-risk-high" and risk_class(35) == "gc-risk-mid"
    assert risk_class(10) == "" and risk_class(None) == ""


def test_the_detail_shows_the_figure_with_its_factors_or_why_not():
    shown = rendered(
        risk_section(
            {"figure": 62.4, "factors": [("类别：违章搭建 ↑", True), ("x ↓", False)]}, "zh"
        )
    )
    assert "超时风险" in shown and "62%" in shown and "gc-risk-high" in shown
    assert "类别：违章搭建 ↑" in shown and '"className": "down"' in shown
    why = rendered(risk_section({"figure": None, "note": "历史数据不足，不显示超时风险"}, "zh"))
    assert "历史数据不足" in why and "%" not in why
    assert risk_section(None, "zh") == []  # closed work has no risk


def test_the_queue_gives_open_work_its_risk_and_says_when_there_is_no_model(
    city_store, monkeypatch
):
    from dashboard import risk_view
    from dashboard.console_view import queue_rows
    from tests.tiny_city import NOW

    rows, note = queue_rows(city_store, "week", "zh", NOW)
    assert {r["public_id"] for r in rows} == {"T1", "T2", "T3", "T4", "T5"}
    assert all(r["risk"] is None for r in rows)  # no model: no figure, never a guess
    assert note.children == "未训练风险模型，不显示超时风险（python app.py model train）"

    def risk_of_open(store, frame, now):  # a model's answer for the open rows it is given
        assert set(frame["public_id"]) == {"T1", "T2", "T3"}  # closed work is not asked
        risk = {"T1": 0.62, "T2": 0.081, "T3": 1.0}
        factors = {
            "T1": [{"key": "category", "value": "fire_lane", "weight": 0.9}],
            "T2": [{"key": "priority", "value": 1, "weight": -0.5}],
            "T3": [{"key": "overdue", "value": 10.0, "weight": None}],
        }
        return pd.DataFrame(
            {
                "risk": frame["public_id"].map(risk),
                "factors": frame["public_id"].map(factors),
            },
            index=frame.index,
        )

    state = {"status": "ok", "trained_at": NOW, "note": "beats the category baseline"}
    monkeypatch.setattr(risk_view.predictions, "risk_of_open", risk_of_open)
    monkeypatch.setattr(risk_view.predictions, "model_state", lambda store: state)
    rows, note = queue_rows(city_store, "week", "zh", NOW)
    by_id = {r["public_id"]: r for r in rows}
    assert by_id["T1"]["risk"] == 62.0 and by_id["T1"]["risk_why"] == "类别：消防通道占用 ↑"
    assert by_id["T2"]["risk"] == 8.1 and by_id["T2"]["risk_why"] == "优先级：紧急 ↓"
    assert by_id["T3"]["risk"] == 100.0 and by_id["T3"]["risk_why"] == "已超期 10 小时"
    assert by_id["T4"]["risk"] is None and by_id["T4"]["channel"] == "我要报事"
    assert note.children == "超时风险：06-20 12:00 训练的模型"
    assert note.title == "beats the category baseline"


def test_an_open_incidents_detail_says_its_risk_and_a_closed_ones_nothing(city_store, monkeypatch):
    from dashboard import risk_view
    from tests.tiny_city import NOW

    t1 = city_store.incident_by_public_id("T1")
    closed = city_store.incident_by_public_id("T4")
    assert risk_view.incident_risk(city_store, closed, NOW, "zh") is None
    assert risk_view.incident_risk(city_store, t1, NOW, "zh") == {
        "figure": None,
        "note": "未训练风险模型，不显示超时风险（python app.py model train）",
    }
    answer = pd.DataFrame(
        {"risk": [0.47], "factors": [[{"key": "used", "value": 0.62, "weight": 0.4}]]}
    )
    monkeypatch.setattr(risk_view.predictions, "risk_of_open", lambda s, f, n: answer)
    assert risk_view.incident_risk(city_store, t1, NOW, "en") == {
        "figure": 47.0,
        "factors": [("Time used 62% ↑", True)],
    }


def test_the_queue_is_sorted_by_attention_and_a_header_click_sorts_by_its_column():
    from dashboard.console_view import queue_columns

    columns = queue_columns("zh")
    assert [(c["field"], c["sort"]) for c in columns if c.get("sort")] == [("attention", "asc")]
    assert next(c for c in columns if c["field"] == "attention")["hide"] is True
    risk = next(c for c in queue_columns("en", 2.0) if c["field"] == "risk")
    assert risk["headerName"] == "Breach risk" and risk["width"] == 272
    assert risk["tooltipField"] == "risk_why"  # the factors on hover
