"""The map layers in drawing order, with their names and legends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from layers import cadres, grids, incidents


@dataclass(frozen=True)
class LayerSpec:
    """One toggleable layer of the command map."""

    id: str
    zh: str
    en: str
    legend: Callable[[str], list[tuple[str, str]]] | None = None

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("grids", "网格（未办结事件）", "Grids (open incidents)", grids.legend),
    LayerSpec("towns", "镇街边界", "Town boundaries"),
    LayerSpec("cadres", "干部", "Cadres", cadres.legend),
    LayerSpec("incidents", "事件", "Incidents", incidents.legend),
    LayerSpec("events", "战时事件", "Wartime events"),
)
LAYER_IDS: tuple[str, ...] = tuple(spec.id for spec in LAYERS)
