"""The change feed over HTTP: "what changed since N", for screens and integrations."""

from __future__ import annotations

import pandas as pd
from flask import Blueprint, current_app, jsonify, request

from api.feed_watch import LIVE_WAITERS, MAX_WAIT_S, MAX_WAITERS, watch_of
from api.params import parse_int

blueprint = Blueprint("changes", __name__)
MAX_CHANGES = 1000


@blueprint.get("/api/v1/changes")
def changes():
    """Entries after ``since`` (oldest first, at most ``limit``).

    ``more`` says another page waits; a client that fell too far behind
    (``more`` with a small ``limit``) does better to reload its whole state.
    """
    store = current_app.extensions["gridcommand.store"]
    since = parse_int(request.args.get("since"), "since", 0, 0, 2**62)
    limit = parse_int(request.args.get("limit"), "limit", 200, 1, MAX_CHANGES)
    frame = store.changes_since(since, limit=limit + 1)
    more = len(frame) > limit
    frame = frame.iloc[:limit]
    entries = [
        {
            "seq": int(r.seq),
            "at": r.at.isoformat(),
            "entity": r.entity,
            "entity_id": None if pd.isna(r.entity_id) else str(r.entity_id),
            "op": r.op,
            "payload": r.payload,
        }
        for r in frame.itertuples(index=False)
    ]
    latest = entries[-1]["seq"] if entries else max(since, 0)
    return jsonify(seq=latest, more=more, changes=entries)


@blueprint.get("/api/v1/changes/wait")
def wait():
    """The feed's newest position once it is past ``after``: a long poll.

    A live screen asks with the position it knows and hears back as soon as
    the feed moves (within a tenth of a second), or after ``wait`` seconds
    (default and at most 25) with the position unchanged; it then asks for
    its update and asks here again. Without ``after`` the answer is at once.
    ``busy`` says this worker has too many waiting already: ask again later
    and rely on the screen's own checks meanwhile.
    """
    store = current_app.extensions["gridcommand.store"]
    after = parse_int(request.args.get("after"), "after", -1, -1, 2**62)
    timeout = parse_int(request.args.get("wait"), "wait", MAX_WAIT_S, 0, MAX_WAIT_S)
    watch = watch_of(store, current_app.config.get(LIVE_WAITERS, MAX_WAITERS))
    seq, waited = watch.wait(after, timeout if after >= 0 else 0)
    response = jsonify(seq=seq, moved=seq > after, busy=not waited)
    response.headers["Cache-Control"] = "no-store"
    return response
