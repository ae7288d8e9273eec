"""Shared fixtures: real databases (a fresh SQLite file, a fresh PostgreSQL schema).

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)
to run the store tests on PostgreSQL too; without it they skip and say why.
With GC_FAIL_ON_SKIP=1 (set by .ci/run) any skipped test fails the run.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data.store import Store  # noqa: E402
from tests.tiny_city import tiny_city  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def postgres_schema_url(base: str, schema_name: str) -> str:
    """The URL of ``base`` with its search path set to ``schema_name``."""
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema_name}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'grid.db'}"


@pytest.fixture
def tiny_url(sqlite_url) -> str:
    """A SQLite file holding the tiny city (tests/tiny_city.py)."""
    from data.store import Store
    from tests.tiny_city import tiny_city

    store = Store.open(sqlite_url)
    store.load_city(tiny_city())
    store.close()
    return sqlite_url


@contextlib.contextmanager
def fresh_postgres_schema():
    """A URL to a brand-new schema in the test PostgreSQL database, dropped after."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL store tests need it")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield postgres_schema_url(PG_URL, name)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url():
    """A brand-new PostgreSQL schema for one test."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_database_url(request, tmp_path_factory):
    """One database per backend for a whole module, for tests that share a
    city they only read: a SQLite file, or a fresh PostgreSQL schema dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module') / 'grid.db'}"
        return
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """Each store test runs once per backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    """An empty store with the schema in place."""
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def city_store(store):
    """A store holding the tiny city."""
    store.load_city(tiny_city())
    return store


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "postgres_url" in names or ("database_url" in names and "postgresql" in item.name):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """In CI a skip is a failure: every test must really run there."""
    if os.environ.get("GC_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"GC_FAIL_ON_SKIP=1: {len(skipped)} test(s) skipped; every test must run in CI",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture(scope="session")
def browser():
    """One headless system Chromium for the browser tests; skips (CI: fails) without it."""
    from scripts.chromium import chromium_path, launch

    if chromium_path() is None:
        pytest.skip("Chromium not found: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
