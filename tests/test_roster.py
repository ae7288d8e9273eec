"""Cadre rosters and department pairings from CSV and Excel (issue 9 item 5):
reading the tables as text, guessing the columns, checking every row."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from data import import_tables
from data.import_tables import cell_text, read_table, sniff_delimiter
from domain.errors import InvalidInput
from domain.pairing_table import check_pairings, guess_pairing_mapping
from domain.roster import check_cadres, guess_cadre_mapping
from domain.roster_cells import normalise_phone, phone_is_valid, role_code, skill_codes

TOWNS = pd.DataFrame({"code": ["370281001", "370281002"], "name": ["胶东街道", "李哥庄镇"]})
DEPARTMENTS = pd.DataFrame({"id": [1, 2], "name": ["市水务局", "市财政局"]})
GRIDS = {"370281001001-01", "370281001001-02", "370281002001-01"}
HEADER = ["姓名", "手机号", "角色", "所属部门", "所属镇街", "所属网格", "专长"]
MAPPING = {
    "name": "姓名",
    "phone": "手机号",
    "role": "角色",
    "department": "所属部门",
    "town": "所属镇街",
    "grid": "所属网格",
    "skills": "专长",
}


def write_xlsx(path, sheets: dict[str, list[list]]):
    """An .xlsx with the given sheets, each a list of rows (row 1 first)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def roster(*rows: list) -> pd.DataFrame:
    """A roster frame as ``read_table`` gives it: text, index + 2 = row number."""
    return pd.DataFrame(
        [list(r) + [None] * (len(HEADER) - len(r)) for r in rows], columns=HEADER, dtype="str"
    )


def check(*rows: list, grid_codes=GRIDS):
    return check_cadres(
        roster(*rows), MAPPING, towns=TOWNS, departments=DEPARTMENTS, grid_codes=grid_codes
    )


def blocking(result) -> list[tuple[int, str]]:
    return [(p.row, p.kind) for p in result.problems if p.blocking]


# --- Reading tables ----------------------------------------------------------


def test_a_utf8_csv_keeps_leading_zeros_strips_cells_and_numbers_rows_as_shown(tmp_path):
    path = tmp_path / "roster.csv"
    text = "姓名,手机号,网格\n 张三 ,13812345678,0101\n,,\n李四,,0102\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Excel's "CSV UTF-8" has a BOM
    frame = read_table(path)
    assert list(frame.columns) == ["姓名", "手机号", "网格"]
    assert frame["网格"].tolist() == ["0101", "0102"] and frame.loc[0, "姓名"] == "张三"
    assert pd.isna(frame.loc[2, "手机号"])  # row 4
    assert (frame.index + 2).tolist() == [2, 4]  # the empty row 3 is gone, numbers are not


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(",", "gbk"), ("\t", "gbk"), (";", "utf-8"), ("\t", "utf-16")]
)
def test_gbk_utf16_and_any_delimiter_are_read(tmp_path, delimiter, encoding):
    path = tmp_path / "名单.csv"
    lines = [["姓名", "联系电话", "镇街"], ["王芳", "0532-87654321", "李哥庄镇"]]
    path.write_bytes("\r\n".join(delimiter.join(r) for r in lines).encode(encoding))
    frame = read_table(path)
    assert frame.to_dict("records") == [
        {"姓名": "王芳", "联系电话": "0532-87654321", "镇街": "李哥庄镇"}
    ]


def test_the_delimiter_is_the_one_that_splits_the_header():
    assert sniff_delimiter("a;b;c\n1,5;2;3") == ";"
    assert sniff_delimiter('"a,b"\tc\n') == "\t"
    assert sniff_delimiter("姓名\n张三") == ","


