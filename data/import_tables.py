"""Reading cadre rosters and department pairings for import (issue 9): CSV
and Excel (.xlsx) tables, every cell as text.

Codes and phone numbers must come through as typed: a grid code 0101 stays
"0101", and a phone Excel stored as the number 13812345678 (or shows as
1.3812345678E10) becomes "13812345678", never "13812345678.0". Cells are
stripped; empty cells are missing (NA); fully empty rows are dropped.

The frame's index is the spreadsheet row minus 2, so that ``index + 2`` is
the row number the user sees, also after dropped empty rows and a title row
("某某市网格员花名册") skipped above the header. Whatever is wrong with the
file itself is refused here with a clear message, before any mapping.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from data.import_files import existing_size
from domain.errors import InvalidInput

MAX_BYTES = 50 * 1024 * 1024  # a county's roster is well under 1 MB
MAX_ROWS = 200_000  # non-empty rows; a region's cadres are tens of thousands
TITLE_ROWS = 5  # at most this many title rows (one cell each) above the header
SUFFIXES = (".csv", ".xlsx")
DELIMITERS = (",", "\t", ";")
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an .xlsx with a password


def read_table(path: Path | str, sheet: str | None = None) -> pd.DataFrame:
    """The rows of a .csv or .xlsx table, every cell as text.

    Parameters
    ----------
    path
        The file. A .csv may be UTF-8 (with or without BOM), GB18030/GBK (what
        Excel in China saves) or UTF-16 (Excel's "Unicode text"), separated by
        commas, tabs or semicolons.
    sheet
        The worksheet of an .xlsx to read; the first when None.

    Returns
    -------
    A frame of ``str`` columns named by the header row, missing cells NA, and
    ``index + 2`` the row number in the spreadsheet.

    Raises
    ------
    InvalidInput
        Another kind of file, a file that is not what its name says, a missing,
        empty or too large file, an unknown sheet, a table without rows, or
        duplicate column names.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InvalidInput(
            f"{path.name}: old .xls workbooks are not read: open it in Excel "
            "or WPS and save it as .xlsx",
            zh=f"{path.name}：不支持旧版 .xls 文件，请用 Excel 或 WPS 另存为 .xlsx",
        )
    if suffix not in SUFFIXES:
        raise InvalidInput(
            f"{path.name}: import reads .csv or .xlsx tables",
            zh=f"{path.name}：只能导入 .csv 或 .xlsx 表格",
        )
    if existing_size(path, MAX_BYTES) == 0:
        raise _no_rows(path.name)
    rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path, sheet)
    return _frame(rows, path.name)


def _no_rows(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} has no rows under its header", zh=f"{name} 中除表头外没有任何数据行"
    )


def _not_what_it_says(name: str, what: str, zh_what: str) -> InvalidInput:
    return InvalidInput(
        f"{name} is not {what}, whatever its name says",
        zh=f"{name} 不是{zh_what}，内容与文件名不符",
    )


# --- CSV -------------------------------------------------------------------


