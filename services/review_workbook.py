"""The review as an Excel workbook: a summary sheet, then one sheet per table.

The first sheet (概况 / Summary) states the query in words and the headline
figures; every other sheet is one of ``services.review_tables``' tables with its
display headers (Chinese by default) and its numbers as numbers, rounded as
the screen shows them. Header rows are bold and frozen.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from domain.review_metrics import METRICS
from services.review_tables import HEADERS, RATES, Table, summary_rows

HEADER_FILL = PatternFill("solid", fgColor="E8EDF3")
BOLD = Font(bold=True)
MAX_WIDTH = 48  # characters; long descriptions wrap at this width
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_KEY_OF = {label: key for key, pair in HEADERS.items() for label in pair}
# Number formats by column key: what the screen shows.
FORMATS = {
    **{key: "0.0" for key in RATES},
    "contact_h": "0.0",
    "resolve_h": "0.0",
    "ratio": "0.0",
    "expected": "0.0",
    "per_1000": "0.00",
    "q": "0.000",
}


def cell_value(value):
    """A value openpyxl writes as a number, a text or an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def text_width(value) -> int:
    """Display width in Latin characters: Chinese characters count twice."""
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = _BAD_SHEET_CHARS.sub("-", title).strip("'") or "Sheet"
    name, n = base[:31], 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def write_cell(sheet, row: int, column: int, value):
    cell = sheet.cell(row=row, column=column)
    cell.value = cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # text from the records is never run as a formula
    return cell


def summary_numbers(review, lang: str) -> list[tuple[str, float | int | None, str]]:
    """(label, number, unit) of each headline figure: the screen's text read back as a
    number, so the sheet holds exactly what the tiles show."""
    by_label = {m.label(lang): m for m in METRICS.values()}
    rows = []
    for label, shown in summary_rows(review, lang):
        metric = by_label.get(label)
        unit = metric.unit(lang) if metric else ""
        text = shown.replace(",", "").rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and metric is not None and metric.kind == "count":
            number = int(number)
        rows.append((label, number, unit))
    return rows


def _summary_sheet(sheet, review, filters: list[tuple[str, str]], lang: str) -> None:
    zh = lang == "zh"
    sheet.cell(row=1, column=1, value="网格化治理考核复盘" if zh else "Town review").font = Font(
        bold=True, size=14
    )
    row = 3
    for label, value in filters:
        sheet.cell(row=row, column=1, value=label).font = BOLD
        write_cell(sheet, row, 2, value)
        row += 1
    row += 1
    for column, label in enumerate(
        ("指标", "数值", "单位") if zh else ("Figure", "Value", "Unit"), 1
    ):
        cell = sheet.cell(row=row, column=column, value=label)
        cell.font, cell.fill = BOLD, HEADER_FILL
    for label, number, unit in summary_numbers(review, lang):
        row += 1
        sheet.cell(row=row, column=1, value=label)
        cell = sheet.cell(row=row, column=2, value=number)
        cell.number_format = "#,##0" if isinstance(number, int) else "0.0"
        sheet.cell(row=row, column=3, value=unit)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = max(
        16, min(MAX_WIDTH, max((text_width(v) for _, v in filters), default=16) + 2)
    )
    sheet.column_dimensions["C"].width = 10


def table_sheet(sheet, table: Table) -> None:
    frame = table.frame
    for column, header in enumerate(frame.columns, 1):
        cell = sheet.cell(row=1, column=column, value=str(header))
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    formats = [FORMATS.get(_KEY_OF.get(h, h)) for h in frame.columns]
    for row, values in enumerate(frame.itertuples(index=False, name=None), 2):
        for column, value in enumerate(values, 1):
            cell = write_cell(sheet, row, column, value)
            if formats[column - 1] and isinstance(cell.value, int | float):
                cell.number_format = formats[column - 1]
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = (
            f"A1:{get_column_letter(len(frame.columns))}{max(len(frame), 1) + 1}"
        )
    for column, header in enumerate(frame.columns, 1):
        widths = [text_width(header)] + [
            text_width(v) for v in frame.iloc[:200, column - 1] if cell_value(v) is not None
        ]
        width = min(MAX_WIDTH, max(8, max(widths) + 2))
        sheet.column_dimensions[get_column_letter(column)].width = width


def workbook_bytes(tables: list[Table], filters: list[tuple[str, str]], review, lang: str) -> bytes:
    """The .xlsx file of a review: summary first, then every table."""
    book = Workbook()
    summary = book.active
    taken: set[str] = set()
    summary.title = sheet_title("概况" if lang == "zh" else "Summary", taken)
    _summary_sheet(summary, review, filters, lang)
    for table in tables:
        table_sheet(book.create_sheet(sheet_title(table.title, taken)), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