def test_excel_numbers_come_back_as_the_text_typed(tmp_path):
    path = write_xlsx(
        tmp_path / "roster.xlsx",
        {
            "花名册": [
                ["姓名", "手机号", "网格", "日期", "比例"],
                ["张三", 13812345678, "0101", dt.datetime(2026, 3, 1), 0.25],
                ["李四", 13812345678.0, 101, dt.datetime(2026, 3, 1, 8, 30), 1e-05],
                ["王五", 1.3812345678e10, None, None, None],
            ]
        },
    )
    frame = read_table(path)
    assert frame["手机号"].tolist() == ["13812345678"] * 3
    assert frame["网格"].tolist()[:2] == ["0101", "101"]
    assert frame["日期"].tolist()[:2] == ["2026-03-01", "2026-03-01T08:30:00"]
    assert frame["比例"].tolist()[:2] == ["0.25", "0.00001"]
    assert cell_text(True) == "TRUE" and cell_text(-3.0) == "-3"


def test_a_sheet_is_chosen_by_name_and_an_unknown_one_lists_the_sheets(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {"说明": [["a", "b"], [1, 2]], "包联": [["部门", "镇街"], ["市水务局", "胶东街道"]]},
    )
    assert list(read_table(path).columns) == ["a", "b"]
    assert read_table(path, sheet="包联").loc[0, "部门"] == "市水务局"
    with pytest.raises(InvalidInput, match="说明, 包联") as error:
        read_table(path, sheet="Sheet1")
    assert "说明、包联" in error.value.zh


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "roster.xlsx",
        {
            "Sheet1": [
                ["胶州市网格员花名册"],
                [],
                ["姓名", "手机号"],
                ["张三", "13812345678"],
                [],
                ["李四", "13900001111"],
            ]
        },
    )
    frame = read_table(path)
    assert list(frame.columns) == ["姓名", "手机号"] and frame.attrs["header_row"] == 3
    assert (frame.index + 2).tolist() == [4, 6]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "save it as .xlsx"),
        ("roster.txt", b"a,b\n1,2\n", ".csv or .xlsx"),
        ("roster.xlsx", "姓名,手机号\n张三,1\n".encode(), "not an Excel .xlsx workbook"),
        ("roster.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old .xls"),
        ("roster.xlsx", b"PK\x03\x04" + bytes(100), "not a readable .xlsx"),
        ("roster.csv", b"PK\x03\x04" + bytes(100), "looks like an Excel workbook"),
        ("roster.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        ("roster.csv", b"", "no rows"),
        ("roster.csv", "姓名,手机号\n".encode(), "no rows"),
        ("roster.csv", "姓名,手机号,姓名\n张三,1,2\n".encode(), "姓名 more than once"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as error:
        read_table(path)
    assert error.value.zh and name in error.value.zh


def test_duplicate_headers_of_a_workbook_missing_files_and_the_size_limit(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "dup.xlsx", {"S": [["电话", "电话"], [1, 2]]})
    with pytest.raises(InvalidInput, match="电话 more than once"):
        read_table(path)
    with pytest.raises(InvalidInput, match="no such file"):
        read_table(tmp_path / "gone.csv")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    monkeypatch.setattr(import_tables, "MAX_BYTES", 1000)
    with pytest.raises(InvalidInput, match="over the"):
        read_table(big)


# --- Guesses and values ------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            [
                "序号",
                "姓名",
                "联系电话",
                "人员类别",
                "派出单位",
                "镇街",
                "网格编码",
                "技能",
                "备注",
            ],
            {
                "name": "姓名",
                "phone": "联系电话",
                "role": "人员类别",
                "department": "派出单位",
                "town": "镇街",
                "grid": "网格编码",
                "skills": "技能",
            },
        ),
        (
            ["Name", "Mobile", "Role", "Dept", "Town", "Grid_Code", "Skills"],
            {
                "name": "Name",
                "phone": "Mobile",
                "role": "Role",
                "department": "Dept",
                "town": "Town",
                "grid": "Grid_Code",
                "skills": "Skills",
            },
        ),
        (
            ["XM", "SJHM", "身份", "单位", "乡镇", "所属网格"],
            {
                "name": "XM",
                "phone": "SJHM",
                "role": "身份",
                "department": "单位",
                "town": "乡镇",
                "grid": "所属网格",
                "skills": None,
            },
        ),
        (
            ["手机号码（本人）", "所属镇街名称"],
            {
                "name": None,
                "phone": "手机号码（本人）",
                "role": None,
                "department": None,
                "town": "所属镇街名称",
                "grid": None,
                "skills": None,
            },
        ),
    ],
)
def test_the_roster_columns_are_guessed_from_chinese_pinyin_and_english(columns, expected):
    assert guess_cadre_mapping(columns) == expected


