"""Grid Command: entry point and command line.

    python app.py [serve]      set up the database on first run and serve the dashboard
    python app.py seed         make the demo city (--scale region for benchmarks)
    python app.py migrate      bring an older database up to this code's schema
    python app.py apikey create NAME --scopes S | scopes NAME --scopes S | revoke NAME | list
    python app.py import KIND FILE [--dry-run]   bring a city's own boundaries and rosters
    python app.py export KIND FILE               and write them back out
    python app.py calendar YEAR                  days off and make-up working days, and why

For a production server: gunicorn -w 4 -k gthread --threads 8 'app:create_server()'.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import socket
import subprocess
import sys
import time
from pathlib import Path

from api.import_arguments import add_data_commands
from domain.errors import GridCommandError
from settings import SETTINGS, Settings


def create_app(settings: Settings | None = None):
    """Settings in, the Dash app out (the store opened, the schema checked)."""
    from dashboard.app_factory import create_dash
    from data.store import Store

    settings = settings or Settings.from_env()
    return create_dash(settings, Store.open(settings.database_url))


def create_server():
    """The Flask server for WSGI servers such as gunicorn."""
    settings = Settings.from_env()
    server = create_app(settings).server
    warn_calendar(settings)
    return server


def warn_calendar(settings: Settings) -> None:
    """Say on stderr when this year or the next has no State Council holiday notice yet."""
    from domain.calendar_days import notice_line

    for year in settings.calendar.missing_notices():
        print(f"grid-command: {notice_line(year)}", file=sys.stderr, flush=True)


def seed_city(store, *, scale: str, seed: int, replace: bool = False, out=sys.stdout) -> dict:
    """Generate the demo city and load it in one transaction; prints a summary."""
    from data.demo_city import generate_city

    started = time.perf_counter()
    print(f"making the demo city ({scale}, seed {seed})…", file=out, flush=True)
    frames = generate_city(seed=seed, scale=scale)
    generated = time.perf_counter()
    counts = store.load_city(frames, replace=replace)
    done = time.perf_counter()
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    print(
        f"seeded in {done - started:.1f} s (generate {generated - started:.1f} s, "
        f"store {done - generated:.1f} s): {summary}",
        file=out,
        flush=True,
    )
    return counts


def check_port_free(host: str, port: int) -> None:
    """Raise GridCommandError with a plain message when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise GridCommandError(
                    f"port {port} on {host} is already in use: stop the other server "
                    f"or choose another port, e.g. PORT={port + 1} make run"
                ) from None
            raise GridCommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(settings: Settings, workers: int, threads: int, simulate: str | None = None) -> None:
    """Seed on first run, then serve with gunicorn (one process per worker).

    With ``simulate`` ("flood" or "flood:SPEED"), the scenario starts in a
    child process once the server listens, so the screens move on their own.
    """
    from gunicorn.app.base import BaseApplication

    from data.store import Store

    check_port_free(settings.host, settings.port)  # before minutes of seeding, not after
    store = Store.open(settings.database_url)
    if store.is_empty() and not store.city_is_own():
        seed_city(store, scale=settings.demo_scale, seed=settings.demo_seed)
    first_password = store.ensure_first_admin(settings.admin_password or None)
    if first_password:
        print(f"first run: sign in as admin with password {first_password}  (shown only now; "
              "change it with `python app.py user password admin`)", flush=True)  # fmt: skip
    scenario_cmd = _scenario_command(store, settings, simulate) if simulate else None
    writer = _start_intake_writer(settings) if store.backend == "sqlite" else None
    store.close()

    def when_ready(_arbiter):
        if scenario_cmd:
            subprocess.Popen(scenario_cmd, cwd=Path(__file__).resolve().parent)

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", when_ready)
            if writer is not None:
                self.cfg.set("on_exit", lambda _arbiter: writer.stop())

        def load(self):
            app = create_app(settings)
            if writer is not None:
                app.server.extensions["gridcommand.store"].use_intake_writer(writer.path)
            _warm_review(app.server.extensions["gridcommand.store"])
            return app.server

    warn_calendar(settings)  # once the start can no longer be refused
    print(
        f"Grid Command on http://{settings.host}:{settings.port}/ "
        f"({workers} workers, {store.backend}); Ctrl+C stops it",
        flush=True,
    )
    try:
        _Server().run()
    finally:
        if writer is not None:
            writer.stop()


