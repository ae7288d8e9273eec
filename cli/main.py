"""`python app.py …`: the command line, one parser per command and one handler each."""

from __future__ import annotations

import argparse
import sys

from cli.import_arguments import add_data_commands
from domain.errors import GridCommandError, InvalidInput
from settings import SETTINGS, Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        overrides = {}
        if getattr(args, "host", None):
            overrides["host"] = args.host
        if getattr(args, "port", None):
            overrides["port"] = args.port
        settings = Settings.from_env(**overrides)
        return HANDLERS[args.command or "serve"](settings, args) or 0
    except (GridCommandError, SettingsError) as exc:
        print(f"grid-command: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Grid Command dashboard",
        epilog="Settings come from the environment: " + ", ".join(s.env for s in SETTINGS),
    )
    commands = parser.add_subparsers(dest="command")
    _add_serve(commands)
    _add_simulate(commands)
    _add_seed(commands)
    commands.add_parser("migrate", help="upgrade the database schema")
    notify = commands.add_parser(
        "notify", help="deliver notifications (serve starts this; run more for more hosts)"
    )
    notify.add_argument("--once", action="store_true", help="one round and the scans, then exit")
    notify.add_argument("--stopped-mark", help=argparse.SUPPRESS)  # serve's: see cli.notify
    commands.add_parser(
        "calendar",
        help="list a year's days off and make-up working days, and where each comes from",
    ).add_argument("year", type=int)
    add_data_commands(commands)
    _add_apikey(commands)
    _add_user(commands)
    _add_field(commands)
    _add_model(commands)
    return parser


def _add_serve(commands) -> None:
    serve = commands.add_parser("serve", help="serve the dashboard (default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=3)
    serve.add_argument("--threads", type=int, default=16)
    serve.add_argument(
        "--simulate",
        metavar="flood[:SPEED]",
        help="also run the flood scenario in the background (SPEED simulated s per s, 60)",
    )


def _add_simulate(commands) -> None:
    sim = commands.add_parser("simulate", help="replay a scenario through the public APIs")
    sim.add_argument("scenario", choices=("flood",))
    sim.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (60: an hour a minute)",
    )
    sim.add_argument("--hours", type=float, default=96.0, help="simulated hours at most")
    sim.add_argument("--fields", type=int, default=10, help="potato fields asking for hands")
    sim.add_argument("--water", type=int, default=40, help="waterlogging reports")
    sim.add_argument("--seed", type=int, default=2024)
    sim.add_argument(
        "--event",
        type=int,
        metavar="ID",
        help="run inside this declared event, which the commander ends "
        "(default: declare one and end it at the end)",
    )
    sim.add_argument("--url", help="the server (default http://HOST:PORT)")
    sim.add_argument("--api-key", help="an Open311/field key (default: a new one)")


def _add_seed(commands) -> None:
    seed = commands.add_parser("seed", help="make the demo city")
    seed.add_argument("--scale", choices=("county", "region"))
    seed.add_argument("--seed", type=int)
    seed.add_argument(
        "--replace", action="store_true", help="delete the city in the database first"
    )


def _add_apikey(commands) -> None:
    key = commands.add_parser("apikey", help="issue or revoke Open311 / field-app API keys")
    actions = key.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="print a new key for a client")
    create.add_argument("name")
    create.add_argument(
        "--scopes",
        help="what the key may do: a comma list of open311, field, display, dispatch, events "
        "(default open311: file and read reports only)",
    )
    create.add_argument("--town", help="bind a display key to one town (its code)")
    scopes = actions.add_parser("scopes", help="change what a client's live keys may do")
    scopes.add_argument("name", help="client name or key prefix")
    scopes.add_argument("--scopes", required=True, help="the new comma list, e.g. open311")
    actions.add_parser("revoke", help="revoke a client's keys").add_argument(
        "name", help="client name or key prefix"
    )
    actions.add_parser("list", help="list the keys issued (never the keys themselves)")


