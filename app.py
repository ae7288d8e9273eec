"""Grid Command: the entry point (the command line itself is in cli/).

    python app.py [serve]      set up the database on first run and serve the dashboard
    python app.py seed         make the demo city (--scale region for benchmarks)
    python app.py migrate      bring an older database up to this code's schema
    python app.py apikey create NAME --scopes S | scopes NAME --scopes S | revoke NAME | list
    python app.py import KIND FILE [--dry-run]   bring a city's own boundaries and rosters
    python app.py export KIND FILE               and write them back out
    python app.py calendar YEAR                  days off and make-up working days, and why

For a production server: gunicorn -w 4 -k gthread --threads 16 'app:create_server()'
(with fewer threads, set GC_LIVE_WAITERS to at most --threads minus 6).
"""

from __future__ import annotations

import sys

from cli.main import main


def create_app(settings=None):
    """The Dash app (``server.create_app``), imported when asked for: the
    command line's ``--help`` must not load the server."""
    from server import create_app as build

    return build(settings)


def create_server():
    """The Flask server for WSGI servers: ``gunicorn 'app:create_server()'``."""
    from server import create_server as build

    return build()


if __name__ == "__main__":
    sys.exit(main())
