"""Load for the intake benchmark: cheap HTTP clients, and CPU accounting from /proc.

The clients are asyncio coroutines writing ready-made HTTP/1.1 requests on
keep-alive connections and reading just the status line, headers and body, so
a load process spends a few tens of microseconds per request, not the
milliseconds ``requests`` would: on a 2-core machine the load generator must
leave the cores to the server.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from urllib.parse import urlencode, urlsplit

INTAKE = "/open311/v2/requests.json"
TICKS = os.sysconf("SC_CLK_TCK")


def _request(host: str, key: str, lon: float, lat: float, text: str) -> bytes:
    body = urlencode(
        {
            "api_key": key,
            "service_code": "garbage",
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
            "description": text,
        }
    ).encode()
    head = (
        f"POST {INTAKE} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: gc-bench\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep the connection) of one HTTP/1.1 answer; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if "content-length" not in headers:
        raise ConnectionError("an answer without Content-Length")  # not sent by gunicorn here
    await reader.readexactly(int(headers["content-length"]))
    return status, headers.get("connection", "").lower() != "close"


async def _client(base, key, points, number, start_at, stop_at, out) -> None:
    split = urlsplit(base)
    reader = writer = None
    sent = 0
    while time.monotonic() < stop_at:
        lon, lat = points[(number * 7919 + sent) % len(points)]
        payload = _request(split.netloc, key, lon, lat, f"压测：垃圾未清运 {number}-{sent}")
        sent += 1
        began = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(split.hostname, split.port)
            writer.write(payload)
            status, keep = await asyncio.wait_for(_read_answer(reader), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status, keep = 0, False  # 0: no answer (refused, reset, timeout)
        ended = time.monotonic()
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
        out["sent"] += 1
        out["acked_all"] += status == 200
        if start_at <= began and ended <= stop_at:  # inside the measured window
            out["statuses"][status] = out["statuses"].get(status, 0) + 1
            if status == 200:
                out["latencies"].append(ended - began)
        if status == 0:
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


def load_process(base, key, points, numbers, warm_at, start_at, stop_at, queue) -> None:
    """One load process: clients ``numbers`` post from ``warm_at`` until ``stop_at``.

    Answers count from ``start_at`` on (before it the server warms its caches).
    Puts a dict in ``queue``: latencies (s), statuses, sent, acked_all, cpu_s
    (this process's CPU seconds inside the window).
    """
    out = {"latencies": [], "statuses": {}, "sent": 0, "acked_all": 0}

    async def run() -> None:
        await asyncio.sleep(max(0.0, warm_at - time.monotonic()))
        tasks = [_client(base, key, points, n, start_at, stop_at, out) for n in numbers]
        cpu = asyncio.create_task(_cpu_in_window(start_at, stop_at))
        await asyncio.gather(*tasks)
        out["cpu_s"] = await cpu

    asyncio.run(run())
    queue.put(out)


async def _cpu_in_window(start_at: float, stop_at: float) -> float:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    first = _own_cpu()
    await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
    return _own_cpu() - first


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / TICKS


def processes(match) -> list[int]:
    """Pids of the processes whose (command line, environment) satisfy ``match``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    environ = f.read()
            except OSError:  # another user's process: no environment to read
                environ = b""
        except OSError:
            continue
        if match(cmdline, environ):
            found.append(int(name))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS
