"""No cadre is ever sent twice, however many operators press at the same moment.

The real server (`python app.py serve`: gunicorn, three worker processes of
sixteen threads) runs on SQLite and on PostgreSQL. Many client threads, each
with its own connection, confirm overlapping plans drawn from a small pool of
cadres at once. The database is the only guard: afterwards no cadre has two
active assignments, every cadre some client was told it got was sent exactly
once, and every refusal names who took the cadre.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pandas as pd
import pytest
import requests

from data.store import Store
from scripts.app_process import app_process
from tests.test_dispatch_api import staffed_city

pytestmark = pytest.mark.slow

THREADS = 24
ROUNDS = 12
POOL = list(range(101, 109))  # eight cadres for 24 operators: most attempts collide
INCIDENTS = ["T1", "T2", "T3"]


@pytest.fixture
def server(database_url, tmp_path):
    store = Store.open(database_url)
    store.load_city(staffed_city())
    key = store.create_api_key("外勤App", actor="test", scopes="open311,field,dispatch")
    store.close()
    env = {"DATABASE_URL": database_url, "GC_TEST_LOG": str(tmp_path / "server.log")}
    with app_process(env) as base:
        yield base, key


class Watch:
    """Looks at the database over and over, while the hammer runs, for double bookings."""

    def __init__(self, url: str):
        self.store = Store.open(url)
        self.doubles: list[int] = []
        self.looks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.doubles.extend(self.store.double_bookings())
            self.looks += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(timeout=30)
        self.store.close()


def confirm(session, base, assignments, actor):
    return session.post(
        f"{base}/api/v1/dispatch/confirm",
        json={"actor": actor, "assignments": assignments},
        timeout=60,
    )


def test_one_cadre_pressed_by_many_operators_at_once_goes_once(server, database_url):
    server, key = server
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[str, requests.Response]] = []
    lock = threading.Lock()

    def operator(n: int) -> None:
        session = requests.Session()
        session.headers["X-API-Key"] = key  # a dispatch integration's key, shared
        session.get(f"{server}/api/v1/health", timeout=30)  # connect before the barrier
        actor = f"值班员{n:02d}"
        barrier.wait()
        answer = confirm(session, server, [{"incident": INCIDENTS[n % 3], "cadre_id": 105}], actor)
        with lock:
            answers.append((actor, answer))

    threads = [threading.Thread(target=operator, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = Counter(a.status_code for _, a in answers)
    assert codes == {200: 1, 409: THREADS - 1}, codes
    winner = next(actor for actor, a in answers if a.status_code == 200)
    for _, answer in answers:
        if answer.status_code == 409:
            assert winner in answer.json()["error"]["message"]  # told who took the cadre
    store = Store.open(database_url)
    try:
        sent = store.active_dispatches()
    finally:
        store.close()
    assert list(sent["cadre_id"]) == [105] and list(sent["sent_by"]) == [f"key:外勤App/{winner}"]


def test_overlapping_plans_hammered_from_many_threads_never_double_book(server, database_url):
    """Operators confirm plans while cadres in the field finish tasks and become free."""
    server, key = server
    granted: list[int] = []
    refused: list[str] = []
    released: list[int] = []
    other: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def operator(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        session.headers["X-API-Key"] = key
        session.get(f"{server}/api/v1/health", timeout=30)
        barrier.wait()
        for _ in range(ROUNDS):
            cadres = rng.sample(POOL, rng.randint(1, 3))
            plan = [{"incident": rng.choice(INCIDENTS), "cadre_id": c} for c in cadres]
            answer = confirm(session, server, plan, f"值班员{n:02d}")
            with lock:
                if answer.status_code == 200:
                    granted.extend(d["cadre_id"] for d in answer.json()["dispatched"])
                elif answer.status_code == 409:
                    refused.append(answer.json()["error"]["message"])
                else:
                    other[answer.status_code] += 1
            if rng.random() < 0.4:  # a cadre reports the task done: free to be sent again
                done = session.post(
                    f"{server}/api/v1/field/status",
                    timeout=60,
                    headers={"X-API-Key": key},
                    json={"cadre_id": rng.choice(POOL), "status": "done"},
                )
                with lock:
                    released.append(done.status_code)

    threads = [threading.Thread(target=operator, args=(n,)) for n in range(THREADS)]
    with Watch(database_url) as watch:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert watch.looks > 5, "the watcher hardly looked"
    assert not other, f"answers other than 200 and 409: {other}"
    assert set(released) <= {200, 400} and 200 in released  # 400: that cadre had no task
    odd = [m for m in refused if "already sent by" not in m]
    assert refused and not odd, odd[:3]
    assert not watch.doubles, f"seen with two active assignments: {watch.doubles[:5]}"
    store = Store.open(database_url)
    try:
        every = pd.concat(
            [
                store.dispatches_of(incident_id)
                for incident_id in store.incidents(public_ids=INCIDENTS)["id"]
            ]
        )
    finally:
        store.close()
    assert sorted(every["cadre_id"]) == sorted(granted)  # what clients were told is what is stored
    assert (every["released_at"].isna().groupby(every["cadre_id"]).sum() <= 1).all()
    print(
        f"{len(granted)} cadres granted, {len(refused)} plans refused, "
        f"{released.count(200)} released, 0 double assignments"
    )
