"""What the wartime desk's forms send, in the terms ``services.events`` and
``domain.events`` take: an uploaded area file, a declaration, a task, the
proposal rows ticked for mobilising. Plain functions, no Dash."""

from __future__ import annotations

import base64

from domain.errors import InvalidInput


def uploaded_area(contents: str | None) -> str | None:
    """The uploaded file's text (GeoJSON expected); InvalidInput when it is not text."""
    if not contents:
        return None
    try:
        data = base64.b64decode(contents.split(",", 1)[1])
        return data.decode("utf-8-sig")
    except (IndexError, ValueError, UnicodeDecodeError):
        raise InvalidInput(
            "the file is not a GeoJSON text file", zh="文件不是 GeoJSON 文本文件"
        ) from None


def declaration_fields(name, kind, severity, checkin, picked, uploaded) -> dict:
    """A declaration's fields (``domain.events.declaration``). The area is the
    one drawn or uploaded; the grids inside it were only shown, so they are
    sent alone only when no area file was uploaded."""
    return {
        "name": name,
        "kind": kind,
        "severity": severity,
        "checkin_minutes": checkin,
        "grids": None if uploaded else picked or None,
        "area": uploaded or None,
    }


def task_fields(title, headcount, values: list, target_ids: list[dict], place) -> dict:
    """A new task's fields (``services.events.add_task``): one hand unless a
    headcount is given, the targets filled in by measure, the place clicked."""
    targets = {
        i["measure"]: v for i, v in zip(target_ids, values, strict=True) if v not in (None, "")
    }
    return {
        "title": title,
        "headcount": headcount if headcount is not None else 1,
        "targets": targets,
        **(place or {}),
    }


def mobilisation_items(ticked: list[dict]) -> list[dict]:
    """The proposal's ticked rows as ``services.events.mobilise`` takes them."""
    return [{k: row[k] for k in ("incident", "cadre_id", "eta_s", "position_at")} for row in ticked]
