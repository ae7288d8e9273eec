"""The command line of the field app's phones:

    python app.py field invite PHONE     a one-time sign-in link (and its QR code)
    python app.py field revoke PHONE     sign that cadre's phones out
    python app.py field sessions         the phones signed in

A cadre is matched by the mobile number of the roster. Bad input raises
``GridCommandError`` (one line on stderr from ``app.main``).
"""

from __future__ import annotations

import getpass
import sys

from cli.accounts import public_base_url
from settings import Settings


def field_command(settings: Settings, args) -> None:
    from data.store import Store

    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.action == "invite":
            from services.field_invites import invite, qr_terminal

            made = invite(store, args.phone, actor=actor, base_url=public_base_url(settings))
            print(made["url"])
            cadre = made["cadre"]
            print(
                f"for {cadre['name']} ({cadre['phone']}): opens once, on one phone, until "
                f"{made['expires_at']:%Y-%m-%d %H:%M} UTC",
                file=sys.stderr,
            )
            if not args.no_qr:
                print(qr_terminal(made["url"]), file=sys.stderr)
        elif args.action == "revoke":
            ended = store.revoke_field_sessions(args.phone, actor=actor)
            print(f"signed out {ended} phone(s) of {args.phone}; unused invites voided")
        else:
            _list(store)
    finally:
        store.close()


def _list(store) -> None:
    sessions = store.field_sessions()
    if sessions.empty:
        print("no phone has signed in")
        return
    for row in sessions.to_dict("records"):
        if row["revoked_at"] is not None and row["revoked_at"] == row["revoked_at"]:
            state = f"signed out {row['revoked_at']:%Y-%m-%d %H:%M} by {row['revoked_by']}"
        elif not row["on_roster"]:
            state = "ended: no longer on the roster"
        else:
            seen = row["last_seen_at"]
            state = (
                f"active, last used {seen:%Y-%m-%d %H:%M}" if seen == seen and seen else "active"
            )
        name = row["name"] if isinstance(row["name"], str) else "(left the roster)"
        print(
            f"{row['id']:>5}  {name}  {row['phone']}  since {row['created_at']:%Y-%m-%d}  {state}"
        )
