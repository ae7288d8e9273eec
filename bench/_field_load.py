"""The phones and the walls of the field benchmark (``bench/field.py``).

Asyncio clients speaking HTTP/1.1 by hand on a new connection per request
(``Connection: close``), as phones on a mobile network do: a load process
spends tens of microseconds per request, so on a 2-core machine the cores
stay the server's.

A phone behaves as the field page (fieldapp/static/field.js) does: every
``every`` seconds it posts a small batch of positions with a new
Idempotency-Key, and 0.2 s after each answer reloads /api/v1/field/me (the
page reloads it whenever its queue has sent everything), besides its own
/me timer. A working phone also waits for the task the desk sends it, and
does accept, arrive on the spot, and done with a note, each after a human
pause, each retried with the same key when the answer did not come, as the
page's queue does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import resource
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

ME_AFTER_SEND_S = 0.2  # field.js: setTimeout(loadMe, 200) once the queue is empty
ACTION_TRIES = 3  # an action whose answer never came is sent again with its key
RETRY_AFTER_S = 2.0
DISPATCH_KINDS = ("dispatch", "reassign")


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """name -> value of each Set-Cookie."""
        out = {}
        for k, v in self.headers:
            if k == "set-cookie":
                name, _, value = v.split(";", 1)[0].partition("=")
                out[name.strip()] = value.strip()
        return out


def _request(base: str, method: str, path: str, headers, body: bytes, close: bool) -> bytes:
    split = urlsplit(base)
    head = [f"{method} {path} HTTP/1.1", f"Host: {split.netloc}"]
    head += ["Connection: close"] if close else []
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method != "GET":
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def fetch(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30,
) -> Answer:
    """One request on a new connection; the whole answer read."""
    split = urlsplit(base)
    payload = _request(base, method, path, headers, body, close=True)
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(split.hostname, split.port)
            writer.write(payload)
            return await _read_answer(reader)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
        return Answer(0)
    finally:
        if writer is not None:
            await _closed(writer)


async def _closed(writer: asyncio.StreamWriter) -> None:
    """Close and wait until closed (a transport left to the collector warns)."""
    writer.close()
    with contextlib.suppress(OSError, asyncio.CancelledError):
        await writer.wait_closed()


class KeptAlive:
    """A browser's keep-alive connection: reused while the server keeps it open
    (gunicorn closes an idle one after its keepalive, 2 s), else opened again."""

    def __init__(self, base: str):
        self.base = base
        self.reader = self.writer = None

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            await _closed(writer)

    async def fetch(self, method, path, *, headers=None, body=b"", timeout=60) -> Answer:
        payload = _request(self.base, method, path, headers, body, close=False)
        for attempt in range(2):
            reused = self.writer is not None
            try:
                async with asyncio.timeout(timeout):
                    if self.writer is None:
                        split = urlsplit(self.base)
                        self.reader, self.writer = await asyncio.open_connection(
                            split.hostname, split.port
                        )
                    self.writer.write(payload)
                    answer = await _read_answer(self.reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                await self.close()
                if reused and attempt == 0:
                    continue  # closed by the server while idle: as a browser, open again
                return Answer(0)
            except TimeoutError:
                await self.close()
                return Answer(0)
            if (answer.header("connection") or "").lower() == "close":
                await self.close()
            return answer
        return Answer(0)


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [
        (k.strip().lower(), v.strip()) for k, _, v in (x.partition(":") for x in lines[1:] if x)
    ]
    named = dict(headers)
    if "content-length" in named:
        body = await reader.readexactly(int(named["content-length"]))
    elif named.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
    return Answer(status, headers, body)


class Record:
    """Latencies (s) and statuses per endpoint, counted inside the window only."""

    def __init__(self, start_at: float, stop_at: float):
        self.start_at, self.stop_at = start_at, stop_at
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)

    def add(self, endpoint: str, began: float, ended: float, status: int, ok=(200,)) -> None:
        if self.start_at <= began and ended <= self.stop_at:
            self.statuses[endpoint][status] += 1
            if status in ok:
                self.latencies[endpoint].append(ended - began)

    def as_dict(self) -> dict:
        return {
            "latencies": dict(self.latencies),
            "statuses": {k: dict(v) for k, v in self.statuses.items()},
        }


def _iso_seconds(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Phone:
    """One cadre's phone, signed in (its ``gc_field`` cookie)."""

    def __init__(self, plan: dict, cookie: str, home: tuple[float, float], run: dict, rec: Record):
        self.plan, self.cookie, self.home, self.run, self.rec = plan, cookie, home, run, rec
        self.cadre_id = 0
        self.waiting: str | None = None  # public id of the dispatch not yet on the phone
        self.arrived = asyncio.Event()
        self.task: dict | None = None
        self.seen_tasks: set[int] = set()
        self.seen_notes: set[int] = set()
        self.lags: dict[str, list[float]] = run["lags"]

    def until(self) -> float:
        """Phones stop at the window's end; one still waiting for its task keeps
        polling (a lag cut off at the window's end would flatter the figure)."""
        stop = self.plan["stop_at"]
        return stop + self.plan["tail"] if self.waiting else stop

    async def call(self, endpoint: str, method: str, path: str, body=None, key=None) -> Answer:
        headers = {"Cookie": f"gc_field={self.cookie}", "User-Agent": "gc-bench-phone"}
        data = b""
        if method == "POST":
            headers["X-GC-Field"] = "1"
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
            headers["Content-Type"] = "application/json"
            data = json.dumps(body or {}).encode()
        began = time.monotonic()
        answer = await fetch(self.plan["base"], method, path, headers=headers, body=data)
        self.rec.add(endpoint, began, time.monotonic(), answer.status)
        return answer

    async def me(self) -> None:
        lon, lat = self.home
        query = urlencode({"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"})
        answer = await self.call("me", "GET", f"/api/v1/field/me?{query}")
        if answer.status != 200:
            return
        now = time.time()
        work = json.loads(answer.body)
        window = (self.plan["start_wall"], self.plan["stop_wall"])
        for task in work["tasks"]:
            if task["dispatch_id"] in self.seen_tasks:
                continue
            self.seen_tasks.add(task["dispatch_id"])
            sent = _iso_seconds(task["sent_at"])
            if window[0] <= sent <= window[1]:
                self.lags["task"].append(now - sent)
            if task["public_id"] == self.waiting:
                self.task, self.waiting = task, None
                self.arrived.set()
        for note in work["notifications"]:
            if note["id"] in self.seen_notes or note["kind"] not in DISPATCH_KINDS:
                continue
            self.seen_notes.add(note["id"])
            made = _iso_seconds(note["created_at"])
            if window[0] <= made <= window[1]:
                self.lags["notification"].append(now - made)

    async def share_positions(self) -> None:
        """Every ``every`` s a batch of fixes taken since the last, then /me."""
        plan = self.plan
        every = plan["every"]
        at = plan["warm_at"] + random.uniform(0, every)
        while True:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= self.until():
                return
            now = dt.datetime.now(dt.UTC)
            lon, lat = self.home
            batch = [
                {
                    "lon": round(lon + random.uniform(-2e-5, 2e-5), 6),
                    "lat": round(lat + random.uniform(-2e-5, 2e-5), 6),
                    "at": (now - dt.timedelta(seconds=every * k / plan["batch"])).isoformat(),
                    "accuracy_m": 12,
                }
                for k in reversed(range(plan["batch"]))
            ]
            answer = await self.call(
                "positions", "POST", "/api/v1/field/me/positions", {"positions": batch}
            )
            if answer.status == 200 and plan["me_after_send"]:
                await asyncio.sleep(ME_AFTER_SEND_S)
                await self.me()
            at += every

    async def me_timer(self) -> None:
        """The page's own /me timer (REFRESH_MS), from a random phase."""
        every = self.plan["me_every"]
        if every <= 0:
            return
        at = self.plan["warm_at"] + random.uniform(0, every)
        while True:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= self.until():
                return
            await self.me()
            at += every

    async def act(self, action: str, body: dict) -> bool:
        """Send one task action, again with its key when no answer came."""
        key = str(uuid.uuid4())
        path = f"/api/v1/field/tasks/{self.task['dispatch_id']}/{action}"
        for attempt in range(ACTION_TRIES):
            answer = await self.call(action, "POST", path, body, key=key)
            if answer.status == 200:
                if self.plan["me_after_send"]:
                    await asyncio.sleep(ME_AFTER_SEND_S)
                    await self.me()
                return True
            if answer.status and answer.status < 500 and answer.status != 429:
                self.run["refused"][f"{action} {answer.status}"] += 1
                return False
            await asyncio.sleep(RETRY_AFTER_S * (attempt + 1))
        return False

    async def work(self, incidents: list[str]) -> None:
        """The desk sends this cadre one incident after another; the cadre does each."""
        plan = self.plan
        pace = plan["pace"]
        await asyncio.sleep(max(0.0, plan["warm_at"] + random.uniform(0, pace) - time.monotonic()))
        for public_id in incidents:
            if time.monotonic() >= plan["stop_at"]:
                return
            self.arrived.clear()
            self.waiting = public_id
            if not await self.desk_dispatch(public_id):
                self.waiting = None
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            try:
                await asyncio.wait_for(self.arrived.wait(), self.until() - time.monotonic())
            except TimeoutError:
                self.run["never_seen"] += 1
                self.waiting = None
                return
            self.run["cycles"] += 1
            lon, lat = self.task["lon"], self.task["lat"]
            steps = [
                ("accept", {}),
                ("arrive", {"lon": lon + 1e-5, "lat": lat, "accuracy_m": 8}),
                ("done", {"note": "已到现场处置完毕（压测）", "photo_ids": []}),
            ]
            for action, body in steps:
                await asyncio.sleep(pace * random.uniform(0.5, 1.5))
                if not await self.act(action, body):
                    break
            await asyncio.sleep(pace * random.uniform(0.05, 0.25))  # the desk's next decision

    async def desk_dispatch(self, public_id: str) -> bool:
        """The desk's integration sends this cadre to ``public_id`` (dispatch API)."""
        body = json.dumps(
            {"assignments": [{"incident": public_id, "cadre_id": self.cadre_id}]}
        ).encode()
        headers = {"X-API-Key": self.plan["dispatch_key"], "Content-Type": "application/json"}
        began = time.monotonic()
        answer = await fetch(
            self.plan["base"], "POST", "/api/v1/dispatch/confirm", headers=headers, body=body
        )
        self.rec.add("desk dispatch", began, time.monotonic(), answer.status)
        if answer.status != 200:
            self.run["refused"][f"dispatch {answer.status}"] += 1
        return answer.status == 200


