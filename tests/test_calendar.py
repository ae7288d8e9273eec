"""The working calendar beyond its shipped notices (issue 16, item 8).

The data used to end on 2026-12-31: from 2027 every deadline ignored the Spring
Festival, Qingming, Dragon Boat and Mid-Autumn. Now the law gives the statutory days
of any year, the notices are data a city extends in GC_CALENDAR_FILE, and a year
without a notice is said out loud.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from contextlib import redirect_stderr

import pytest

from app import create_app
from dashboard import ids
from dashboard.pages.admin import calendar_warnings
from domain.calendar_cn import SHANGHAI, WorkCalendar
from domain.calendar_days import read_calendar_file
from domain.errors import InvalidInput
from domain.sla import SlaPolicy, deadlines
from server import warn_calendar
from settings import Settings
from tests.servers import add_user, signed_in_client
from tests.test_access import dash_body
from tests.test_cli import assert_one_clear_line, run_app

D = dt.date
BARE = SlaPolicy.default(categories=False)  # priority 3: resolve in 3 working days
NOTICE_2027 = "国办发明电〔2026〕N号"


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def due_locally(reported: dt.datetime, policy: SlaPolicy = BARE) -> dt.datetime:
    due = deadlines("garbage", 3, reported, policy).resolve_at
    return due.astimezone(SHANGHAI).replace(tzinfo=None)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_deadlines_over_the_2027_spring_festival_skip_it_regression_issue_16():
    # Thursday 4 February 2027, 3 working days: 除夕 (Fri 5), the festival (Sat 6 – Mon 8)
    # and its 补假 (Tue 9, Wed 10) are off, so Thu 11, Fri 12 and Mon 15 count. The old
    # calendar ended Tuesday 9 February, in the middle of the festival.
    assert due_locally(local(2027, 2, 4, 10)) == dt.datetime(2027, 2, 15, 17, 30)
    # Mid-Autumn, Wednesday 15 September 2027: Thu 16, Fri 17, Mon 20.
    assert due_locally(local(2027, 9, 14, 10)) == dt.datetime(2027, 9, 20, 17, 30)
    # Working hours as well: 1.5 h on Thursday 4 February, the rest on the 11th.
    cal = WorkCalendar()
    assert cal.add_working_hours(local(2027, 2, 4, 16), 7.5) == local(2027, 2, 11, 16)
    assert cal.working_hours_between(local(2027, 2, 4, 17, 30), local(2027, 2, 11, 8, 30)) == 0


def test_the_calendar_command_lists_2027_with_its_sources(tmp_path):
    result = run_app("calendar", "2027", env={"GC_CALENDAR_FILE": ""})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for day in (
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    ):
        assert any(line.startswith(day) and line.endswith("[law]") for line in lines), day
    assert "2027-02-08  Mon  off   春节 Spring Festival  [law]" in lines
    assert "2027-09-15  Wed  off   中秋节 Mid-Autumn  [law]" in lines
    assert any(line.startswith("2027-02-09") and "estimated" in line for line in lines)
    assert "no State Council holiday notice for 2027" in result.stdout
    # A notice a city adds locally: its days are listed with their source, the warning goes.
    csv = write(
        tmp_path / "calendar.csv",
        "date,kind,source,name\n"
        f"2027-02-20,work,{NOTICE_2027},春节调休\n"
        f"2027-02-11,off,{NOTICE_2027},春节\n",
    )
    result = run_app("calendar", "2027", env={"GC_CALENDAR_FILE": str(csv)})
    assert result.returncode == 0, result.stderr
    assert (
        f"2027-02-20  Sat  work  春节调休 Spring Festival (make-up working day)  "
        f"[local file: {NOTICE_2027}]" in result.stdout.splitlines()
    )
    assert "no State Council holiday notice" not in result.stdout
    shipped = run_app("calendar", "2026", env={})
    assert "2026-02-14  Sat  work  春节调休 Spring Festival (make-up working day)  [notice " in (
        shipped.stdout
    )


def test_a_local_file_adds_a_make_up_day(tmp_path):
    csv = write(
        tmp_path / "calendar.csv",
        "\ufeffdate,kind,source\n"  # Excel's BOM
        f"2027-02-20,work,{NOTICE_2027}\n\n",
    )
    settings = Settings.from_env({"GC_CALENDAR_FILE": str(csv)})
    assert settings.calendar.is_working_day(D(2027, 2, 20))  # a Saturday, worked
    assert not WorkCalendar().is_working_day(D(2027, 2, 20))
    # The policy in force carries the calendar, so intake and the lifecycle count on it:
    # garbage is resolved by the end of the next working day: reported on Friday 19
    # February, that is the Saturday worked, not Monday.
    due = deadlines("garbage", 3, local(2027, 2, 19, 10), settings.sla_policy).resolve_at
    assert due == local(2027, 2, 20, 17, 30)
    assert deadlines("garbage", 3, local(2027, 2, 19, 10)).resolve_at == local(2027, 2, 22, 17, 30)
    assert settings.sla_policy.priorities == SlaPolicy.default().priorities


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("day,kind,source\n2027-02-20,work,x\n", "date,kind,source"),
        ("date,kind,source\n2027-2-30,work,x\n", "line 2: date '2027-2-30' is not YYYY-MM-DD"),
        ("date,kind,source\n2027-02-20,holiday,x\n", "line 2: kind must be off or work"),
        ("date,kind,source\n2027-02-20,work,\n", "line 2: source is empty"),
        (
            "date,kind,source\n2027-02-20,work,x\n2027-02-20,off,y\n",
            "line 3: 2027-02-20 is listed twice",
        ),
        ("date,kind,source\n2027-02-08,work,x\n", "2027-02-08 is a statutory day off (春节)"),
        ("date,kind,source\n1999-02-08,off,x\n", "outside 2000–2100"),
    ],
)
def test_a_bad_calendar_file_is_refused_in_one_line(tmp_path, text, phrase):
    path = write(tmp_path / "calendar.csv", text)
    with pytest.raises(InvalidInput, match="^" + str(path)) as refused:
        read_calendar_file(path)
    assert phrase in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(ValueError, match=r"^GC_CALENDAR_FILE: "):
        Settings.from_env({"GC_CALENDAR_FILE": str(path)})


def test_the_server_does_not_start_on_a_bad_calendar_file(tmp_path):
    database = tmp_path / "grid.db"
    bad = write(tmp_path / "calendar.csv", "date,kind,source\n2027-02-20,sometimes,x\n")
    env = {"GC_CALENDAR_FILE": str(bad), "DATABASE_URL": f"sqlite:///{database}"}
    assert_one_clear_line(run_app("serve", env=env), "GC_CALENDAR_FILE", "line 2", "kind")
    assert not database.exists()  # refused before touching anything
    missing = {"GC_CALENDAR_FILE": str(tmp_path / "none.csv")}
    assert_one_clear_line(run_app("calendar", "2027", env=missing), "cannot read it")
    assert_one_clear_line(run_app("calendar", "1999", env={}), "2000–2100")


def test_a_year_without_a_notice_is_said_out_loud(tmp_path):
    cal = WorkCalendar()
    assert cal.missing_notices(D(2026, 12, 6)) == [2027]
    assert cal.missing_notices(D(2025, 3, 1)) == []
    assert cal.missing_notices(D(2031, 1, 1)) == [2031, 2032]
    csv = write(tmp_path / "calendar.csv", f"date,kind,source\n2027-02-20,work,{NOTICE_2027}\n")
    noticed = WorkCalendar(local=read_calendar_file(csv))
    assert noticed.missing_notices(D(2026, 12, 6)) == []
    # On stderr at start, and on the admin page, in both languages.
    settings = Settings.from_env({"GC_CALENDAR_FILE": ""})
    said = io.StringIO()
    with redirect_stderr(said):
        warn_calendar(settings)
    next_year = dt.datetime.now(SHANGHAI).year + 1  # the shipped notices end with 2026
    assert f"no State Council holiday notice for {next_year}" in said.getvalue()
    assert all(line.startswith("grid-command: warning:") for line in said.getvalue().splitlines())
    [zh] = calendar_warnings(cal, "zh", D(2026, 12, 6))
    [en] = calendar_warnings(WorkCalendar(), "en", D(2026, 12, 6))
    assert (
        "2027 年尚无国务院办公厅节假日安排通知" in zh.children and "GC_CALENDAR_FILE" in zh.children
    )
    assert "no State Council holiday notice for 2027" in en.children
    assert calendar_warnings(noticed, "zh", D(2026, 12, 6)) == []


def test_the_admin_page_shows_the_warning(sqlite_url, tmp_path):
    next_year = dt.datetime.now(SHANGHAI).year + 1
    for calendar_file, warned in (("", True), (_covering(tmp_path, next_year), False)):
        settings = Settings.from_env(
            {"DATABASE_URL": sqlite_url, "GC_CALENDAR_FILE": calendar_file}
        )
        app = create_app(settings)
        store = app.server.extensions["gridcommand.store"]
        try:
            if not calendar_file:  # the first round: the same database serves both
                add_user(store, "admin", username="root")
            client = signed_in_client(app.server, "root")
            [key] = [k for k in app.callback_map if ids.ADMIN_CALENDAR in k]
            body = dash_body(key, app.callback_map[key])
            client.get("/")  # sets the _csrf_token cookie, as for a browser
            token = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
            answer = client.post("/_dash-update-component", json=body, headers=token)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            shown = answer.get_json()["response"][ids.ADMIN_CALENDAR]["children"]
            text = str(shown)
            assert (f"{next_year} 年尚无国务院办公厅节假日安排通知" in text) is warned, text
        finally:
            store.close()


def _covering(tmp_path, next_year: int) -> str:
    """A local file that gives this year and the next a (made-up) notice."""
    rows = [f"{year}-01-01,off,test notice" for year in (next_year - 1, next_year)]
    return str(write(tmp_path / "cover.csv", "date,kind,source\n" + "\n".join(rows) + "\n"))


def test_deadlines_keep_their_speed_in_years_worked_out_on_the_fly():
    # Intake computes deadlines for every report: each year is worked out once per
    # calendar (a few milliseconds with the holidays package), then read from a dict.
    calendar = WorkCalendar()
    reports = [local(2027, 1, 1) + dt.timedelta(hours=h) for h in range(0, 24 * 730, 8)]
    started = time.perf_counter()
    for reported in reports:
        deadlines("garbage", 3, reported, BARE, calendar)
    assert time.perf_counter() - started < 1.0  # 2,190 deadlines over 2027 and 2028
