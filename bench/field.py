"""The field app's API under load, with the wall live: latency per endpoint, and how
soon a dispatched task reaches the cadre's phone.

    .venv/bin/python bench/field.py                       # SQLite, 2,000 phones, 60 s
    .venv/bin/python bench/field.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/field.py --busy 2              # with 2 spinning processes
    .venv/bin/python bench/field.py --phones 500 --working 50 --duration 30 --json

Runs the real server (`python app.py serve`) on a fresh database holding the
demo county (a temporary SQLite file, or a new PostgreSQL schema dropped
afterwards), posts --incidents Open311 reports for the desk to send, and signs
--phones cadres' phones in as a cadre does (the desk's POST
/api/v1/field/invites with a dispatch key, then GET and POST
/field/join/<token> with the form's CSRF token; --sign-in store does it
through the store instead). Then, from the warm-up on and through the
measured window:

- every phone behaves as the field page does (bench/_field_load.py): every
  --every seconds a batch of --batch positions (POST /api/v1/field/me/positions,
  a new Idempotency-Key each), /api/v1/field/me 0.2 s after each answer,
  and its own /me timer every --me-every seconds (the page's 60 s);
- --working of them get work: the desk's integration sends each an incident
  (POST /api/v1/dispatch/confirm), and once the phone's /me shows it the
  cadre accepts, arrives on the spot and is done with a note, each after a
  pause of --pace s (x0.5 to x1.5), and the desk sends the next;
- --walls big screens (display-key sessions without a browser,
  bench/_field_setup.Wall) post the wall's refresh tick every --wall-every s,
  carrying their live state: every position moves the change feed, so each
  tick after one redraws what changed, as a real wall does.

Reports p50/p90/p99 per endpoint and the errors by status inside the window,
and the delivery lag: from the dispatch's commit (its sent_at, the
notification's created_at: the same clock) to the first /me answer on the
phone that holds the task, and the notification. A phone polls, so the lag
is mostly the wait for its next /me; a task sent in the window is followed
after the window's end until the phone has it (up to --tail s). Prints the
CPU used by the server (gunicorn, the intake writer and the notification
worker), by PostgreSQL, by the load processes and this one, and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench._common import emit_json, fresh_database, seed, sqlite_files, table
from bench._field_load import Record, cpu_in_window, phones_process
from bench._field_setup import Wall, report_incidents, sign_in_http, sign_in_store
from bench._load import TICKS, cpu_seconds, machine_busy, processes
from scripts.app_process import app_process

ENDPOINTS = ("positions", "me", "accept", "arrive", "done", "desk dispatch", "wall tick")
ACTIONS = ("accept", "arrive", "done")
SIGN_IN = ("invite", "join GET", "join POST")


def _server_pids(port: int) -> list[int]:
    """The server's processes: gunicorn's master and workers, the intake writer and
    the notification worker (all started by `app.py serve` with PORT=port)."""
    wanted = f"PORT={port}".encode()
    return processes(
        lambda cmd, env: (
            (b"app.py" in cmd or b"gunicorn" in cmd or b"intake_writer" in cmd)
            and wanted in env.split(b"\0")
        )
    )


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process on the machine (other
    databases' too), the postmaster's including its children gone (a backend
    of a pooled connection past the pool's size lives for one request)."""
    pids = processes(lambda cmd, _env: cmd.startswith(b"postgres") or b"bin/postgres" in cmd)
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if fields[1] == "1":  # the postmaster (its parent is init): + cutime, cstime
            ticks += int(fields[13]) + int(fields[14])
        out[pid] = ticks / TICKS
    return out


def percentiles(values: list[float], marks=(50, 90, 99, 100)) -> dict:
    """Percentiles of seconds, in ms (100: the max)."""
    if not values:
        return {}
    ms = np.asarray(values) * 1000
    return {("max" if q == 100 else f"p{q}"): round(float(np.percentile(ms, q)), 1) for q in marks}


@contextlib.contextmanager
def busy_cpu(count: int, seconds: float):
    """``count`` spinning processes, each ending by itself after ``seconds``."""
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    spinning = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        yield
    finally:
        for process in spinning:
            process.kill()
            process.wait()


@contextlib.contextmanager
def database(url: str | None):
    """A SQLite URL names a file used as it is (seeded if empty; the run writes
    into it); otherwise a fresh database (bench._common.fresh_database)."""
    if url and sqlite_files(url):
        yield url
    else:
        with fresh_database(url) as fresh:
            yield fresh