def test_the_pairing_columns_are_guessed():
    assert guess_pairing_mapping(["序号", "包联部门", "包联镇街"]) == {
        "department": "包联部门",
        "town": "包联镇街",
    }
    assert guess_pairing_mapping(["department", "town_code"]) == {
        "department": "department",
        "town": "town_code",
    }


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("网格员", "grid_worker"),
        ("专职网格员", "grid_worker"),
        ("Grid worker", "grid_worker"),
        ("grid_worker", "grid_worker"),
        ("机关干部", "dept_cadre"),
        ("下沉干部", "dept_cadre"),
        ("包联干部", "dept_cadre"),
        ("Department cadre", "dept_cadre"),
        ("街道干部", "town_cadre"),
        ("乡镇干部", "town_cadre"),
        ("TOWN_CADRE", "town_cadre"),
        ("志愿者", "volunteer"),
        (" Volunteer ", "volunteer"),
        ("队长", None),
        ("", None),
        (None, None),
    ],
)
def test_roles_are_read_in_chinese_english_and_as_codes(written, code):
    assert role_code(written) == code


@pytest.mark.parametrize(
    ("written", "phone", "valid"),
    [
        ("138 1234 5678", "13812345678", True),
        ("138-1234-5678", "13812345678", True),
        ("+86 138 1234 5678", "13812345678", True),
        ("008613812345678", "13812345678", True),
        ("8613812345678", "13812345678", True),
        ("１３８１２３４５６７８", "13812345678", True),
        ("13812345678.0", "13812345678", True),
        ("(0532) 8765-4321", "053287654321", True),
        ("0532-8765432", "05328765432", True),
        ("+86 532 8765 4321", "053287654321", True),
        ("1381234567", "1381234567", False),
        ("87654321", "87654321", False),
        ("0532-87654321-801", "053287654321801", False),
        ("电话待补", "电话待补", False),
    ],
)
def test_phones_are_normalised_and_checked(written, phone, valid):
    assert normalise_phone(written) == phone
    assert phone_is_valid(phone) is valid


def test_skills_split_on_chinese_and_latin_separators_and_become_codes():
    assert skill_codes("矛盾调解、社会救助，消防安全;drainage 医疗救护/Fire safety") == (
        ["mediation", "social_work", "fire_safety", "drainage", "medical"],
        [],
    )
    assert skill_codes("书法  矛盾调解 书法") == (["书法", "mediation"], ["书法"])
    assert skill_codes(None) == ([], [])


def test_skills_as_rosters_write_them_are_matched():
    # Issue 16: 社会工作 is how rosters write social work (SKILLS says 社会救助).
    assert skill_codes("社会工作、人民调解，消防；电工 防汛") == (
        ["social_work", "mediation", "fire_safety", "electrical", "flood_control"],
        [],
    )
    result = check(["甲", "13800000001", "志愿者", None, "胶东街道", None, "社会工作"])
    assert result.rows[0]["skills"] == "social_work" and not result.problems


# --- Checking rosters --------------------------------------------------------


def test_a_good_roster_becomes_rows_for_the_apply():
    result = check(
        [
            "张三",
            "138 1234 5678",
            "网格员",
            None,
            "胶东街道",
            "370281001001-01",
            "矛盾调解、社会救助",
        ],
        ["李四", "13900001111", "部门干部", "市水务局"],
        ["王五", "0532-87654321", "town_cadre", None, "370281002"],
        ["赵六", "13700002222", "志愿者", None, "李哥庄", "370281002001-01"],
    )
    assert result.rows == [
        {
            "name": "张三",
            "phone": "13812345678",
            "role": "grid_worker",
            "department": None,
            "town_code": "370281001",
            "grid_code": "370281001001-01",
            "skills": "mediation,social_work",
        },
        {
            "name": "李四",
            "phone": "13900001111",
            "role": "dept_cadre",
            "department": "市水务局",
            "town_code": None,
            "grid_code": None,
            "skills": "",
        },
        {
            "name": "王五",
            "phone": "053287654321",
            "role": "town_cadre",
            "department": None,
            "town_code": "370281002",
            "grid_code": None,
            "skills": "",
        },
        {
            "name": "赵六",
            "phone": "13700002222",
            "role": "volunteer",
            "department": None,
            "town_code": "370281002",
            "grid_code": "370281002001-01",
            "skills": "",
        },
    ]
    assert result.problems == [] and result.new_departments == [] and not result.blocking


