"""`python app.py simulate flood`: a scenario replayed through the public APIs."""

from __future__ import annotations

import sys
from pathlib import Path

from domain.errors import GridCommandError
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent  # where app.py is

# The simulator files reports, dispatches (which invites the cadres' phones:
# they act with their own sessions, not this key) and runs the event.
SIMULATOR_SCOPES = ("open311", "dispatch", "events")


def scenario_command(store, settings: Settings, simulate: str) -> list[str]:
    """The command line of the scenario child of ``serve --simulate NAME[:SPEED]``."""
    name, _, speed = simulate.partition(":")
    if name != "flood":
        raise GridCommandError(f"--simulate knows the scenario flood, not {name!r}")
    try:
        speed_value = float(speed or 60)
    except ValueError:
        raise GridCommandError(f"--simulate flood:SPEED needs a number, not {speed!r}") from None
    key = store.create_api_key("演练模拟器", actor="serve --simulate", scopes=SIMULATOR_SCOPES)
    return [
        sys.executable,
        str(ROOT / "app.py"),
        "simulate",
        name,
        "--speed",
        str(speed_value),
        "--url",
        f"http://{settings.host}:{settings.port}",
        "--api-key",
        key,
    ]


def simulate(settings: Settings, args) -> None:
    """Run a scenario against a running server through its public APIs."""
    from scenario.client import GridCommandClient
    from scenario.flood import FloodRun

    key = args.api_key
    if not key:
        from data.store import Store

        store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
        key = store.create_api_key("演练模拟器", actor="simulate", scopes=SIMULATOR_SCOPES)
        store.close()
    base = args.url or f"http://{settings.host}:{settings.port}"
    client = GridCommandClient(base, key)
    try:
        client.towns()
    except OSError:
        raise GridCommandError(
            f"no Grid Command server answers at {base}: start it first "
            "(python app.py serve), or pass --url"
        ) from None
    run = FloodRun(
        client,
        speed=args.speed,
        hours=args.hours,
        fields=args.fields,
        water=args.water,
        seed=args.seed,
        event_id=args.event,
        say=lambda line: print(line, flush=True),
    )
    run.run()
