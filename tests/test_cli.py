"""The command line as a new user meets it: bad set-ups get one clear line."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys

import pytest
from shapely.geometry import box

from tests.servers import ROOT, free_port


def run_app(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unreachable_database_is_one_line():
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://gc:secret@127.0.0.1:{port}/gridcommand"
    result = run_app("seed", env={"DATABASE_URL": url})
    assert_one_clear_line(result, "cannot reach the database", "check DATABASE_URL")
    assert "secret" not in result.stderr  # no password in messages


def test_malformed_database_url_is_one_line():
    result = run_app("seed", env={"DATABASE_URL": "not a url"})
    assert_one_clear_line(result, "is not a database URL")


def test_port_in_use_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        database = tmp_path / "grid.db"
        result = run_app(
            "serve",
            env={"PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": f"sqlite:///{database}"},
        )
    assert_one_clear_line(result, f"port {port}", "already in use", f"PORT={port + 1}")
    assert not database.exists()  # refused before touching anything


def test_older_schema_is_refused_and_left_untouched(tmp_path):
    database = tmp_path / "old.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE schema_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_info VALUES ('version', '0')")
        conn.execute("CREATE TABLE towns (code TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO towns VALUES ('370281001')")
    before = digest(database)
    result = run_app(
        "serve", env={"DATABASE_URL": f"sqlite:///{database}", "PORT": str(free_port())}
    )
    assert_one_clear_line(result, "schema version 0", "python app.py migrate")
    assert digest(database) == before


def test_database_of_another_application_is_refused(tmp_path):
    database = tmp_path / "other.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    before = digest(database)
    result = run_app("seed", env={"DATABASE_URL": f"sqlite:///{database}"})
    assert_one_clear_line(result, "no Grid Command schema")
    assert digest(database) == before


@pytest.mark.parametrize(
    "env, phrase",
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"GC_LANG": "fr"}, "GC_LANG must be zh or en"),
        ({"GC_PROXY_HOPS": "9"}, "GC_PROXY_HOPS must be between 0 and 5, not 9"),
        ({"GC_LIVE_WAITERS": "-1"}, "GC_LIVE_WAITERS must be between 0 and 1000"),
        ({"GC_SLA_POLICY": "/nonexistent/sla.json"}, "GC_SLA_POLICY: cannot read"),
        ({"GC_SLA_POLICY": str(ROOT / "README.md")}, "is not JSON"),
    ],
)
def test_bad_settings_are_one_line(env, phrase):
    assert_one_clear_line(run_app("seed", env=env), phrase)


def test_every_setting_is_documented_in_the_readme():
    from settings import SETTINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_apikey_create_list_and_revoke(tmp_path):
    from data.store import Store

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}"}
    created = run_app("apikey", "create", "街道App", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("gc_") and "shown only now" in created.stderr
    assert "no --scopes given" in created.stderr  # least privilege, and said so
    listed = run_app("apikey", "list", env=env)
    assert "街道App" in listed.stdout and key not in listed.stdout  # never the key itself
    store = Store.open(env["DATABASE_URL"])
    assert store.client_for_key(key).name == "街道App"
    assert store.client_for_key(key).scopes == ("open311",)
    assert "revoked 1" in run_app("apikey", "revoke", "街道App", env=env).stdout
    assert store.client_for_key(key) is None
    store.close()
    assert_one_clear_line(run_app("apikey", "revoke", "nobody", env=env), "no live API key")


# ----------------------------------------------- lists over empty and filled columns


@pytest.fixture
def listed(tmp_path):
    """A database whose users, keys and imports have each nullable column both
    empty and filled: a town leader and an operator (town_code), a revoked and
    live keys of the city and of a town (revoked_at, town_code), one with the
    old default scopes, and two imports of which the later is undone."""
    from data.store import Store
    from tests.servers import PASSWORD
    from tests.test_import_apply import B_GRIDS, REDRAWN, apply_file, grids_file
    from tests.tiny_city import tiny_city

    url = f"sqlite:///{tmp_path / 'grid.db'}"
    store = Store.open(url)
    store.load_city(tiny_city())
    town = store.towns()["code"].iloc[0]
    store.create_user("li", PASSWORD, "town_leader", town=town, actor="test")
    store.create_user("zhao", PASSWORD, "operator", actor="test")
    store.create_api_key("gone", actor="test", scopes="open311")
    store.create_api_key("wall", actor="test", scopes="display", town=town)
    store.create_api_key("hotline", actor="test", scopes="open311")
    store.create_api_key("legacy", actor="test", scopes="open311,field,dispatch")
    store.revoke_api_keys("gone", actor="test")
    first = apply_file(store, "grids", grids_file(tmp_path, REDRAWN))
    again = [REDRAWN[0], ("A-4", box(120.012, 36.00, 120.02, 36.02)), *B_GRIDS]
    second = apply_file(store, "grids", grids_file(tmp_path, again, name="again.gpkg"))
    store.undo_import(second["import_id"], actor="admin")
    store.close()
    return {"url": url, "town": town, "first": first["import_id"], "second": second["import_id"]}


def _lines(text: str) -> dict[str, str]:
    """Output lines by the name in their second column."""
    return {line.split()[1]: line for line in text.strip().splitlines()}


def test_apikey_list_says_live_and_revoked_and_flags_the_old_default(listed):
    """Issue 16: once one key was revoked every key showed as revoked (NaT
    taken for a time), and keys without a town showed "town nan"."""
    result = run_app("apikey", "list", env={"DATABASE_URL": listed["url"]})
    assert result.returncode == 0, result.stderr
    assert "nan" not in result.stdout.lower() and "NaT" not in result.stdout
    rows = _lines(result.stdout)
    assert rows["gone"].endswith("revoked")
    assert rows["hotline"].endswith("live") and " town " not in rows["hotline"]
    assert f"display town {listed['town']}" in rows["wall"] and rows["wall"].endswith("live")
    assert "live  ! old default scopes" in rows["legacy"]
    assert "old default" not in rows["hotline"] + rows["gone"] + rows["wall"]
    assert "1 live key(s) have open311,field,dispatch" in result.stderr
    assert "apikey scopes legacy --scopes open311" in result.stderr


def test_apikey_scopes_narrows_a_flagged_key_and_refuses_bad_scopes(listed):
    from data.store import Store

    env = {"DATABASE_URL": listed["url"]}
    assert_one_clear_line(
        run_app("apikey", "scopes", "legacy", "--scopes", "root", env=env),
        "unknown key scopes root",
    )
    assert_one_clear_line(
        run_app("apikey", "scopes", "gone", "--scopes", "open311", env=env), "no live API key"
    )
    store = Store.open(listed["url"])
    try:
        before = store.api_keys().set_index("name")["scopes"].to_dict()
        assert before["legacy"] == "open311,field,dispatch"  # the refusals changed nothing
        done = run_app("apikey", "scopes", "legacy", "--scopes", "open311", env=env)
        assert done.returncode == 0 and "1 key(s)" in done.stdout, done.stderr
        keys = store.api_keys().set_index("name")
        assert keys.loc["legacy", "scopes"] == "open311" and not keys["old_default"].any()
        assert store.audit(1).iloc[0]["action"] == "set_api_key_scopes"
    finally:
        store.close()
    listed_again = run_app("apikey", "list", env=env)
    assert "old default" not in listed_again.stdout and listed_again.stderr == ""


def test_user_list_shows_a_town_only_where_there_is_one(listed):
    result = run_app("user", "list", env={"DATABASE_URL": listed["url"]})
    assert result.returncode == 0, result.stderr
    assert "nan" not in result.stdout.lower()
    rows = {line.split()[0]: line for line in result.stdout.strip().splitlines()}
    assert rows["li"].endswith(f"town_leader town {listed['town']}")
    assert rows["zhao"].endswith("operator")


def test_imports_list_shows_undone_and_applied_imports(listed):
    """Issue 16: "NaTType does not support strftime" once one import was undone
    and another not, hiding the ids needed for undo."""
    result = run_app("imports", "list", env={"DATABASE_URL": listed["url"]})
    assert result.returncode == 0, result.stderr
    rows = {int(line.split()[0]): line for line in result.stdout.strip().splitlines()}
    assert "undone" in rows[listed["second"]] and "by admin" in rows[listed["second"]]
    assert "undone" not in rows[listed["first"]]
    assert "nan" not in result.stdout.lower() and "NaT" not in result.stdout


def test_admin_and_data_tables_over_empty_and_filled_columns(listed):
    """The /admin lists and /data's import log, built as their callbacks build them."""
    from dashboard.i18n import t
    from dashboard.import_view import history_rows
    from dashboard.pages.admin import key_rows, user_rows
    from data.store import Store

    store = Store.open(listed["url"])
    try:
        for lang in ("zh", "en"):
            keys = {row["name"]: row for row in key_rows(store, lang)}
            assert keys["gone"]["state"] == t("admin.revoked", lang)
            assert keys["hotline"]["state"] == t("admin.active", lang)
            assert keys["wall"]["state"] == t("admin.active", lang)
            assert keys["legacy"]["state"] == t("admin.old_default", lang)
            assert (
                keys["hotline"]["town_code"] == "" and keys["wall"]["town_code"] == listed["town"]
            )
            users = {row["username"]: row for row in user_rows(store, lang)}
            assert users["zhao"]["town_code"] == "" and users["li"]["town_code"] == listed["town"]
            history = {row["id"]: row for row in history_rows(store.imports(), lang)}
            assert history[listed["second"]]["state"] == t("data.undone", lang)
            assert history[listed["first"]]["state"] == ""
            shown = json.dumps([keys, users, history], ensure_ascii=False, default=str)
            assert "nan" not in shown.lower() and "NaT" not in shown
    finally:
        store.close()


