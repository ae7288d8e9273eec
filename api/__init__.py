"""HTTP without Dash: GeoJSON feeds, health; later Open311 and the field API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register_api(server: Flask, store) -> None:
    """Mount every API blueprint on ``server``, serving from ``store``.

    The blueprints are imported here, not at the top: the command line
    imports ``cli.import_arguments`` and must not pay for the whole API.
    """
    from api import (
        changes,
        dispatch,
        events,
        field,
        field_app,
        geojson,
        health,
        incidents,
        media,
        open311,
        openapi,
        resident,
        review_export,
    )
    from api.errors import register_error_handlers

    server.extensions["gridcommand.store"] = store
    server.register_blueprint(geojson.blueprint)
    server.register_blueprint(health.blueprint)
    server.register_blueprint(open311.blueprint)
    server.register_blueprint(changes.blueprint)
    server.register_blueprint(dispatch.blueprint)
    server.register_blueprint(field.blueprint)
    server.register_blueprint(field_app.blueprint)
    server.register_blueprint(media.blueprint)
    server.register_blueprint(incidents.blueprint)
    server.register_blueprint(openapi.blueprint)
    server.register_blueprint(review_export.blueprint)
    server.register_blueprint(events.blueprint)
    server.register_blueprint(resident.blueprint)
    register_error_handlers(server)