def prepare(args, url: str) -> dict:
    """Seed; keys; the phones (cadres with a mobile number) and who gets work."""
    from data.store import Store

    seed(url, "county")
    store = Store.open(url)
    try:
        keys = {
            "dispatch": store.create_api_key("bench desk", actor="bench", scopes="dispatch"),
            "open311": store.create_api_key("bench reports", actor="bench", scopes="open311"),
            "display": store.create_api_key("bench wall", actor="bench", scopes="display"),
        }
        cadres = store.cadres()
        grids = store.grids(geometry=False)
    finally:
        store.close()
    cadres = cadres[cadres["phone"].notna()].sort_values("id")
    points = [(float(x), float(y)) for x, y in grids[["lon", "lat"]].itertuples(index=False)]
    picked = cadres.head(args.phones)
    free = picked[picked["status"] == "available"]
    working = set(free["id"].head(args.working))
    phones = [
        {
            "cadre_id": int(c.id),
            "phone": str(c.phone),
            "lon": points[n % len(points)][0],
            "lat": points[n % len(points)][1],
            "works": int(c.id) in working,
        }
        for n, c in enumerate(picked.itertuples(index=False))
    ]
    return {"keys": keys, "phones": phones, "points": points}


def incidents_needed(args) -> int:
    """Enough for the quickest cadre: a cycle takes at least three half-paces and a second."""
    cycles = int((args.warmup + args.duration) / (1.5 * args.pace + 1)) + 2
    return cycles


