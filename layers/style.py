"""Colours and sizes shared by the map layers.

Sizes are given for a 1920 px wide screen and scaled for larger ones: a marker
that reads at a desk is a speck on a 3840x2160 video wall seen from 5 m.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKGROUND = "#081424"
LAND = "#0d2238"
TEXT = "#e6f1ff"
MUTED_TEXT = "#8fb3d9"


@dataclass(frozen=True)
class MapStyle:
    """How to draw the layers for one screen.

    Attributes
    ----------
    scale : float
        Size factor against a 1920 px wide screen (2.0 on a 3840 px wall).
    lang : str
        'zh' or 'en', for labels and hover cards.
    """

    scale: float = 1.0
    lang: str = "zh"

    def px(self, size: float) -> float:
        """A size in CSS pixels at 1920 px, scaled to this screen."""
        return round(size * self.scale, 1)

    def text(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en


def scale_for_width(width_px: float | None) -> float:
    """Size factor for a screen ``width_px`` CSS pixels wide (1 to 2.4)."""
    if not width_px or width_px <= 0:
        return 1.0
    return max(1.0, min(2.4, width_px / 1920))
