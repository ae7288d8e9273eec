"""The residents' phone pages: 我要报事 at /report (plain Flask and static files, no Dash)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint(
    "resident",
    __name__,
    static_folder="static",
    static_url_path="/report/static",
    template_folder="templates",
)


def register_resident(server) -> None:
    """Mount the residents' pages on ``server``."""
    from resident import pages  # noqa: F401  (its routes join the blueprint before it is mounted)

    server.register_blueprint(blueprint)