def measure(args, base: str, url: str, ready: dict) -> dict:
    """Sign in, then run the phones and the walls; the figures."""
    phones = ready["phones"]
    working = [p for p in phones if p["works"]]
    per_phone = incidents_needed(args)
    started = time.monotonic()
    public_ids = report_incidents(
        base, ready["keys"]["open311"], ready["points"], per_phone * len(working)
    )
    for n, p in enumerate(working):
        p["incidents"] = public_ids[n * per_phone : (n + 1) * per_phone]
    reported_s = time.monotonic() - started
    print(f"  {len(public_ids):,} incidents reported in {reported_s:.1f} s", flush=True)

    started = time.monotonic()
    numbers = [p["phone"] for p in phones]
    if args.sign_in == "http":
        signed = sign_in_http(base, ready["keys"]["dispatch"], numbers, args.sign_in_clients)
    else:
        signed = sign_in_store(url, numbers)
    sign_in_s = time.monotonic() - started
    for p in phones:
        p["cookie"] = signed["cookies"][p["phone"]]
    print(f"  {len(phones):,} phones signed in ({args.sign_in}) in {sign_in_s:.1f} s", flush=True)

    walls = [Wall(base, ready["keys"]["display"]) for _ in range(args.walls)]
    warm_at = time.monotonic() + 2.0  # the load processes start meanwhile
    start_at = warm_at + args.warmup
    stop_at = start_at + args.duration
    offset = time.time() - time.monotonic()
    plan = {
        "base": base,
        "dispatch_key": ready["keys"]["dispatch"],
        "warm_at": warm_at,
        "start_at": start_at,
        "stop_at": stop_at,
        "start_wall": start_at + offset,
        "stop_wall": stop_at + offset,
        "tail": args.tail,
        "every": args.every,
        "batch": args.batch,
        "me_every": args.me_every,
        "me_after_send": not args.no_me_after_send,
        "pace": args.pace,
    }
    groups = [phones[i :: args.processes] for i in range(args.processes)]
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=phones_process, args=(plan, g, queue)) for g in groups if g]
    server = _server_pids(urlsplit(base).port)
    busy_s = args.warmup + args.duration + args.tail + 30
    with busy_cpu(args.busy, busy_s):
        for proc in procs:
            proc.start()
        wall_rec = Record(start_at, stop_at)

        async def walls_and_clock():
            async def clock():
                await asyncio.sleep(max(0.0, start_at - time.monotonic()))
                postgres = url.startswith("postgresql")
                first = cpu_seconds(server), _postgres_cpu() if postgres else {}, machine_busy()
                await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
                now = _postgres_cpu() if postgres else {}
                pg_s = sum(max(0.0, v - first[1].get(p, 0.0)) for p, v in now.items())
                return (first[0], 0.0, first[2]), (cpu_seconds(server), pg_s, machine_busy())

            jobs = [w.run(wall_rec, args.wall_every, warm_at, stop_at) for w in walls]
            own = asyncio.create_task(cpu_in_window(start_at, stop_at))
            marks = asyncio.create_task(clock())
            await asyncio.gather(*jobs)
            return await marks, await own

        (cpu0, cpu1), own_cpu = asyncio.run(walls_and_clock())
        parts = [queue.get(timeout=args.warmup + args.duration + args.tail + 300) for _ in procs]
        for proc in procs:
            proc.join()

    latencies: dict[str, list[float]] = {}
    statuses: dict[str, dict] = {}
    for part in [*parts, wall_rec.as_dict()]:
        for name, values in part["latencies"].items():
            latencies.setdefault(name, []).extend(values)
        for name, counts in part["statuses"].items():
            into = statuses.setdefault(name, {})
            for status, n in counts.items():
                into[status] = into.get(status, 0) + n
    requests_total = sum(sum(c.values()) for c in statuses.values())
    latencies["actions"] = [x for a in ACTIONS for x in latencies.get(a, [])]
    statuses["actions"] = {}
    for a in ACTIONS:
        for status, n in statuses.get(a, {}).items():
            statuses["actions"][status] = statuses["actions"].get(status, 0) + n
    endpoints = {}
    for name in (*ENDPOINTS[:2], "actions", *ENDPOINTS[2:]):
        counts = statuses.get(name, {})
        endpoints[name] = {
            "requests": sum(counts.values()),
            "per_s": round(sum(counts.values()) / args.duration, 1),
            **percentiles(latencies.get(name, [])),
            "errors": {str(s): n for s, n in sorted(counts.items()) if s not in (200, 204)},
        }
    lags = {"task": [], "notification": []}
    for part in parts:
        for kind, values in part["lags"].items():
            lags[kind].extend(values)
    busy, total = cpu1[2][0] - cpu0[2][0], cpu1[2][1] - cpu0[2][1]
    refused: dict[str, int] = {}
    for part in parts:
        for what, n in part["refused"].items():
            refused[what] = refused.get(what, 0) + n
    sign_in = signed["record"]
    return {
        "phones": len(phones),
        "working": len(working),
        "incidents": len(public_ids),
        "sign_in": args.sign_in,
        "sign_in_s": round(sign_in_s, 1),
        "sign_in_ms": {
            name: percentiles(sign_in["latencies"].get(name, []), (50, 99))
            for name in SIGN_IN
            if name in sign_in["latencies"]
        },
        "endpoints": endpoints,
        "lag_s": {
            kind: {
                "n": len(values),
                **{k: round(v / 1000, 2) for k, v in percentiles(values, (50, 95, 100)).items()},
            }
            for kind, values in lags.items()
        },
        "cycles": sum(p["cycles"] for p in parts),
        "never_seen": sum(p["never_seen"] for p in parts),
        "refused": refused,
        "server_cpu_ms_per_request": round(1000 * (cpu1[0] - cpu0[0]) / max(1, requests_total), 2),
        "wall_answer_bytes_median": int(np.median([b for w in walls for b in w.bytes] or [0])),
        "cpu_cores": {
            "server": round((cpu1[0] - cpu0[0]) / args.duration, 2),
            "postgres": round((cpu1[1] - cpu0[1]) / args.duration, 2),
            "load processes": round(sum(p["cpu_s"] for p in parts) / args.duration, 2),
            "walls and clock (this process)": round(own_cpu / args.duration, 2),
            "machine": round(busy / args.duration, 2),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        },
    }


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(args) -> dict:
    loads = [load_average()]
    with database(args.database_url) as url:
        ready = prepare(args, url)
        backend = url.split(":")[0].split("+")[0]
        env = {"DATABASE_URL": url, "GC_INTAKE_RATE": "1000000/minute"}
        if args.log:
            env["GC_TEST_LOG"] = args.log
        serve = ("serve", "--workers", str(args.workers), "--threads", str(args.threads))
        with app_process(env, args=serve, timeout=240) as base:
            figures = measure(args, base, url, ready)
            loads.append(load_average())
    return {
        "benchmark": "field",
        "backend": backend,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "every_s": args.every,
        "batch": args.batch,
        "me_every_s": args.me_every,
        "me_after_send": not args.no_me_after_send,
        "pace_s": args.pace,
        "walls": args.walls,
        "wall_every_s": args.wall_every,
        "busy": args.busy,
        "workers": args.workers,
        "threads": args.threads,
        "load_processes": args.processes,
        "load_average": {"start": loads[0], "end": loads[1]},
        **figures,
    }


