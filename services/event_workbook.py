"""The after-action report of an event as an .xlsx, in the review workbook's
style: Chinese headers by default, numbers as numbers, text never run as a
formula, times in Asia/Shanghai. One sheet each: summary, tasks, mobilised
cadres, figures and unmet needs. The report itself is
``services.event_report.after_action``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from domain.event_frames import int_or_none
from domain.events import KINDS, SEVERITIES
from domain.lifecycle import status_name
from services.event_report import measure_label
from services.review_tables import Table
from services.review_workbook import (
    BOLD,
    HEADER_FILL,
    MAX_WIDTH,
    sheet_title,
    table_sheet,
    text_width,
    write_cell,
)

LOCAL = "Asia/Shanghai"


def _local(value) -> str | None:
    """A time (datetime or ISO text) as Beijing time, to the minute."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(LOCAL).strftime("%Y-%m-%d %H:%M")


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _unit_name(row: Mapping, lang: str) -> str:
    if row.get("department"):
        return str(row["department"])
    town = row.get("town") or row.get("town_code") or "—"
    return f"{town}（镇街干部）" if lang == "zh" else f"{town} (town)"


def summary_figures(found: Mapping, lang: str) -> list[tuple[str, float | int | None, str]]:
    """(label, number, unit) of the report's key figures, as the summary sheet shows them."""
    zh = lang == "zh"
    m, r, t, c = found["mobilisation"], found["response"], found["tasks"], found["checkins"]
    people, times, count = ("人", "人次", "个") if zh else ("people", "times", "")
    minutes, hours = ("分钟", "小时") if zh else ("min", "h")
    unmet = found["unmet"]
    rows = [
        ("出动干部", "Cadres mobilised", m["cadres"], people),
        ("派遣人次", "Assignments", m["dispatches"], times),
        ("1小时内出动", "Sent within 1 h", m["within_1h"], people),
        ("6小时内出动", "Sent within 6 h", m["within_6h"], people),
        ("24小时内出动", "Sent within 24 h", m["within_24h"], people),
        (
            "首次派出用时（中位数）",
            "First sent, median",
            _minutes(r["first_sent_median_s"]),
            minutes,
        ),
        ("首次派出用时（最长）", "First sent, longest", _minutes(r["first_sent_max_s"]), minutes),
        (
            "首次到场用时（中位数）",
            "First on site, median",
            _minutes(r["first_contact_median_s"]),
            minutes,
        ),
        (
            "首次到场用时（最长）",
            "First on site, longest",
            _minutes(r["first_contact_max_s"]),
            minutes,
        ),
        ("无人到场任务", "Tasks nobody reached", r["tasks_never_reached"], count),
        ("办结用时（中位数）", "Completion, median", _hours(r["completion_median_s"]), hours),
        ("办结用时（最长）", "Completion, longest", _hours(r["completion_max_s"]), hours),
        ("任务总数", "Tasks", t["total"], count),
        ("已完成任务", "Tasks done", t["done"], count),
        ("未完成任务", "Tasks open", t["open"], count),
        ("已取消任务", "Tasks cancelled", t["cancelled"], count),
        ("人手不足任务", "Tasks short of hands", len(unmet["understaffed"]), count),
        ("未达目标指标", "Figures below target", len(unmet["below_target"]), "项" if zh else ""),
        ("收到报到", "Check-ins received", c["received"], "次" if zh else ""),
        ("漏报到", "Check-ins missed", c["missed"], "次" if zh else ""),
        ("有漏报到的干部", "Cadres who missed one", c["cadres_missed"], people),
    ]
    return [(z if zh else e, value, unit) for z, e, value, unit in rows]


