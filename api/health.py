"""Liveness and readiness: is the database there, and what does it hold."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from data.schema import SCHEMA_VERSION

blueprint = Blueprint("health", __name__)


@blueprint.get("/api/v1/health")
def health():
    store = current_app.extensions["gridcommand.store"]
    return jsonify(
        status="ok",
        database=store.backend,
        schema_version=SCHEMA_VERSION,
        change_seq=store.latest_seq(),
        counts=store.table_counts(),
    )
