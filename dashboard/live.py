"""Live screens: send only what changed since the screen last drew.

Each screen keeps a digest of every map layer it shows. On a tick, the
server builds the current layers (once per change-feed position, shared by
all the screens of a worker) and answers, per layer:

- nothing, when its digest did not change;
- for the polygons, a ``dash.Patch`` of their ``hideout`` values (colour class
  and count by grid code): the geometry, fetched once by URL, is never sent;
- for points, when the worker still holds what the screen shows (found by its
  digest), a Patch of point edits matched by feature id: new points inserted
  or appended, gone ones deleted, changed ones assigned, so one new report
  costs a few hundred bytes rather than the whole layer;
- otherwise, or when most points changed, the whole point collection.

The view (zoom, pan) is the operator's and is not sent again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
from collections import OrderedDict

from dash import Patch

# Past this share of changed points a whole trace is cheaper to send than edits.
MAX_EDITED_SHARE = 0.3
MIN_EDITS = 24  # small traces may always be edited


def layer_digests(layers: dict[str, dict]) -> dict[str, str]:
    """A short digest of each layer's live value (``layers.map_figure.build_wall_layers``).

    A value seen before as the very same object (a layer the worker reused,
    such as the cadres' while only new reports come in) keeps its digest
    without being serialised again.
    """
    return {name: _digest(value) for name, value in layers.items()}


_SEEN: OrderedDict = OrderedDict()  # id(value) -> (value, digest); the value keeps the id unique
_SEEN_SIZE = 64
_SEEN_LOCK = threading.Lock()


def _digest(value: dict) -> str:
    with _SEEN_LOCK:
        held = _SEEN.get(id(value))
        if held is not None and held[0] is value:
            return held[1]
    digest = hashlib.blake2b(
        json.dumps(value, sort_keys=True, default=str).encode(), digest_size=8
    ).hexdigest()
    with _SEEN_LOCK:
        _SEEN[id(value)] = (value, digest)
        while len(_SEEN) > _SEEN_SIZE:
            _SEEN.popitem(last=False)
    return digest


def layer_update(value: dict, shown: dict | None, kind: str):
    """What to send a screen whose layer shows ``shown`` (None: unknown) so that
    it shows ``value``.

    ``kind`` "hideout": a Patch of the keys of ``value`` (the screen's own
    keys, such as whether the layer is switched on, stay), entry by entry
    where ``shown`` is known (``hideout_patch``). ``kind`` "data": a
    FeatureCollection, edited feature by feature when ``shown`` is known and
    few features changed, else sent whole.
    """
    if kind == "hideout":
        return hideout_patch(shown, value)
    if shown is not None:
        patch = features_patch(shown, value)
        if patch is not None:
            return patch
    return value


def hideout_patch(shown: dict | None, value: dict) -> Patch:
    """A Patch setting the keys of ``value`` in a screen's hideout.

    With what the screen shows (``shown``), a mapping such as the grids'
    colour class by code is edited entry by entry: one new report changes one
    grid's count and perhaps its class, a few dozen bytes instead of the
    whole mapping for every grid (60 kB at county scale, to each screen).
    """
    patch = Patch()
    for key, item in value.items():
        before = None if shown is None else shown.get(key, _ABSENT)
        if isinstance(item, dict) and isinstance(before, dict):
            for entry, new in item.items():
                if before.get(entry, _ABSENT) != new:
                    patch[key][entry] = new
            for entry in before.keys() - item.keys():
                del patch[key][entry]
        elif before is None or before != item:
            patch[key] = item
    return patch


_ABSENT = object()


def features_patch(before: dict, after: dict) -> Patch | None:
    """A Patch turning FeatureCollection ``before`` into ``after``, matching
    features by ``id``; None when so many changed that ``after`` is cheaper."""
    old, new = before["features"], after["features"]
    matcher = difflib.SequenceMatcher(
        None, [f["id"] for f in old], [f["id"] for f in new], autojunk=False
    )
    edits = []  # from the end to the start, so each keeps the next one's indices valid
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            edits += [
                ("set", i1 + k, new[j1 + k])
                for k in reversed(range(i2 - i1))
                if old[i1 + k] != new[j1 + k]
            ]
            continue
        if tag in ("delete", "replace"):
            edits += [("del", i, None) for i in reversed(range(i1, i2))]
        if tag in ("insert", "replace"):
            if i1 == len(old):
                edits.append(("extend", i1, new[j1:j2]))
            else:
                edits += [("insert", i1, new[j]) for j in reversed(range(j1, j2))]
    if len(edits) > max(MIN_EDITS, MAX_EDITED_SHARE * max(len(old), len(new))):
        return None
    patch = Patch()
    features = patch["features"]
    for op, index, item in edits:
        if op == "set":
            features[index] = item
        elif op == "del":
            del features[index]
        elif op == "insert":
            features.insert(index, item)
        else:
            features.extend(item)
    return patch