def _summary_sheet(sheet, event: Mapping, found: Mapping, lang: str) -> None:
    zh = lang == "zh"
    title = "战时事件复盘" if zh else "After-action review"
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    kind = KINDS.get(str(event.get("kind")), (event.get("kind"),) * 2)[0 if zh else 1]
    severity = SEVERITIES.get(int_or_none(event.get("severity")), (None, None))[0 if zh else 1]
    info = found["event"]
    ended = _local(info.get("ended_at")) or (
        f"进行中（截至 {_local(info.get('as_of'))}）"
        if zh
        else f"running (as of {_local(info.get('as_of'))})"
    )
    facts = [
        ("事件名称" if zh else "Event", event.get("name")),
        ("事件类型" if zh else "Kind", kind),
        ("响应级别" if zh else "Severity", severity),
        ("开始时间" if zh else "Started", _local(info.get("started_at"))),
        ("结束时间" if zh else "Ended", ended),
        (
            "报到间隔" if zh else "Check-in interval",
            f"{info['checkin_minutes']} 分钟" if zh else f"{info['checkin_minutes']} min",
        ),
    ]
    row = 3
    for label, value in facts:
        sheet.cell(row=row, column=1, value=label).font = BOLD
        write_cell(sheet, row, 2, value)
        row += 1
    row = _block(
        sheet,
        row + 1,
        ("指标", "数值", "单位") if zh else ("Figure", "Value", "Unit"),
        summary_figures(found, lang),
    )
    units = [
        (_unit_name(u, lang), u["cadres"], "人" if zh else "people")
        for u in found["mobilisation"]["by_department"]
    ]
    _block(
        sheet,
        row + 1,
        ("出动单位", "出动干部", "单位") if zh else ("Unit", "Cadres", "Unit"),
        units,
    )
    sheet.column_dimensions["A"].width = max(
        24, min(MAX_WIDTH, max((text_width(u[0]) for u in units), default=0) + 2)
    )
    sheet.column_dimensions["B"].width = max(
        18, min(MAX_WIDTH, max((text_width(v) for _, v in facts if v is not None), default=0) + 2)
    )
    sheet.column_dimensions["C"].width = 10


def _block(sheet, row: int, headers: tuple[str, ...], rows: list[tuple]) -> int:
    """A small table under a bold header row; returns the last row written."""
    for column, label in enumerate(headers, 1):
        cell = sheet.cell(row=row, column=column, value=label)
        cell.font, cell.fill = BOLD, HEADER_FILL
    for label, number, unit in rows:
        row += 1
        write_cell(sheet, row, 1, label)
        cell = write_cell(sheet, row, 2, number)
        cell.number_format = "#,##0" if isinstance(cell.value, int) else "0.0"
        sheet.cell(row=row, column=3, value=unit)
    return row