# ------------------------------------------------------------ failures are one line


def test_user_add_without_a_terminal_is_one_line_and_adds_nobody(tmp_path):
    """Issue 16: no terminal and no GC_NEW_PASSWORD ended in an EOFError traceback."""
    from data.store import Store

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}", "GC_NEW_PASSWORD": ""}
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "user", "add", "zhao", "--role", "operator"],
        env={**os.environ, **env},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert_one_clear_line(result, "no terminal", "GC_NEW_PASSWORD", "--random")
    store = Store.open(env["DATABASE_URL"])
    assert store.users().empty
    store.close()


@pytest.mark.parametrize(
    "args, phrase",
    [
        (("user", "add", "zhao", "--role", "boss"), "unknown role 'boss'"),
        (("user", "add", "li", "--role", "town_leader"), "needs the code of their town"),
        (("user", "add", "li", "--role", "town_leader", "--town", "999"), "no town with code"),
        (("user", "add", "x", "--role", "operator"), "a user name is 2 to 40"),
        (("user", "password", "nobody"), "no user 'nobody'"),
    ],
)
def test_bad_user_arguments_are_refused_before_a_password_is_asked(tmp_path, args, phrase):
    """A bad role was met only after the password had been typed."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}", "GC_NEW_PASSWORD": ""}
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        env={**os.environ, **env},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert_one_clear_line(result, phrase)
    assert "terminal" not in result.stderr  # refused before any password was asked for


def test_user_add_with_gc_new_password_still_works(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}",
        "GC_NEW_PASSWORD": "a long enough password 2026",
    }
    result = run_app("user", "add", "zhao", "--role", "operator", env=env)
    assert result.returncode == 0 and "user zhao (operator) added" in result.stdout, result.stderr


# ------------------------------------------------------------------- quick lists


@pytest.mark.parametrize("command", [("user", "list"), ("apikey", "list"), ("imports", "list")])
def test_list_commands_import_neither_dash_nor_plotly_nor_geopandas(tmp_path, command):
    """A list command started in 5-13 s because every command imported everything."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "app.py"), *command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = {m for m in imported if m.split(".")[0] in ("dash", "plotly", "geopandas", "scipy")}
    assert heavy == set()
    assert "sqlalchemy" in imported  # the measurement itself works


# ------------------------------------------------------------------- the wall's URL


@pytest.mark.parametrize(
    "host, port, expected",
    [
        ("127.0.0.2", "8123", "a wall opens http://127.0.0.2:8123/?key=gc_"),
        ("0.0.0.0", "9123", "a wall opens http://ADDRESS:9123/?key=gc_"),
        ("::", "9124", "a wall opens http://ADDRESS:9124/?key=gc_"),
        ("::1", "9125", "a wall opens http://[::1]:9125/?key=gc_"),
    ],
)
def test_apikey_create_prints_the_wall_url_of_the_settings(tmp_path, host, port, expected):
    """The wall's URL was printed with port 8050 whatever the server's address."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}", "HOST": host, "PORT": port}
    result = run_app("apikey", "create", "胶西大屏", "--scopes", "display", env=env)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert expected + key[3:] in result.stderr
    if "ADDRESS" in expected:
        assert "this server's address on the wall's network" in result.stderr
