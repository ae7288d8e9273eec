"""The field benchmark (bench/field.py) runs end to end on the tiny city.

A real `python app.py serve`, three phones signed in by invite links, one
cadre working through tasks, one wall ticking, for a few seconds. Timings
are not checked, only that every kind of request was made and answered,
and that each task sent was seen on the phone.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.field import main

pytestmark = pytest.mark.slow


def test_field_bench_runs_every_kind_of_request_on_the_tiny_city(tiny_url, capsys):
    argv = ["--database-url", tiny_url, "--phones", "3", "--working", "1"]
    argv += ["--duration", "5", "--warmup", "1", "--tail", "10", "--every", "1"]
    argv += ["--me-every", "1", "--pace", "0.2", "--walls", "1", "--wall-every", "1"]
    argv += ["--processes", "1", "--json"]
    # In a thread of its own: a pytest worker that ran a Playwright test before
    # has an event loop running in its main thread, and the bench's asyncio.run
    # refuses to start inside one (as a command it always starts in a fresh process).
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(main, argv).result() == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["phones"] == 3 and figures["working"] == 1
    assert set(figures["sign_in_ms"]) == {"invite", "join GET", "join POST"}
    endpoints = figures["endpoints"]
    for name in ("positions", "me", "actions", "desk dispatch", "wall tick"):
        assert endpoints[name]["requests"] > 0, name
        assert endpoints[name]["errors"] == {}, (name, endpoints[name]["errors"])
        assert endpoints[name]["p50"] > 0
    assert figures["cycles"] >= 1
    assert figures["never_seen"] == 0
    assert figures["refused"] == {}
    assert figures["lag_s"]["task"]["n"] >= 1
    assert figures["lag_s"]["notification"]["n"] == figures["lag_s"]["task"]["n"]
    assert figures["cpu_cores"]["server"] > 0
    assert "delivery lag" in out