def test_every_blocking_rule_names_its_row():
    long_name = "名" * 41
    result = check(
        [None, "13800000001", "志愿者", None, "胶东街道"],  # row 2
        ["甲", None, "志愿者", None, "胶东街道"],  # row 3
        ["乙", "1380000000", "志愿者", None, "胶东街道"],  # row 4
        ["丙", "1.38123E+10", "志愿者", None, "胶东街道"],  # row 5
        ["丁", "13800000005", "队长", None, "胶东街道"],  # row 6
        ["戊", "13800000006", "志愿者", None, "火星镇"],  # row 7
        ["己", "13800000007", "镇街干部"],  # row 8
        ["庚", "13800000008", "志愿者"],  # row 9
        ["辛", "13800000009", "部门干部"],  # row 10
        ["壬", "13800000010", "网格员", None, "胶东街道"],  # row 11
        ["癸", "13800000011", "网格员", None, None, "999"],  # row 12
        ["子", "13800000012", "网格员", None, None, "370281001001-01"],  # row 13
        ["丑", "13800000013", "网格员", None, None, "370281001001-01"],  # row 14
        ["寅", "138 0000 0013", "志愿者", None, "胶东街道"],  # row 15
        [long_name, "13800000015", "志愿者", None, "胶东街道"],  # row 16
    )
    assert blocking(result) == [
        (2, "missing_name"),
        (3, "missing_phone"),
        (4, "bad_phone"),
        (5, "bad_phone"),
        (6, "unknown_role"),
        (7, "unknown_town"),
        (8, "missing_town"),
        (9, "missing_town"),
        (10, "missing_department"),
        (11, "missing_grid"),
        (12, "unknown_grid"),
        (14, "grid_taken"),
        (15, "duplicate_phone"),
        (16, "too_long"),
    ]
    assert result.blocking
    by_row = {p.row: p for p in result.problems}
    assert "row 14" in by_row[15].message and "第 14 行" in by_row[15].zh
    assert "row 13" in by_row[14].message
    assert "text" in by_row[5].message and "科学计数法" in by_row[5].zh
    assert "网格员" in by_row[6].zh and "grid_worker" in by_row[6].message
    assert all(p.message and p.zh for p in result.problems)


def test_towns_are_found_by_code_name_or_short_name_and_departments_are_matched_or_new():
    result = check(
        ["甲", "13800000001", "town_cadre", "市水务局", "370281001"],
        ["乙", "13800000002", "town_cadre", "市 财政局", "胶东街道"],
        ["丙", "13800000003", "town_cadre", "市应急管理局", "胶东"],
        ["丁", "13800000004", "dept_cadre", "市应急管理局", "李哥庄镇"],
        ["戊", "13800000005", "dept_cadre", "市（区）教体局"],
    )
    assert [r["town_code"] for r in result.rows] == ["370281001"] * 3 + ["370281002", None]
    assert [r["department"] for r in result.rows][:2] == ["市水务局", "市财政局"]
    assert result.new_departments == ["市应急管理局", "市（区）教体局"]
    assert not result.blocking  # new departments are created by the apply, not refused


def test_a_grid_to_town_mapping_fills_a_workers_town_and_refuses_a_contradiction():
    grid_town = {"370281001001-01": "370281001", "370281002001-01": "370281002"}
    result = check(
        ["甲", "13800000001", "网格员", None, None, "370281001001-01"],
        ["乙", "13800000002", "网格员", None, "胶东街道", "370281002001-01"],
        grid_codes=grid_town,
    )
    assert result.rows[0]["town_code"] == "370281001"
    assert blocking(result) == [(3, "town_mismatch")]


