"""The phone pages: the cadre's field app at /field (plain Flask and static files, no Dash)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint(
    "fieldapp",
    __name__,
    static_folder="static",
    static_url_path="/field/static",
    template_folder="templates",
)


def register_fieldapp(server) -> None:
    """Mount the phone pages on ``server``."""
    from fieldapp import join, pages  # noqa: F401  (their routes join the blueprint before it is mounted)

    server.register_blueprint(blueprint)