def phones_process(plan: dict, phones: list[dict], queue) -> None:
    """One load process: its share of the phones, from ``warm_at`` on.

    ``phones``: dicts with cadre_id, cookie, lon, lat and, for a working
    phone, ``incidents`` (public ids the desk will send it, in turn). Puts a
    dict in ``queue``: the Record's latencies and statuses, the delivery lags
    (s), counts, and this process's CPU seconds inside the window.
    """
    rec = Record(plan["start_at"], plan["stop_at"])
    run = {"lags": defaultdict(list), "refused": Counter(), "cycles": 0, "never_seen": 0}

    async def main() -> float:
        jobs = []
        for p in phones:
            phone = Phone(plan, p["cookie"], (p["lon"], p["lat"]), run, rec)
            phone.cadre_id = p["cadre_id"]
            jobs += [phone.share_positions(), phone.me_timer()]
            if p.get("incidents"):
                jobs.append(phone.work(p["incidents"]))
        cpu = asyncio.create_task(cpu_in_window(plan["start_at"], plan["stop_at"]))
        await asyncio.gather(*jobs)
        return await cpu

    cpu_s = asyncio.run(main())
    queue.put(
        {
            **rec.as_dict(),
            "lags": dict(run["lags"]),
            "refused": dict(run["refused"]),
            "cycles": run["cycles"],
            "never_seen": run["never_seen"],
            "cpu_s": cpu_s,
        }
    )


async def cpu_in_window(start_at: float, stop_at: float) -> float:
    """This process's CPU seconds between ``start_at`` and ``stop_at`` (monotonic)."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    first = own_cpu()
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    return own_cpu() - first


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
