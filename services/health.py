"""What the health check reports: the database, its schema and what it holds."""

from __future__ import annotations

from data.schema import SCHEMA_VERSION


def health(store) -> dict:
    return {
        "status": "ok",
        "database": store.backend,
        "schema_version": SCHEMA_VERSION,
        "change_seq": store.latest_seq(),
        "counts": store.table_counts(),
    }
