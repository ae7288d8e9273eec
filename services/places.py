"""Where reports land: the grid locator and the gazetteer, kept per geometry version.

Both are built from the grid and community polygons, which change only on an
import. Each worker keeps its own and does not ask the database per report
whether they are still current: the write of a report compares the version it
was placed with against the one in force, once per group transaction
(``Store.add_report``, ``placed_with``), and a report placed with replaced
boundaries is placed again with new ones (``StaleGeometry``). A report
refused as outside the city is checked the same way before the refusal stands.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import pandas as pd

from domain.gazetteer import Gazetteer
from domain.locator import GridLocator

_building = threading.Lock()  # one rebuild at a time, not one per request thread
_held: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> its Places


@dataclass(frozen=True)
class Places:
    locator: GridLocator
    gazetteer: Gazetteer
    version: int  # the store's geometry_version these were built from


def places(store, *, in_force: int | None = None) -> Places:
    """The locator and gazetteer this worker holds for the city in ``store``.

    Built on first use, and again when ``in_force`` (a geometry version
    the caller has seen in force) is not what they were built from.
    """
    found = _held.get(store)
    if found is not None and (in_force is None or found.version == in_force):
        return found
    with _building:
        found = _held.get(store)
        if found is None or (in_force is not None and found.version != in_force):
            found = _held[store] = _build(store)
    return found


def _build(store) -> Places:
    version = store.geometry_version()  # read first: a later import moves it on
    grids = store.grids()
    communities = store.communities()
    named = pd.concat(
        [
            pd.DataFrame({"name": grids["name"], "lon": grids["lon"], "lat": grids["lat"]}),
            pd.DataFrame(
                {"name": communities["name"], "lon": communities["lon"], "lat": communities["lat"]}
            ),
        ]
    )
    return Places(
        GridLocator(grids["code"], grids["town_code"], grids.geometry.to_numpy()),
        Gazetteer(named["name"], named["lon"], named["lat"]),
        version,
    )
