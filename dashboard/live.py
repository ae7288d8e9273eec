"""Live screens: send only the traces that changed since the screen last drew.

Each screen keeps a digest of every trace it shows. On a tick, the server
builds the current figure (once per change-feed position, shared by all the
screens of a worker) and answers with a ``dash.Patch`` that replaces the
traces whose digest changed: the layout (zoom, pan) and the grid geometry,
which plotly fetched by URL once, are never sent again.
"""

from __future__ import annotations

import hashlib
import json

from dash import Patch


def trace_digests(figure: dict) -> list[str]:
    """A short digest of each trace of ``figure``."""
    return [
        hashlib.blake2b(
            json.dumps(trace, sort_keys=True, default=str).encode(), digest_size=8
        ).hexdigest()
        for trace in figure["data"]
    ]


def figure_patch(figure: dict, old: list[str] | None) -> tuple[Patch | dict | None, list[str]]:
    """What to send a screen that shows traces with digests ``old``.

    Returns (a Patch of the changed traces, or the whole figure when the
    traces no longer line up, or None when nothing changed; the new digests).
    """
    new = trace_digests(figure)
    if old is None or len(old) != len(new):
        return figure, new
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed:
        return None, new
    patch = Patch()
    for i in changed:
        patch["data"][i] = figure["data"][i]
    return patch, new
