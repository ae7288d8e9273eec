"""Incident lifecycle after the digital city-management workflow of GB/T 30428.

reported 受理 → registered 立案 → dispatched 派遣 → in_progress 处置 →
resolved 办结 → verified 核查 → closed 结案, with rejected (incl. duplicates) and
escalated on the side, and reopening when a citizen is not satisfied.
"""

from __future__ import annotations

from domain.errors import InvalidInput

STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("受理", "Reported"),
    "registered": ("立案", "Registered"),
    "dispatched": ("派遣", "Dispatched"),
    "in_progress": ("处置", "In progress"),
    "resolved": ("办结", "Resolved"),
    "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed"),
    "rejected": ("不予受理", "Rejected"),
    "escalated": ("上报", "Escalated"),
}

# Work still to be done: these show on the live map and count as load.
OPEN_STATUSES: frozenset[str] = frozenset(
    {"reported", "registered", "dispatched", "in_progress", "escalated"}
)
DONE_STATUSES: frozenset[str] = frozenset({"resolved", "verified", "closed", "rejected"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"registered", "rejected"}),
    "registered": frozenset({"dispatched", "escalated", "rejected"}),
    "dispatched": frozenset({"in_progress", "registered", "escalated"}),
    "in_progress": frozenset({"resolved", "escalated"}),
    "escalated": frozenset({"registered", "dispatched"}),
    "resolved": frozenset({"verified", "registered"}),
    "verified": frozenset({"closed", "registered"}),
    "closed": frozenset({"registered"}),
    "rejected": frozenset(),
}


def status_name(status: str, lang: str = "zh") -> str:
    """Display name of a status; the code itself if unknown."""
    names = STATUSES.get(status)
    if names is None:
        return status
    return names[0] if lang == "zh" else names[1]


def check_transition(current: str, target: str) -> None:
    """Raise ``InvalidInput`` unless ``current → target`` is a legal move."""
    if current not in TRANSITIONS:
        raise InvalidInput(f"unknown status {current!r}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InvalidInput(
            f"an incident that is {current!r} cannot become {target!r} (allowed: {allowed})"
        )