def _start_intake_writer(settings: Settings):
    """The SQLite file's report writer process (``data.intake_writer``), or None
    if it did not start: then each worker writes its reports itself."""
    from data.intake_writer_process import WriterProcess

    writer = WriterProcess(settings.database_url)
    if writer.start():
        return writer
    print("the intake writer did not start; each worker writes its own reports",
          file=sys.stderr, flush=True)  # fmt: skip
    writer.stop()
    return None


def _warm_review(store) -> None:
    """Read every incident for the review in the background, so that the first
    /review of this worker does not wait for it (seconds at region scale)."""
    import threading

    from api.review_service import units
    from data.review_cache import incident_cache

    def warm():
        try:
            units(store)
            incident_cache(store).frame()
        except Exception as error:  # a warm-up must never stop a worker
            print(f"review warm-up failed: {error}", file=sys.stderr, flush=True)

    threading.Thread(target=warm, name="review-warm-up", daemon=True).start()


# The simulator files reports, dispatches, plays the field app and runs the event.
SIMULATOR_SCOPES = ("open311", "field", "dispatch", "events")


def _scenario_command(store, settings: Settings, simulate: str) -> list[str]:
    """The command line of the scenario child of ``serve --simulate NAME[:SPEED]``."""
    name, _, speed = simulate.partition(":")
    if name != "flood":
        raise GridCommandError(f"--simulate knows the scenario flood, not {name!r}")
    try:
        speed_value = float(speed or 60)
    except ValueError:
        raise GridCommandError(f"--simulate flood:SPEED needs a number, not {speed!r}") from None
    key = store.create_api_key("演练模拟器", actor="serve --simulate", scopes=SIMULATOR_SCOPES)
    return [sys.executable, str(Path(__file__).resolve()), "simulate", name,
            "--speed", str(speed_value), "--url", f"http://{settings.host}:{settings.port}",
            "--api-key", key]  # fmt: skip


def simulate(settings: Settings, args) -> None:
    """Run a scenario against a running server through its public APIs."""
    from scenario.client import GridCommandClient
    from scenario.flood import FloodRun

    key = args.api_key
    if not key:
        from data.store import Store

        store = Store.open(settings.database_url)
        key = store.create_api_key("演练模拟器", actor="simulate", scopes=SIMULATOR_SCOPES)
        store.close()
    base = args.url or f"http://{settings.host}:{settings.port}"
    client = GridCommandClient(base, key)
    try:
        client.towns()
    except OSError:
        raise GridCommandError(f"no Grid Command server answers at {base}: start it first "
                               "(python app.py serve), or pass --url") from None  # fmt: skip
    run = FloodRun(client, speed=args.speed, hours=args.hours, fields=args.fields,
                   water=args.water, seed=args.seed, event_id=args.event,
                   say=lambda line: print(line, flush=True))  # fmt: skip
    run.run()