def _csv_rows(path: Path) -> list[list[object]]:
    """The cells of a CSV file, row by row (row 1 first)."""
    data = path.read_bytes()
    text = _decode(data, path.name)
    delimiter = sniff_delimiter(text)
    # newline="" semantics: csv handles quoted line breaks itself.
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _decode(data: bytes, name: str) -> str:
    """The text of a CSV file in whichever encoding it was saved."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif data.startswith((_ZIP, _OLE2)):
        raise _not_what_it_says(
            name,
            "a CSV text file (it looks like an Excel workbook: import it with the .xlsx name)",
            " CSV 文本文件（像是 Excel 工作簿）",
        )
    elif b"\x00" not in data[:8192]:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise _not_what_it_says(
        name, "a CSV text file in UTF-8 or GBK", " UTF-8 或 GBK 编码的 CSV 文本文件"
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: comma, tab or semicolon, whichever splits
    the header line (the first non-empty one) most; comma when none does."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: the earlier one
    return best if counts[best] > 1 else ","


# --- Excel -----------------------------------------------------------------


def _xlsx_rows(path: Path, sheet: str | None) -> list[list[object]]:
    """The cell values of one worksheet, row by row (row 1 first)."""
    with path.open("rb") as file:
        head = file.read(8)
    if head.startswith(_OLE2):
        raise InvalidInput(
            f"{path.name} is an old .xls workbook or has a password: open it in "
            "Excel or WPS and save it as .xlsx without a password",
            zh=f"{path.name} 是旧版 .xls 或加密的工作簿，请另存为不加密码的 .xlsx",
        )
    if not head.startswith(_ZIP):
        raise _not_what_it_says(path.name, "an Excel .xlsx workbook", " Excel .xlsx 工作簿")
    try:
        with warnings.catch_warnings():
            # WPS and others write extensions openpyxl drops with a warning.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise _not_what_it_says(
            path.name, "a readable .xlsx workbook", "可读取的 .xlsx 工作簿"
        ) from None
    try:
        return _sheet_rows(book, sheet, path.name)
    finally:
        book.close()


def _sheet_rows(book, sheet: str | None, name: str) -> list[list[object]]:
    names = book.sheetnames
    if sheet is not None and sheet not in names:
        listed = ", ".join(names)
        raise InvalidInput(
            f"{name} has no sheet {sheet!r}; its sheets: {listed}",
            zh=f"{name} 中没有工作表“{sheet}”，现有工作表：{'、'.join(names)}",
        )
    worksheet = book[sheet if sheet is not None else names[0]]
    # Some writers record a wrong used range (e.g. A1); read what is there.
    worksheet.reset_dimensions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            [cell_text(value) for value in row]
            for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
        ]


def cell_text(value: object) -> str | None:
    """An Excel cell's value as the text the user typed.

    Whole numbers lose Excel's float (13812345678.0 -> "13812345678"), dates
    are ISO 8601, empty cells None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)  # the shortest text that reads back the same
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- Both ------------------------------------------------------------------


def _frame(rows: list[list[object]], name: str) -> pd.DataFrame:
    """The table under the header row, as text, indexed by spreadsheet row - 2."""
    cells = [[_clean(v) for v in row] for row in rows]
    start = _header_row(cells)
    if start is None:
        raise _no_rows(name)
    header = cells[start]
    body = {n: row for n, row in enumerate(cells) if n > start and any(v is not None for v in row)}
    if not body:
        raise _no_rows(name)
    if len(body) > MAX_ROWS:
        raise InvalidInput(
            f"{name} has {len(body):,} rows, over the {MAX_ROWS:,} import limit",
            zh=f"{name} 共 {len(body):,} 行，超过 {MAX_ROWS:,} 行上限",
        )
    width = max(len(header), *(len(row) for row in body.values()))
    header = header + [None] * (width - len(header))
    data = [row + [None] * (width - len(row)) for row in body.values()]
    keep = [c for c in range(width) if header[c] is not None or any(r[c] is not None for r in data)]
    columns = [header[c] if header[c] is not None else f"column {c + 1}" for c in keep]
    _refuse_duplicates(columns, name)
    frame = pd.DataFrame(
        [[row[c] for c in keep] for row in data],
        columns=columns,
        index=pd.Index([n - 1 for n in body], dtype="int64"),  # row n+1 -> index n-1
        dtype="str",
    )
    frame.attrs["header_row"] = start + 1
    return frame


def _clean(value: object) -> str | None:
    """A cell stripped of spaces (also full-width ones) and a stray BOM, None when empty."""
    if value is None:
        return None
    text = str(value).strip().lstrip("\ufeff").strip()  # str.strip() knows U+3000
    return text or None


def _header_row(cells: list[list[str | None]]) -> int | None:
    """The position of the header: the first non-empty row, unless title rows
    of one cell each stand above a wider row within the first few."""
    filled = [sum(v is not None for v in row) for row in cells]
    first = next((n for n, k in enumerate(filled) if k), None)
    if first is None or filled[first] > 1:
        return first
    for n in range(first + 1, min(len(cells), first + TITLE_ROWS + 1)):
        if filled[n] > 1:
            return n
    return first


def _refuse_duplicates(columns: list[str], name: str) -> None:
    twice = [column for column, n in Counter(columns).items() if n > 1]
    if twice:
        raise InvalidInput(
            f"{name}: the header names {', '.join(twice)} more than once; rename one of each",
            zh=f"{name}：表头中“{'、'.join(twice)}”重复，请改名",
        )
