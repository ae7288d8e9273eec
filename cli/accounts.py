"""The command line of people and keys:

    python app.py apikey create NAME [--scopes S] [--town CODE] | scopes NAME --scopes S
                         | revoke NAME | list
    python app.py user add|password|disable|enable|list

Each command opens the store, prints for people and raises ``GridCommandError``
(one line on stderr from ``app.main``) for bad input; arguments are checked
before anyone is asked for a password.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys

from domain.errors import InvalidInput
from settings import Settings


def api_key_command(settings: Settings, args) -> None:
    """`python app.py apikey create|scopes|revoke|list`."""
    from data.store import Store

    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.action == "create":
            scopes = args.scopes or "open311"  # least privilege: only file and read reports
            key = store.create_api_key(args.name, actor=actor, scopes=scopes, town=args.town)
            print(key)
            print(
                f"the key for {args.name!r} is shown only now: hand it over safely", file=sys.stderr
            )
            if args.scopes is None:
                print(
                    "no --scopes given: this key may only file and read Open311 reports "
                    "(open311); name what a client needs, e.g. --scopes open311,field",
                    file=sys.stderr,
                )
            if "display" in scopes.split(","):
                print(wall_url_hint(settings, key), file=sys.stderr)
        elif args.action == "scopes":
            count = store.set_api_key_scopes(args.name, args.scopes, actor=actor)
            print(f"{count} key(s) of {args.name!r} now have the scopes {args.scopes}")
        elif args.action == "revoke":
            print(f"revoked {store.revoke_api_keys(args.name, actor=actor)} key(s)")
        else:
            list_api_keys(store)
    finally:
        store.close()


def list_api_keys(store) -> None:
    """Print the keys issued, flagging live ones with the old implicit scopes."""
    flagged = []
    for row in store.api_keys().itertuples():
        state = "revoked" if row.revoked_at is not None else "live"
        town = f" town {row.town_code}" if row.town_code else ""
        warning = "  ! old default scopes: narrow them" if row.old_default else ""
        print(
            f"{row.prefix}…  {row.name}  {row.scopes}{town}  {row.created_at:%Y-%m-%d}  "
            f"{state}{warning}"
        )
        if row.old_default:
            flagged.append(row.name)
    if flagged:
        print(
            f"warning: {len(flagged)} live key(s) have open311,field,dispatch, the scopes keys "
            "made without --scopes used to get (anyone holding one may move incidents and see "
            "cadres): give each only what its client needs, e.g. python app.py apikey scopes "
            f"{flagged[0]} --scopes open311",
            file=sys.stderr,
        )


def wall_url_hint(settings: Settings, key: str) -> str:
    """Where a wall opens with display ``key``: the server's address from HOST
    and PORT, or, when it listens on every address, how to pick one."""
    host = settings.host.strip().strip("[]")
    if host in ("", "0.0.0.0", "::"):
        guess = _outward_address()
        example = f", e.g. http://{guess}:{settings.port}/?key={key}" if guess else ""
        return (
            f"a wall opens http://ADDRESS:{settings.port}/?key={key} with ADDRESS this "
            f"server's address on the wall's network (HOST={host or '(empty)'} listens on "
            f"every address{example})"
        )
    shown = f"[{host}]" if ":" in host else host
    return f"a wall opens http://{shown}:{settings.port}/?key={key}  (HOST and PORT)"


def public_base_url(settings: Settings) -> str:
    """Where phones reach this server: GC_PUBLIC_URL, else http://ADDRESS:PORT with
    HOST or, when it listens on every address, this machine's outward address."""
    if settings.public_url:
        return settings.public_url
    host = settings.host.strip().strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = _outward_address() or "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


def _outward_address() -> str | None:
    """This machine's address on its main network (no packet is sent), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def user_command(settings: Settings, args) -> None:
    """`python app.py user add|password|disable|enable|list`.

    Passwords are read from GC_NEW_PASSWORD or asked for without echo;
    ``--random`` makes one and prints it once.
    """
    from data.store import Store
    from domain.passwords import random_password

    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    actor = f"cli:{getpass.getuser()}"

    def new_password() -> str:
        if getattr(args, "random", False):
            chosen = random_password()
            print(f"password of {args.username}: {chosen}  (shown only now)")
            return chosen
        return os.environ.get("GC_NEW_PASSWORD") or ask_password(f"{args.username}'s password: ")

    try:
        if args.action == "add":
            store.check_new_user(args.username, args.role, args.town)  # before asking
            store.create_user(
                args.username,
                new_password(),
                args.role,
                actor=actor,
                display_name=args.name,
                town=args.town,
            )
            print(f"user {args.username} ({args.role}) added")
        elif args.action == "password":
            store.check_user(args.username)
            store.set_password(args.username, new_password(), actor=actor)
            print(f"password of {args.username} changed; their sessions are ended")
        elif args.action in ("disable", "enable"):
            store.set_disabled(args.username, args.action == "disable", actor=actor)
            print(f"user {args.username} {args.action}d")
        else:
            for row in store.users().itertuples():
                town = f" town {row.town_code}" if row.town_code else ""
                state = "" if row.active else "  disabled"
                print(f"{row.username}  {row.display_name}  {row.role}{town}{state}")
    finally:
        store.close()


def ask_password(prompt: str) -> str:
    """A password typed at the terminal, without echo; InvalidInput when there
    is no terminal to ask at (getpass would echo it, or end in EOFError)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt)
        except (EOFError, getpass.GetPassWarning):
            raise InvalidInput(
                "no terminal to ask for the password at: set GC_NEW_PASSWORD, "
                "or use --random to have one made"
            ) from None
