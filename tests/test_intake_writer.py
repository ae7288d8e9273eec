"""The intake writer process (data/intake_writer.py): one writer per SQLite file,
fed by the workers over a Unix socket, and never a single point of failure.

The writer runs as a real process (``python -m data.intake_writer``, started
by ``WriterProcess`` as ``app.py serve`` starts it) on a real SQLite file of
the tiny city; reports go in through the use case the API calls
(``api.open311.store_report``). Killing the writer mid-load loses no
acknowledged report and stores none twice; without it, the workers write.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from flask import request_started
from sqlalchemy import select

from api.open311 import store_report
from api.open311_format import FORMATS
from data import schema
from data.intake_writer import (
    MAX_FRAME,
    OutcomeUnknown,
    encode,
    read_frame,
    split_frames,
)
from data.intake_writer_process import WriterProcess
from data.store import Store
from data.store_intake import StaleGeometry
from tests.servers import ROOT, thread_server, tiny_app

REPORT = {
    "service_code": "garbage",
    "description": "垃圾未清运",
    "lat": "36.011",
    "long": "120.005",
}


@pytest.fixture
def writer(tiny_url):
    process = WriterProcess(tiny_url)
    assert process.start(), "the writer process did not start"
    yield process
    process.stop()


@pytest.fixture
def store(tiny_url):
    store = Store.open(tiny_url)
    store.client = store.client_for_key(store.create_api_key("小程序", actor="t", scopes="open311"))
    yield store
    store.close()


def _report(store, n: int = 0) -> str:
    _, public_id = store_report(
        store, {**REPORT, "description": f"垃圾未清运 {n}"}, store.client, None, "json"
    )
    return public_id


def _wait(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _entries(store, table, ids: list[int]) -> list[dict]:
    """The ``table`` entries (audit log or change feed) of the incidents ``ids``."""
    wanted = select(table).where(
        table.c.entity == "incident", table.c.entity_id.in_([str(i) for i in ids])
    )
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(wanted).mappings()]


# ------------------------------------------------------------------ frames


def test_frames_come_through_whole_however_the_bytes_are_cut():
    messages = [{"n": n, "text": "垃圾" * n, "values": (1, 2.5, None, "x")} for n in range(5)]
    stream = b"".join(encode(m) for m in messages)
    buffer, got = bytearray(), []
    for start in range(0, len(stream), 7):  # seven bytes at a time
        buffer += stream[start : start + 7]
        got.extend(split_frames(buffer))
    assert got == messages and buffer == bytearray()


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00\x00\x05hello",  # not a marshalled value
        b"\x00\x00\x00\x02i\x01",  # cut short
        (MAX_FRAME + 1).to_bytes(4, "big"),  # too large to be a report
        encode([1, 2])[:],  # a value, but not a message
    ],
)
def test_a_frame_not_of_ours_is_refused(data):
    with pytest.raises(ValueError):
        split_frames(bytearray(data))


# ------------------------------------------------------------------ the writer


def test_reports_from_many_threads_are_stored_through_the_writer_like_local_ones(writer, store):
    local = _report(store, -1)  # before the writer is in use: written by this process
    store.use_intake_writer(writer.path)
    results: list[str] = []

    def client(n):
        results.extend(_report(store, n * 10 + i) for i in range(3))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store._intake_writer.answered == 120  # every one went through the writer
    assert len(set(results)) == 120
    stored = store.incidents_by_public_ids([local, *results])
    assert len(stored) == 121 and stored["grid_code"].notna().all()
    ids = [int(i) for i in stored["id"]]
    # The public id ends in the row id, as for every incident.
    assert all(pid.endswith(f"{i:06d}") for pid, i in zip(stored["public_id"], ids, strict=True))
    audit, feed = _entries(store, schema.audit_log, ids), _entries(store, schema.change_feed, ids)
    assert len(audit) == len(feed) == 121
    afters = {a["entity_id"]: json.loads(a["after"]) for a in audit}
    by_id = stored.set_index("id")
    for entity_id, after in afters.items():
        row = by_id.loc[int(entity_id)]
        assert (after["id"], after["public_id"]) == (int(entity_id), row["public_id"])
        assert after["description"] == row["description"]
    # The same keys whichever process wrote it.
    local_id = str(int(by_id.index[by_id["public_id"] == local][0]))
    assert {frozenset(a) for a in afters.values()} == {frozenset(afters[local_id])}
    assert {json.loads(f["payload"])["public_id"] for f in feed} == {local, *results}


def test_without_a_writer_the_worker_writes_itself(store, tmp_path):
    store.use_intake_writer(str(tmp_path / "no-writer.sock"))
    public_id = _report(store)
    assert store._intake_writer.answered == 0
    assert len(store.incidents_by_public_ids([public_id])) == 1


def test_a_report_placed_with_replaced_boundaries_is_refused_by_the_writer(writer, store):
    store.use_intake_writer(writer.path)
    before = store.count_reports()
    values = {
        "channel": "app",
        "category": "garbage",
        "description": "x",
        "lon": 120.005,
        "lat": 36.011,
        "priority": 3,
        "client_id": store.client.id,
    }
    moved_on = store.geometry_version() + 1
    with pytest.raises(StaleGeometry) as refused:
        store.add_report(values, actor="t", placed_with=moved_on)
    assert refused.value.version == store.geometry_version()
    assert store._intake_writer.answered == 1  # refused by the writer, not written here
    assert store.count_reports() == before
    # store_report places it again and it goes in.
    assert len(store.incidents_by_public_ids([_report(store)])) == 1


def test_a_killed_writer_loses_no_acknowledged_report_and_is_started_again(writer, store):
    store.use_intake_writer(writer.path)
    before = store.count_reports()
    acked: list[str] = []
    unknown: list[int] = []
    stop = threading.Event()

    def client(n):
        sent = 0
        while not stop.is_set():
            sent += 1
            try:
                acked.append(_report(store, n * 100_000 + sent))
            except OutcomeUnknown as lost:  # the writer took it and died before answering
                unknown.append((n, repr(lost.__cause__)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    _wait(lambda: store._intake_writer.answered >= 100)
    first = writer.pid
    os.kill(first, signal.SIGKILL)
    _wait(lambda: writer.pid != first and os.path.exists(writer.path))  # started again
    answered = store._intake_writer.answered
    _wait(lambda: store._intake_writer.answered >= answered + 50)  # and used again
    stop.set()
    for thread in threads:
        thread.join()

    assert len(set(acked)) == len(acked) >= 150
    stored = store.incidents_by_public_ids(acked)
    assert set(stored["public_id"]) == set(acked), "an acknowledged report was lost"
    added = store.count_reports() - before
    # Only reports in flight at the kill (one per thread at most) may be stored unanswered.
    assert len(unknown) <= 12, unknown
    assert len(acked) <= added <= len(acked) + len(unknown)


def test_a_writer_stopped_in_order_stays_stopped_and_the_workers_write(writer, store):
    store.use_intake_writer(writer.path)
    _report(store)
    stopped = writer.pid
    os.kill(stopped, signal.SIGTERM)  # as Ctrl+C reaches the server's whole group
    _wait(lambda: not os.path.exists(writer.path) and writer._process.poll() is not None)
    time.sleep(1.5)  # longer than the watcher waits before starting it again
    assert writer.pid == stopped and not os.path.exists(writer.path)
    assert not os.path.exists(os.path.dirname(writer.path))  # nothing left in /tmp
    answered = store._intake_writer.answered
    assert len(store.incidents_by_public_ids([_report(store)])) == 1
    assert store._intake_writer.answered == answered  # written here


def test_a_writer_whose_server_was_killed_stops_by_itself(tiny_url):
    """The server's master dies without a word (SIGKILL): its writer notices
    within a second, answers what it has, and goes."""
    master = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from data.intake_writer_process import WriterProcess\n"
            "w = WriterProcess(sys.argv[1]); assert w.start()\n"
            "print(w.pid, w.path, flush=True); time.sleep(600)",
            tiny_url,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    pid, path = master.stdout.readline().split()
    os.kill(master.pid, signal.SIGKILL)
    master.wait(timeout=10)
    master.stdout.close()
    _wait(lambda: not _alive(int(pid)), seconds=10)
    assert not os.path.exists(path)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited; init reaps it
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_peer_that_is_not_a_worker_is_cut_off_and_the_workers_are_served(writer, store):
    stranger = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stranger.settimeout(10)
    stranger.connect(writer.path)
    stranger.sendall(b"\x00\x00\x00\x05hello")
    assert stranger.recv(100) == b""  # closed without an answer
    stranger.close()
    store.use_intake_writer(writer.path)
    assert len(store.incidents_by_public_ids([_report(store)])) == 1
    assert store._intake_writer.answered == 1


def test_the_socket_is_for_this_user_alone(writer):
    assert os.stat(writer.path).st_mode & 0o077 == 0
    assert os.stat(os.path.dirname(writer.path)).st_mode & 0o077 == 0


# ------------------------------------------------------------------ over HTTP


@pytest.fixture
def vanishing_writer(tmp_path):
    """A writer that takes each frame and goes away before answering: (its path,
    the frames it took)."""
    path = str(tmp_path / "vanishing.sock")
    taken: list[dict] = []
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            taken.append(read_frame(conn))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield path, taken
    listener.close()


@pytest.mark.parametrize("through", ["lane", "flask"])
def test_a_report_whose_writer_vanished_is_refused_with_503_and_not_written_again(
    tmp_path, vanishing_writer, through
):
    app, store = tiny_app(tmp_path, intake_rate="100/minute")
    key = store.create_api_key("小程序", actor="test", scopes="open311")
    path, taken = vanishing_writer
    store.use_intake_writer(path)
    flask_served: list[str] = []
    request_started.connect(lambda _s, **_e: flask_served.append("yes"), app.server, weak=False)
    before = store.count_reports()
    query = "" if through == "lane" else "?via=flask"  # a query string is Flask's to serve
    with thread_server(app.server) as base:
        for fmt in ("json", "xml"):
            answer = requests.post(
                f"{base}/open311/v2/requests.{fmt}{query}",
                data={"api_key": key, **REPORT},
                timeout=30,
            )
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "5"
            assert "may not have been stored" in answer.text
            assert answer.headers["Content-Type"] == FORMATS[fmt]  # the Open311 error shape
            if fmt == "json":
                assert answer.json()[0]["code"] == 503
    assert len(taken) == 2  # each report sent once, never again by Flask or the worker
    assert store.count_reports() == before  # and not written by the worker after all
    assert bool(flask_served) == (through == "flask")
    store.close()
