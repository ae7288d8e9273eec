"""The OpenAPI document: valid OpenAPI 3.1, with no OpenAPI 3.0 leftovers, every
error answer described, and listing every JSON and XML route the server has.

Its answers are checked against real ones in ``tests/test_openapi_answers.py``.
"""

from __future__ import annotations

import re

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from api.openapi import document
from app import create_app
from settings import Settings


def test_document_is_valid_openapi_3_1():
    spec = document("http://127.0.0.1:8050/")
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def walk(value, where: str = "#"):
    """Every (JSON pointer, mapping) in ``value``, depth first."""
    if isinstance(value, dict):
        yield where, value
        for key, item in value.items():
            yield from walk(item, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from walk(item, f"{where}/{n}")


def test_regression_no_openapi_3_0_nullable_in_a_3_1_document():
    """3.1 schemas are JSON Schema: ``nullable`` is ignored there, so a null
    ``ended_at`` broke the document (issue 16); null is a type in 3.1."""
    leftovers = [where for where, mapping in walk(document()) if "nullable" in mapping]
    assert leftovers == []


def test_regression_every_answer_says_what_it_is():
    """Error answers were described as "OK" (issue 16): each answer has its own
    description, and every error answer a body schema."""
    wrong = []
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                label = f"{method.upper()} {path} {status}"
                described = answer.get("description", "").strip()
                if status[0] in "45" and (
                    described.upper() in ("", "OK") or not answer.get("content")
                ):
                    wrong.append(f"{label}: {described!r}, content {answer.get('content')}")
                elif not described:
                    wrong.append(f"{label}: no description")
    assert wrong == []


def test_every_json_route_is_documented(sqlite_url):
    app = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    documented = set(document()["paths"])
    missing = []
    for rule in app.server.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if "_rest" in path or not path.startswith(("/api/", "/open311/")):
            continue
        path = path.replace("{code}", "{service_code}")
        path = path.replace("{public_id}", "{service_request_id}")
        for fmt in ("json", "xml") if "{fmt}" in path else (None,):  # Open311's two formats
            concrete = path.replace("{fmt}", fmt) if fmt else path
            if concrete not in documented:
                missing.append(concrete)
    app.server.extensions["gridcommand.store"].close()
    assert missing == []
