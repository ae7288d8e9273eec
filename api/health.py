"""Liveness and readiness: is the database there, and what does it hold."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.health import health as health_of

blueprint = Blueprint("health", __name__)


@blueprint.get("/api/v1/health")
def health():
    return jsonify(health_of(current_app.extensions["gridcommand.store"]))
