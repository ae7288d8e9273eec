"""Where reports land: the grid locator and the gazetteer, kept per geometry version.

Both are built from the grid and community polygons, which change only on an
import; each worker keeps its own and rebuilds it when the store's geometry
version moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from flask import current_app

from domain.gazetteer import Gazetteer
from domain.locator import GridLocator


@dataclass(frozen=True)
class Places:
    locator: GridLocator
    gazetteer: Gazetteer


def places(store) -> Places:
    """The locator and gazetteer for the city now in ``store``."""
    cache = current_app.extensions.setdefault("gridcommand.places", {})
    version = store.geometry_version()
    if cache.get("version") != version:
        grids = store.grids()
        communities = store.communities()
        named = pd.concat([
            pd.DataFrame({"name": grids["name"], "lon": grids["lon"], "lat": grids["lat"]}),
            pd.DataFrame({"name": communities["name"], "lon": communities["lon"],
                          "lat": communities["lat"]}),
        ])  # fmt: skip
        cache["places"] = Places(
            GridLocator(grids["code"], grids["town_code"], grids.geometry.to_numpy()),
            Gazetteer(named["name"], named["lon"], named["lat"]),
        )
        cache["version"] = version
    return cache["places"]
