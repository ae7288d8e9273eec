"""`python app.py serve` and `seed`: the demo city on first run, then gunicorn."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from cli.simulate import ROOT, scenario_command
from domain.errors import GridCommandError
from settings import Settings


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


# Threads of a worker kept for the screens' updates and every other request,
# whatever waits on the change feed's long poll (GC_LIVE_WAITERS).
THREADS_KEPT = 6


def _fit_live_waiters(settings: Settings, threads: int) -> Settings:
    """GC_LIVE_WAITERS lowered, with a note, so that THREADS_KEPT threads stay free."""
    room = max(0, threads - THREADS_KEPT)
    if settings.live_waiters <= room:
        return settings
    print(
        f"grid-command: GC_LIVE_WAITERS {settings.live_waiters} lowered to {room} for "
        f"--threads {threads} ({THREADS_KEPT} threads stay for the other requests)",
        flush=True,
    )
    return replace(settings, live_waiters=room)


def serve(settings: Settings, workers: int, threads: int, simulate: str | None = None) -> None:
    """Seed on first run, then serve with gunicorn (one process per worker).

    With ``simulate`` ("flood" or "flood:SPEED"), the scenario starts in a
    child process once the server listens, so the screens move on their own.
    The notification worker (``python app.py notify``) runs beside it in a
    child process of its own, stopped with the server; so does the models'
    training (``python app.py model train``), every ``GC_MODEL_RETRAIN_HOURS``.
    """
    from gunicorn.app.base import BaseApplication

    from data.store import Store

    check_port_free(settings.host, settings.port)  # before minutes of seeding, not after
    settings = _fit_live_waiters(settings, threads)
    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    if store.is_empty() and not store.city_is_own():
        seed_city(store, scale=settings.demo_scale, seed=settings.demo_seed)
    first_password = store.ensure_first_admin(settings.admin_password or None)
    if first_password:
        print(
            f"first run: sign in as admin with password {first_password}  (shown only now; "
            "change it with `python app.py user password admin`)",
            flush=True,
        )
    scenario_cmd = scenario_command(store, settings, simulate) if simulate else None
    writer = _start_intake_writer(settings) if store.backend == "sqlite" else None
    store.close()
    notifier = _start_notifier()
    retrainer = _start_retrainer(settings)
    master = os.getpid()
    # The workers build each wall picture once between them (dashboard.view_share).
    views = tempfile.mkdtemp(prefix="gc-views-")  # 0700

    def when_ready(_arbiter):
        if scenario_cmd:
            subprocess.Popen(scenario_cmd, cwd=ROOT)

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", when_ready)
            self.cfg.set("post_worker_init", _answer_waits_when_told_to_stop)
            self.cfg.set(
                "on_exit", lambda _arbiter: _stop_children(writer, notifier, master, retrainer)
            )

        def load(self):
            from server import create_app, share_views

            app = create_app(settings)
            share_views(views)
            if writer is not None:
                app.server.extensions["gridcommand.store"].use_intake_writer(writer.path)
            _warm_review(app.server.extensions["gridcommand.store"])
            return app.server

    from server import warn_calendar

    warn_calendar(settings)  # once the start can no longer be refused
    print(
        f"Grid Command on http://{settings.host}:{settings.port}/ "
        f"({workers} workers, {store.backend}); Ctrl+C stops it",
        flush=True,
    )
    try:
        _Server().run()
    finally:
        _stop_children(writer, notifier, master, retrainer)
        if os.getpid() == master:
            shutil.rmtree(views, ignore_errors=True)


def _answer_waits_when_told_to_stop(worker) -> None:
    """gunicorn's post_worker_init: a worker told to stop (SIGTERM) answers the
    screens' long waits at once. gunicorn lets it finish the requests under
    way, and waits of up to 25 s each held the server's stop that long."""
    import signal

    from server import stop_waiting

    graceful = signal.getsignal(signal.SIGTERM)  # gunicorn's: stop once the requests end

    def stop(signum, frame):
        stop_waiting()
        if callable(graceful):
            graceful(signum, frame)

    signal.signal(signal.SIGTERM, stop)


def _start_notifier():
    """The notification worker in a child process (``cli.notify``)."""
    from cli.notify import NotifierProcess

    notifier = NotifierProcess()
    notifier.start()
    return notifier


def _start_retrainer(settings: Settings):
    """The models' training on a schedule (``cli.model``), in child processes;
    a server with no model trains one at start."""
    from cli.model import RetrainSchedule

    retrainer = RetrainSchedule(settings.model_retrain_hours)
    retrainer.start()
    return retrainer


def _stop_children(writer, notifier, master: int, retrainer=None) -> None:
    """Stop the writer, the notifier and the training, in the master only: a
    gunicorn worker is a fork of the master and leaves ``run()`` through this
    ``finally`` too, where it waited 15 s for children not its own and then
    killed the writer."""
    if os.getpid() != master:
        return
    if retrainer is not None:
        retrainer.stop()
    notifier.stop()
    if writer is not None:
        writer.stop()


def _start_intake_writer(settings: Settings):
    """The SQLite file's report writer process (``data.intake_writer``), or None
    if it did not start: then each worker writes its reports itself."""
    from data.intake_writer_process import WriterProcess

    writer = WriterProcess(settings.database_url)
    if writer.start():
        return writer
    print(
        "the intake writer did not start; each worker writes its own reports",
        file=sys.stderr,
        flush=True,
    )
    writer.stop()
    return None


def _warm_review(store) -> None:
    """Read every incident for the review in the background, so that the first
    /review of this worker does not wait for it (seconds at region scale)."""
    import threading

    from data.review_cache import incident_cache
    from services.review import units

    def warm():
        try:
            units(store)
            incident_cache(store).frame()
        except Exception as error:  # a warm-up must never stop a worker
            print(f"review warm-up failed: {error}", file=sys.stderr, flush=True)

    threading.Thread(target=warm, name="review-warm-up", daemon=True).start()
