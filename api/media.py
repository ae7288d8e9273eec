"""Photos as evidence, served only to callers who may see their incident."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("media", __name__, url_prefix="/media")
