"""Live screens: send only what changed since the screen last drew.

Each screen keeps a digest of every trace it shows. On a tick, the server
builds the current figure (once per change-feed position, shared by all the
screens of a worker) and answers with a ``dash.Patch``:

- a trace whose digest did not change is not sent;
- when the worker still holds the figure the screen shows (found by its
  digests), a changed trace is patched point by point: new points inserted
  or appended, gone points deleted, changed values assigned, matched by the
  trace's ``ids`` (or ``locations`` for the grid colours), so one new report
  costs a few hundred bytes rather than the whole incidents layer;
- otherwise, or when most points changed, the whole trace is replaced.

The layout (zoom, pan) and the grid geometry, which plotly fetched by URL
once, are never sent again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator

from dash import Patch

# Past this share of changed points a whole trace is cheaper to send than edits.
MAX_EDITED_SHARE = 0.3
MIN_EDITS = 24  # small traces may always be edited


def trace_digests(figure: dict) -> list[str]:
    """A short digest of each trace of ``figure``."""
    return [
        hashlib.blake2b(
            json.dumps(trace, sort_keys=True, default=str).encode(), digest_size=8
        ).hexdigest()
        for trace in figure["data"]
    ]


def figure_patch(
    figure: dict,
    old: list[str] | None,
    shown: dict | None = None,
    new: list[str] | None = None,
) -> tuple[Patch | dict | None, list[str]]:
    """What to send a screen that shows traces with digests ``old``.

    ``shown`` is the figure the screen shows, when the server still has it;
    ``new`` the digests of ``figure`` when already known.

    Returns (a Patch of the changes, or the whole figure when the traces no
    longer line up, or None when nothing changed; the new digests).
    """
    new = list(new) if new is not None else trace_digests(figure)
    if old is None or len(old) != len(new):
        return figure, new
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed:
        return None, new
    patch = Patch()
    for i in changed:
        before = shown["data"][i] if shown is not None else None
        if before is None or not edit_trace(patch["data"][i], before, figure["data"][i]):
            patch["data"][i] = figure["data"][i]
    return patch, new


def _point_key(trace: dict) -> str | None:
    for key in ("ids", "locations"):
        if isinstance(trace.get(key), list):
            return key
    return None


def _leaves(trace: dict) -> Iterator[tuple[tuple[str, ...], object]]:
    """(path, value) of each attribute, one level into nested dicts (``marker.color``)."""
    for key, value in trace.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                yield (key, sub), inner
        else:
            yield (key,), value


def _at(target: Patch, path: tuple[str, ...]) -> Patch:
    for key in path:
        target = target[key]
    return target


def edit_trace(target: Patch, before: dict, after: dict) -> bool:
    """Record on ``target`` the point edits that turn trace ``before`` into ``after``.

    Returns False, recording nothing, when the traces are not edits of each
    other (another shape, no point ids) or when so many points changed that
    sending the whole trace is cheaper.
    """
    key = _point_key(after)
    if key is None or key != _point_key(before) or before.get("type") != after.get("type"):
        return False
    old_leaves, new_leaves = dict(_leaves(before)), dict(_leaves(after))
    if old_leaves.keys() != new_leaves.keys():
        return False
    old_ids, new_ids = before[key], after[key]
    per_point, scalars = [], []
    for path, value in new_leaves.items():
        was = old_leaves[path]
        if (isinstance(value, list) and isinstance(was, list)
                and len(value) == len(new_ids) and len(was) == len(old_ids)):  # fmt: skip
            per_point.append((path, was, value))
        elif value != was:
            scalars.append((path, value))
    edits = _point_edits(old_ids, new_ids, per_point)
    if len(edits) > max(MIN_EDITS, MAX_EDITED_SHARE * max(len(old_ids), len(new_ids))):
        return False
    for path, value in scalars:
        parent = _at(target, path[:-1])
        parent[path[-1]] = value
    for edit in edits:
        edit(target)
    return True


def _point_edits(old_ids: list, new_ids: list, per_point: list) -> list:
    """Callables that apply, in order, the point edits to a Patch.

    Edits run from the end of the arrays to the start, so each keeps the
    indices of the ones still to come valid.
    """
    matcher = difflib.SequenceMatcher(None, old_ids, new_ids, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            for k in reversed(range(i2 - i1)):
                i, j = i1 + k, j1 + k
                changed = [(path, new[j]) for path, old, new in per_point if old[i] != new[j]]
                if changed:
                    edits.append(_assign(i, changed))
            continue
        if tag in ("delete", "replace"):
            edits.extend(_delete(i, [p for p, _, _ in per_point]) for i in reversed(range(i1, i2)))
        if tag in ("insert", "replace"):
            if i1 == len(old_ids):  # new points at the end: one extend per array
                edits.append(_extend([(p, new[j1:j2]) for p, _, new in per_point]))
            else:
                edits.extend(
                    _insert(i1, [(p, new[j]) for p, _, new in per_point])
                    for j in reversed(range(j1, j2))
                )
    return edits


def _assign(index: int, values: list):
    def apply(target: Patch) -> None:
        for path, value in values:
            _at(target, path)[index] = value

    return apply


def _delete(index: int, paths: list):
    def apply(target: Patch) -> None:
        for path in paths:
            del _at(target, path)[index]

    return apply


def _insert(index: int, values: list):
    def apply(target: Patch) -> None:
        for path, value in values:
            _at(target, path).insert(index, value)

    return apply


def _extend(values: list):
    def apply(target: Patch) -> None:
        for path, tail in values:
            _at(target, path).extend(tail)

    return apply