def report(figures: dict) -> None:
    f = figures
    print(
        f"\nfield: {f['backend']}, {f['phones']:,} phones ({f['working']} working), "
        f"{f['duration_s']:g} s after {f['warmup_s']:g} s warm-up; positions every "
        f"{f['every_s']:g} s ({f['batch']} a batch), /me after each send "
        f"{'on' if f['me_after_send'] else 'off'} and every {f['me_every_s']:g} s; "
        f"{f['walls']} walls every {f['wall_every_s']:g} s; busy {f['busy']}; "
        f"server {f['workers']} workers x {f['threads']} threads\n"
    )
    rows = []
    for name, e in f["endpoints"].items():
        errors = ", ".join(f"{s}: {n}" for s, n in e["errors"].items()) or "-"
        row = [name, e["requests"], e["per_s"]]
        row += [e.get(k, "") for k in ("p50", "p90", "p99", "max")]
        rows.append([*row, errors])
    print(
        table(
            rows,
            ["endpoint", "requests", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
        )
    )
    print()
    lag_rows = [
        [
            f"dispatch committed → {kind} on the phone",
            v["n"],
            v.get("p50", ""),
            v.get("p95", ""),
            v.get("max", ""),
        ]
        for kind, v in f["lag_s"].items()
    ]
    print(table(lag_rows, ["delivery lag", "n", "p50 s", "p95 s", "max s"]))
    print()
    other = [[f"CPU cores, {k}", v] for k, v in f["cpu_cores"].items()]
    other += [
        ["tasks done or tried (cycles)", f["cycles"]],
        ["tasks never seen by the phone", f["never_seen"]],
        [
            "actions refused (action status: n)",
            ", ".join(f"{k}: {n}" for k, n in f["refused"].items()) or "-",
        ],
        [f"sign-in ({f['sign_in']}) of {f['phones']:,} phones, s", f["sign_in_s"]],
        *[
            [f"  {name}, p50 / p99 ms", f"{v.get('p50', '')} / {v.get('p99', '')}"]
            for name, v in f["sign_in_ms"].items()
        ],
        ["server CPU per request in the window, ms", f["server_cpu_ms_per_request"]],
        ["wall tick answer, median bytes", f["wall_answer_bytes_median"]],
        ["load average at the start / the end", " / ".join(f["load_average"].values())],
    ]
    print(table(other, ["figure", "value"]))
    load = f["cpu_cores"]["load processes"]
    if load > 0.8 * f["load_processes"]:
        print("the load generator saturates its cores: add --processes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL base URL (a fresh schema in it), or a SQLite file used as it is "
        "(seeded if empty; the run writes into it); default a temporary SQLite file",
    )
    parser.add_argument("--phones", type=int, default=2000, help="cadres' phones signed in")
    parser.add_argument("--working", type=int, default=200, help="of them, cadres given tasks")
    parser.add_argument("--duration", type=float, default=60, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=20, help="seconds of load not counted")
    parser.add_argument(
        "--tail",
        type=float,
        default=70,
        help="s a phone may still take to see a task sent in the window",
    )
    parser.add_argument(
        "--every", type=float, default=30, help="seconds between a phone's position batches"
    )
    parser.add_argument("--batch", type=int, default=3, help="positions per batch")
    parser.add_argument(
        "--me-every", type=float, default=60, help="the page's own /me timer, s (0: none)"
    )
    parser.add_argument("--no-me-after-send", action="store_true", help="no /me after each answer")
    parser.add_argument(
        "--pace", type=float, default=20, help="mean seconds before each task action"
    )
    parser.add_argument("--walls", type=int, default=3, help="big screens polling")
    parser.add_argument(
        "--wall-every", type=float, default=2.0, help="seconds between a wall's ticks"
    )
    parser.add_argument("--busy", type=int, default=0, help="spinning processes through the run")
    parser.add_argument("--sign-in", choices=("http", "store"), default="http")
    parser.add_argument("--sign-in-clients", type=int, default=8, help="phones signing in at once")
    parser.add_argument("--workers", type=int, default=3, help="server worker processes")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--processes", type=int, default=2, help="load-generating processes")
    parser.add_argument("--log", help="the server's output to this file")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    figures = run(args)
    report(figures)
    if args.json:
        emit_json(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
