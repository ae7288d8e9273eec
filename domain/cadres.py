"""Cadres: their roles and the statuses a cadre in the field can have."""

from __future__ import annotations

CADRE_STATUSES: dict[str, tuple[str, str]] = {
    "available": ("待命", "Available"),
    "en_route": ("在途", "En route"),
    "on_site": ("在岗处置", "On site"),
    "off_duty": ("离岗", "Off duty"),
}

ROLES: dict[str, tuple[str, str]] = {
    "grid_worker": ("专职网格员", "Grid worker"),
    "dept_cadre": ("部门干部", "Department cadre"),
    "town_cadre": ("镇街干部", "Town cadre"),
    "volunteer": ("志愿者", "Volunteer"),
}
