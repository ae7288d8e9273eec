"""The anchor of ``bench/intake.py``: the least a durable Open311 intake can do.

Flask under the same gunicorn settings as ``app.py serve``: parse the form,
one INSERT into SQLite (WAL, ``synchronous=FULL``, so the report is on disk
before the answer), answer with the new id. No key, no guard, no locator, no
audit or change feed. Grid Command's intake does all of those; the benchmark
runs both under the same load and prints them side by side.

    GC_BARE_DATABASE=/tmp/bare.db gunicorn -k gthread -w 3 --threads 16 bench._bare_intake:app
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading

from flask import Flask, Response, request

TABLE = """CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY, service_code TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
    description TEXT, reported_at TEXT NOT NULL)"""
_INSERT = (
    "INSERT INTO reports (service_code, lat, lon, description, reported_at) VALUES (?, ?, ?, ?, ?)"
)

app = Flask(__name__)
_local = threading.local()


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode: each INSERT is one durable transaction."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(TABLE)
    return conn


def _conn() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:  # one per thread, opened in the worker (after the fork)
        conn = _local.conn = connect(os.environ["GC_BARE_DATABASE"])
    return conn


@app.get("/api/v1/health")
def health():
    return {"status": "ok"}


@app.post("/open311/v2/requests.json")
def create_request():
    form = request.form
    try:
        values = (
            form["service_code"],
            float(form["lat"]),
            float(form["long"]),
            form.get("description"),
            dt.datetime.now(dt.UTC).isoformat(),
        )
    except (KeyError, ValueError):
        return Response(
            '[{"code":400,"description":"bad report"}]', 400, content_type="application/json"
        )
    new_id = _conn().execute(_INSERT, values).lastrowid
    body = json.dumps(
        [{"service_request_id": str(new_id), "service_notice": "", "account_id": None}]
    )
    return Response(body, 200, content_type="application/json; charset=utf-8")