def test_unknown_skills_are_kept_with_a_note_that_does_not_block():
    result = check(["甲", "13800000001", "志愿者", None, "胶东街道", None, "书法，矛盾调解"])
    assert result.rows[0]["skills"] == "书法,mediation"
    assert [(p.row, p.kind, p.blocking) for p in result.problems] == [(2, "unknown_skill", False)]


def test_a_missing_required_column_names_the_field_and_the_files_columns():
    frame = pd.DataFrame({"姓名": ["张三"], "备注": ["x"]}, dtype="str")
    with pytest.raises(InvalidInput, match=r"phone, role; the file has: 姓名, 备注") as error:
        check_cadres(
            frame,
            guess_cadre_mapping(frame.columns),
            towns=TOWNS,
            departments=DEPARTMENTS,
            grid_codes=GRIDS,
        )
    assert "电话、角色" in error.value.zh
    with pytest.raises(InvalidInput, match="no column 手机"):
        check_cadres(
            frame,
            {"name": "姓名", "phone": "手机", "role": "备注"},
            towns=TOWNS,
            departments=DEPARTMENTS,
            grid_codes=GRIDS,
        )


def test_a_roster_workbook_from_file_to_checked_rows(tmp_path):
    path = write_xlsx(
        tmp_path / "花名册.xlsx",
        {
            "Sheet1": [
                HEADER,
                [
                    "张三",
                    13812345678,
                    "专职网格员",
                    None,
                    "胶东街道",
                    "370281001001-01",
                    "矛盾调解",
                ],
                [None] * 7,
                ["李四", 13812345678, "志愿者", None, "李哥庄镇"],
            ]
        },
    )
    frame = read_table(path)
    result = check_cadres(
        frame,
        guess_cadre_mapping(frame.columns),
        towns=TOWNS,
        departments=DEPARTMENTS,
        grid_codes=GRIDS,
    )
    assert result.rows[0]["phone"] == "13812345678"
    assert blocking(result) == [(4, "duplicate_phone")]  # row 4 in Excel, after the blank row 3


# --- Checking pairings -------------------------------------------------------


def test_pairings_become_distinct_pairs_with_new_departments_and_notes(tmp_path):
    path = tmp_path / "包联.csv"
    path.write_bytes(
        "包联部门,包联镇街\n市水务局,胶东街道\n市财政局、市应急管理局,李哥庄镇\n"
        "市水务局,370281001\n,李哥庄镇\n市水务局,火星镇\n".encode("gb18030")
    )
    frame = read_table(path)
    result = check_pairings(
        frame, guess_pairing_mapping(frame.columns), towns=TOWNS, departments=DEPARTMENTS
    )
    assert result.pairs == [
        ("市水务局", "370281001"),
        ("市财政局", "370281002"),
        ("市应急管理局", "370281002"),
    ]
    assert result.new_departments == ["市应急管理局"]
    assert [(p.row, p.kind, p.blocking) for p in result.problems] == [
        (4, "duplicate_pair", False),
        (5, "missing_cell", True),
        (6, "unknown_town", True),
    ]
    assert result.blocking


def test_a_pairing_table_without_a_town_column_is_refused():
    frame = pd.DataFrame({"部门": ["市水务局"]}, dtype="str")
    with pytest.raises(InvalidInput, match="town; the file has: 部门") as error:
        check_pairings(
            frame, guess_pairing_mapping(frame.columns), towns=TOWNS, departments=DEPARTMENTS
        )
    assert "镇街" in error.value.zh


def test_a_grid_worker_may_look_after_several_grids_but_each_grid_has_one_worker():
    frame = pd.DataFrame(
        {
            "姓名": ["张三", "李四"],
            "手机": ["13812345678", "13812345679"],
            "角色": ["网格员", "网格员"],
            "网格": ["370281001001-01、370281001001-02", "370281001001-02"],
        }
    )
    found = check_cadres(
        frame,
        guess_cadre_mapping(frame.columns),
        towns=TOWNS,
        departments=DEPARTMENTS,
        grid_codes=GRIDS,
    )
    assert found.rows[0]["grid_code"] == "370281001001-01,370281001001-02"
    assert [(p.row, p.kind) for p in found.problems] == [(3, "grid_taken")]
