"""The command line as a new user meets it: bad set-ups get one clear line."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import subprocess
import sys

import pytest

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
    listed = run_app("apikey", "list", env=env)
    assert "街道App" in listed.stdout and key not in listed.stdout  # never the key itself
    store = Store.open(env["DATABASE_URL"])
    assert store.client_for_key(key).name == "街道App"
    assert "revoked 1" in run_app("apikey", "revoke", "街道App", env=env).stdout
    assert store.client_for_key(key) is None
    store.close()
    assert_one_clear_line(run_app("apikey", "revoke", "nobody", env=env), "no live API key")
