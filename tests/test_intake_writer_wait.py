"""Issue 16, item 13: a worker's wait for the intake writer's answer.

A worker's connection to the writer had Python's own time limit, so CPython
polled the socket before each send and each read, and read an answer in two
reads (its length, then the rest): six system calls a report, each letting
go of the GIL that 16 request threads pass round. The kernel now keeps the
limit (SO_RCVTIMEO, SO_SNDTIMEO) and an answer is read in one read; a writer
that never answers is still given up on after ``ANSWER_TIMEOUT``, and its
report is refused as of unknown outcome, not written a second time.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

import pytest

from data import intake_writer
from data.intake_writer import OutcomeUnknown, WriterClient, encode, read_frame

ANSWER = {"id": 7, "public_id": "JZ261207000007"}


@pytest.fixture
def fake_writer(tmp_path):
    """A writer that reads each frame and answers it as ``answer(conn, frame)`` says."""
    path = str(tmp_path / "writer.sock")
    listener = socket.create_server(path, family=socket.AF_UNIX)
    taken: list[dict] = []
    how = {"answer": lambda conn, frame: conn.sendall(encode(ANSWER))}

    def serve():
        with contextlib.suppress(OSError):  # until the listener is closed
            while conn := listener.accept()[0]:
                threading.Thread(target=answer_each, args=(conn,), daemon=True).start()

    def answer_each(conn):
        with conn:
            while True:
                try:
                    frame = read_frame(conn)
                except (EOFError, OSError):
                    return
                taken.append(frame)
                how["answer"](conn, frame)

    threading.Thread(target=serve, daemon=True).start()
    yield path, taken, how
    listener.close()


def test_the_kernel_keeps_the_time_limit_and_python_adds_no_poll(fake_writer):
    path, _, _ = fake_writer
    client = WriterClient(path)
    assert client.send({"n": 1}) == ANSWER
    conn = client._local.conn
    assert conn.gettimeout() is None  # no poll() before each send and read
    limit = struct.unpack("@ll", conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16))
    assert limit == (int(intake_writer.ANSWER_TIMEOUT), 0)
    limit = struct.unpack("@ll", conn.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16))
    assert limit == (int(intake_writer.ANSWER_TIMEOUT), 0)
    client.close()


def test_an_answer_is_read_in_one_read_and_whole_when_it_comes_in_pieces(fake_writer):
    path, taken, how = fake_writer
    client = WriterClient(path)
    reads: list[int] = []
    real_recv = socket.socket.recv

    class Counted(socket.socket):
        __slots__ = ()

        def recv(self, size, *flags):
            reads.append(size)
            return real_recv(self, size, *flags)

    assert client.send({"n": 0}) == ANSWER  # the connection is made
    client._local.conn.__class__ = Counted
    assert client.send({"n": 1}) == ANSWER
    assert len(reads) == 1  # length and body at once

    def in_pieces(conn, frame):
        data = encode({**ANSWER, "n": frame["n"]})
        for piece in (data[:2], data[2:6], data[6:]):
            conn.sendall(piece)
            time.sleep(0.05)

    how["answer"] = in_pieces
    assert client.send({"n": 2}) == {**ANSWER, "n": 2}
    assert [frame["n"] for frame in taken] == [0, 1, 2]
    client.close()


def test_a_writer_that_never_answers_is_given_up_on_after_the_limit(fake_writer, monkeypatch):
    path, taken, how = fake_writer
    monkeypatch.setattr(intake_writer, "ANSWER_TIMEOUT", 1.0)
    how["answer"] = lambda conn, frame: None  # takes the report, says nothing
    client = WriterClient(path)
    began = time.monotonic()
    with pytest.raises(OutcomeUnknown):
        client.send({"n": 1})
    waited = time.monotonic() - began
    assert 0.9 <= waited < 5
    assert len(taken) == 1  # sent once, and not sent again: it may be stored
    client.close()