def _tasks_table(found: Mapping, tasks_list: list[dict] | None, lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    figures = {t["id"]: {f["measure"]: f for f in t.get("figures", [])} for t in tasks_list or []}
    codes = [f["measure"] for f in found["figures"]]
    rows = []
    for t in found["task_rows"]:
        row = {
            "任务编号" if zh else "Task": t["public_id"],
            "任务" if zh else "Title": t["title"],
            "状态" if zh else "Status": status_name(t["status"] or "", lang),
            "所需人数" if zh else "Headcount": t["headcount"],
            "派出干部" if zh else "Cadres sent": t["cadres_sent"],
            "最多同时在岗" if zh else "Most on task at once": t["max_hands"],
            "受理时间" if zh else "Reported": _local(t["reported_at"]),
            "首次派出（分钟）" if zh else "First sent (min)": _minutes(t["first_sent_s"]),
            "首次到场（分钟）" if zh else "First on site (min)": _minutes(t["first_contact_s"]),
            "办结用时（小时）" if zh else "Completion (h)": _hours(t["completion_s"]),
        }
        for code in codes:
            name, unit = measure_label(code, lang).values()
            mine = figures.get(t["id"], {}).get(code, {})
            target, done = (
                (f"{name}目标（{unit}）", f"{name}完成（{unit}）")
                if zh
                else (f"{name} target ({unit})", f"{name} done ({unit})")
            )
            row[target], row[done] = mine.get("target"), mine.get("done")
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def _cadres_table(found: Mapping, lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    return pd.DataFrame(
        [
            {
                "干部" if zh else "Cadre": c["name"],
                "单位" if zh else "Unit": _unit_name(c, lang),
                "任务数" if zh else "Tasks": len(c["tasks"]),
                "派遣次数" if zh else "Assignments": c["assignments"],
                "首次派出" if zh else "First sent": _local(c["first_sent_at"]),
                "首次到场" if zh else "First on site": _local(c["first_arrived_at"]),
                "撤离时间" if zh else "Released": _local(c["released_at"]),
                "在岗时长（小时）" if zh else "Time out (h)": _hours(c["on_task_s"]),
                "报到次数" if zh else "Check-ins": c["checkins"],
                "漏报到次数" if zh else "Check-ins missed": c["missed"],
            }
            for c in found["cadre_rows"]
        ],
        dtype=object,
    )


def _figures_table(found: Mapping, lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    return pd.DataFrame(
        [
            {
                "指标" if zh else "Figure": measure_label(f["measure"], lang)["label"],
                "单位" if zh else "Unit": measure_label(f["measure"], lang)["unit"],
                "目标" if zh else "Target": f["target"],
                "完成" if zh else "Done": f["done"],
                "完成率（%）" if zh else "Share (%)": None
                if f["share"] is None
                else round(100 * f["share"], 1),
            }
            for f in found["figures"]
        ],
        dtype=object,
    )


def _unmet_table(found: Mapping, lang: str) -> pd.DataFrame:
    zh = lang == "zh"
    unmet = found["unmet"]
    heads = (
        ("类型", "任务编号", "任务", "项目", "需要", "实际", "缺口")
        if zh
        else ("Kind", "Task", "Title", "What", "Needed", "Got", "Short")
    )
    rows = [
        (
            "人手不足" if zh else "Short of hands",
            u["public_id"],
            u["title"],
            "人数" if zh else "people",
            u["headcount"],
            u["max_hands"],
            u["short"],
        )
        for u in unmet["understaffed"]
    ]
    rows += [
        (
            "未达目标" if zh else "Below target",
            b["public_id"],
            b["title"],
            "{label}（{unit}）".format(**measure_label(b["measure"], lang))
            if zh
            else "{label} ({unit})".format(**measure_label(b["measure"], lang)),
            b["target"],
            b["done"],
            b["short"],
        )
        for b in unmet["below_target"]
    ]
    rows += [
        (
            "未完成" if zh else "Still open",
            o["public_id"],
            o["title"],
            status_name(o["status"] or "", lang),
            None,
            None,
            None,
        )
        for o in unmet["open_tasks"]
    ]
    return pd.DataFrame(rows, columns=list(heads), dtype=object)


def report_workbook(
    event_row: Mapping, report_dict: Mapping, tasks_list: list[dict] | None, lang: str = "zh"
) -> bytes:
    """The after-action report as an .xlsx: summary, tasks, mobilised cadres,
    figures and unmet needs, one sheet each.

    ``event_row`` is ``store.event(id)``; ``report_dict`` is what
    ``services.event_report.after_action`` returned (times as datetimes or ISO
    text); ``tasks_list`` is ``services.events.tasks_shown`` (each task's
    figures), or None.
    """
    zh = lang == "zh"
    book = Workbook()
    taken: set[str] = set()
    summary = book.active
    summary.title = sheet_title("概况" if zh else "Summary", taken)
    _summary_sheet(summary, event_row, report_dict, lang)
    for title, frame in (
        ("任务" if zh else "Tasks", _tasks_table(report_dict, tasks_list, lang)),
        ("出动干部" if zh else "Mobilised cadres", _cadres_table(report_dict, lang)),
        ("指标完成" if zh else "Figures", _figures_table(report_dict, lang)),
        ("未满足需求" if zh else "Unmet needs", _unmet_table(report_dict, lang)),
    ):
        table_sheet(book.create_sheet(sheet_title(title, taken)), Table(title, title, frame))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