def _add_user(commands) -> None:
    user = commands.add_parser("user", help="add people who sign in, and their roles")
    actions = user.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, help="operator, commander, town_leader, city_leader or admin"
    )
    add.add_argument("--town", help="the town code of a town leader")
    add.add_argument("--name", help="the name shown (default: the user name)")
    add.add_argument("--random", action="store_true", help="make a password and print it")
    password = actions.add_parser("password", help="set a new password (ends sessions)")
    password.add_argument("username")
    password.add_argument("--random", action="store_true", help="make a password and print it")
    for name in ("disable", "enable"):
        actions.add_parser(name, help=f"{name} a user").add_argument("username")
    actions.add_parser("list", help="list the users (never their passwords)")


def _add_field(commands) -> None:
    field = commands.add_parser("field", help="sign cadres' phones in to the field app")
    actions = field.add_subparsers(dest="action", required=True)
    invite = actions.add_parser("invite", help="print a one-time sign-in link for a cadre")
    invite.add_argument("phone", help="the cadre's mobile number, as on the roster")
    invite.add_argument("--no-qr", action="store_true", help="do not draw the QR code")
    actions.add_parser("revoke", help="sign a cadre's phones out").add_argument(
        "phone", help="the cadre's mobile number"
    )
    actions.add_parser("sessions", help="list the phones signed in")


def _add_model(commands) -> None:
    model = commands.add_parser("model", help="train the models learnt from the history")
    actions = model.add_subparsers(dest="action", required=True)
    train = actions.add_parser(
        "train", help="train the breach-risk model now; print its backtest against the baseline"
    )
    train.add_argument(
        "--if-older",
        type=float,
        metavar="HOURS",
        help="train only if the newest model is older than this (serve's schedule)",
    )
    train.add_argument(
        "--background", action="store_true", help="run at a low CPU priority (serve's schedule)"
    )


# Each handler takes (settings, args) and returns an exit status (None: 0). The
# modules behind them are imported when used: `--help` must not load the server.


def _serve(settings: Settings, args) -> None:
    from cli.serve import serve

    serve(
        settings,
        getattr(args, "workers", 3),
        getattr(args, "threads", 16),
        getattr(args, "simulate", None),
    )


def _simulate(settings: Settings, args) -> None:
    from cli.simulate import simulate

    if args.speed <= 0 or args.hours <= 0 or args.fields < 1 or args.water < 0:
        raise InvalidInput("--speed, --hours and --fields must be positive")
    simulate(settings, args)


def _seed(settings: Settings, args) -> None:
    from cli.serve import seed_city
    from data.store import Store

    seed_city(
        Store.open(settings.database_url, sla_policy=settings.sla_policy),
        scale=args.scale or settings.demo_scale,
        seed=settings.demo_seed if args.seed is None else args.seed,
        replace=args.replace,
    )


def _apikey(settings: Settings, args) -> None:
    from cli.accounts import api_key_command

    api_key_command(settings, args)


def _user(settings: Settings, args) -> None:
    from cli.accounts import user_command

    user_command(settings, args)


def _field(settings: Settings, args) -> None:
    from cli.field import field_command

    field_command(settings, args)


def _model(settings: Settings, args) -> int:
    from cli.model import model_command

    return model_command(settings, args)


def _notify(settings: Settings, args) -> None:
    from cli.notify import notify_command

    notify_command(settings, args)


def _data(settings: Settings, args) -> int:
    from cli.imports import data_command

    return data_command(settings, args)


def _calendar(settings: Settings, args) -> None:
    from domain.calendar_days import describe_year

    print("\n".join(describe_year(settings.calendar, args.year)))


def _migrate(settings: Settings, args) -> None:
    from data.engine import make_engine
    from data.migrations import migrate

    reached = migrate(make_engine(settings.database_url))
    print(f"schema at version {reached[-1]}" if reached else "schema already current")


HANDLERS = {
    "serve": _serve,
    "simulate": _simulate,
    "seed": _seed,
    "apikey": _apikey,
    "user": _user,
    "field": _field,
    "import": _data,
    "export": _data,
    "imports": _data,
    "clear-city": _data,
    "calendar": _calendar,
    "migrate": _migrate,
    "notify": _notify,
    "model": _model,
}
