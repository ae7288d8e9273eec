"""The OpenAPI document: valid, and listing every JSON route the server has."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from api.openapi import document
from app import create_app
from settings import Settings


def test_document_is_valid_openapi():
    validate(document("http://127.0.0.1:8050/"))


def test_every_json_route_is_documented(sqlite_url):
    app = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    documented = set(document()["paths"])
    missing = []
    for rule in app.server.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if "_rest" in path or not path.startswith(("/api/", "/open311/")):
            continue
        path = path.replace("{fmt}", "json").replace("{code}", "{service_code}")
        path = path.replace("{public_id}", "{service_request_id}")
        if path not in documented:
            missing.append(path)
    app.server.extensions["gridcommand.store"].close()
    assert missing == []