def data_command(settings: Settings, args) -> int:
    """`python app.py import|export|imports|clear-city`: a city's own data (issue 9)."""
    from api import import_commands
    from data.store import Store

    actor = f"cli:{getpass.getuser()}"
    store = Store.open(settings.database_url)
    try:
        if args.command == "import":
            args.map = args.map or []
            return import_commands.run_import(store, args, actor)
        if args.command == "export":
            return import_commands.run_export(store, args)
        if args.command == "imports":
            return import_commands.run_imports(store, args, actor)
        return import_commands.run_clear_city(store, args, actor)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Grid Command dashboard",
        epilog="Settings come from the environment: " + ", ".join(s.env for s in SETTINGS),
    )
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="serve the dashboard (default)")
    serve_cmd.add_argument("--host")
    serve_cmd.add_argument("--port", type=int)
    serve_cmd.add_argument("--workers", type=int, default=3)
    serve_cmd.add_argument("--threads", type=int, default=16)
    serve_cmd.add_argument(
        "--simulate", metavar="flood[:SPEED]",
        help="also run the flood scenario in the background (SPEED simulated s per s, 60)",
    )  # fmt: skip
    sim_cmd = commands.add_parser("simulate", help="replay a scenario through the public APIs")
    sim_cmd.add_argument("scenario", choices=("flood",))
    sim_cmd.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (60: an hour a minute)",
    )
    sim_cmd.add_argument("--hours", type=float, default=96.0, help="simulated hours at most")
    sim_cmd.add_argument("--fields", type=int, default=10, help="potato fields asking for hands")
    sim_cmd.add_argument("--water", type=int, default=40, help="waterlogging reports")
    sim_cmd.add_argument("--seed", type=int, default=2024)
    sim_cmd.add_argument("--event", type=int, metavar="ID",
                         help="run inside this declared event, which the commander ends "
                              "(default: declare one and end it at the end)")  # fmt: skip
    sim_cmd.add_argument("--url", help="the server (default http://HOST:PORT)")
    sim_cmd.add_argument("--api-key", help="an Open311/field key (default: a new one)")
    seed_cmd = commands.add_parser("seed", help="make the demo city")
    seed_cmd.add_argument("--scale", choices=("county", "region"))
    seed_cmd.add_argument("--seed", type=int)
    seed_cmd.add_argument(
        "--replace", action="store_true", help="delete the city in the database first"
    )
    commands.add_parser("migrate", help="upgrade the database schema")
    commands.add_parser("calendar", help="list a year's days off and make-up working days, "
                        "and where each comes from").add_argument("year", type=int)  # fmt: skip
    add_data_commands(commands)
    key_cmd = commands.add_parser("apikey", help="issue or revoke Open311 / field-app API keys")
    key_actions = key_cmd.add_subparsers(dest="action", required=True)
    key_create = key_actions.add_parser("create", help="print a new key for a client")
    key_create.add_argument("name")
    key_create.add_argument(
        "--scopes",
        help="what the key may do: a comma list of open311, field, display, dispatch, events "
        "(default open311: file and read reports only)",
    )  # fmt: skip
    key_create.add_argument("--town", help="bind a display key to one town (its code)")
    key_scopes = key_actions.add_parser("scopes", help="change what a client's live keys may do")
    key_scopes.add_argument("name", help="client name or key prefix")
    key_scopes.add_argument("--scopes", required=True, help="the new comma list, e.g. open311")
    key_actions.add_parser("revoke", help="revoke a client's keys").add_argument(
        "name", help="client name or key prefix"
    )
    key_actions.add_parser("list", help="list the keys issued (never the keys themselves)")
    user_cmd = commands.add_parser("user", help="add people who sign in, and their roles")
    user_actions = user_cmd.add_subparsers(dest="action", required=True)
    user_add = user_actions.add_parser("add", help="add a user")
    user_add.add_argument("username")
    user_add.add_argument("--role", required=True,
                          help="operator, commander, town_leader, city_leader or admin")  # fmt: skip
    user_add.add_argument("--town", help="the town code of a town leader")
    user_add.add_argument("--name", help="the name shown (default: the user name)")
    user_add.add_argument("--random", action="store_true", help="make a password and print it")
    user_pw = user_actions.add_parser("password", help="set a new password (ends sessions)")
    user_pw.add_argument("username")
    user_pw.add_argument("--random", action="store_true", help="make a password and print it")
    for name in ("disable", "enable"):
        user_actions.add_parser(name, help=f"{name} a user").add_argument("username")
    user_actions.add_parser("list", help="list the users (never their passwords)")
    args = parser.parse_args(argv)

    try:
        overrides = {}
        if getattr(args, "host", None):
            overrides["host"] = args.host
        if getattr(args, "port", None):
            overrides["port"] = args.port
        settings = Settings.from_env(**overrides)
        if args.command in (None, "serve"):
            serve(settings, getattr(args, "workers", 3), getattr(args, "threads", 16),
                  getattr(args, "simulate", None))  # fmt: skip
        elif args.command == "simulate":
            if args.speed <= 0 or args.hours <= 0 or args.fields < 1 or args.water < 0:
                raise ValueError("--speed, --hours and --fields must be positive")
            simulate(settings, args)
        elif args.command == "seed":
            from data.store import Store

            store = Store.open(settings.database_url)
            seed_city(
                store,
                scale=args.scale or settings.demo_scale,
                seed=settings.demo_seed if args.seed is None else args.seed,
                replace=args.replace,
            )
        elif args.command == "apikey":
            from api.account_commands import api_key_command

            api_key_command(settings, args)
        elif args.command == "user":
            from api.account_commands import user_command

            user_command(settings, args)
        elif args.command in ("import", "export", "imports", "clear-city"):
            return data_command(settings, args)
        elif args.command == "calendar":
            from domain.calendar_days import describe_year

            print("\n".join(describe_year(settings.calendar, args.year)))
        elif args.command == "migrate":
            from data.engine import make_engine
            from data.migrations import migrate

            reached = migrate(make_engine(settings.database_url))
            print(f"schema at version {reached[-1]}" if reached else "schema already current")
    except (GridCommandError, ValueError) as exc:
        print(f"grid-command: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
