"""Which grid each incident belongs to after the grids change (issue 9).

Re-importing grids must keep every incident's history linked: an incident
goes to the new grid that contains its point, and the import reports how
many moved. A point that no new grid contains keeps its grid if that grid
still exists (a report a few metres outside the city's edge), and otherwise
is left without a grid, in its old town, and counted as such.

Pure: frames in, the moves out.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

MOVE_COLUMNS = ["id", "old_grid", "new_grid", "old_town", "new_town"]


def incident_moves(incidents: pd.DataFrame, grids: gpd.GeoDataFrame) -> pd.DataFrame:
    """The incidents whose grid or town changes, with both.

    ``incidents`` has id, lon, lat, grid_code and town_code; ``grids`` the
    new layer's code, town_code and geometry (WGS84). Where grids overlap,
    a point in its old grid stays there, else the first grid by code wins.
    """
    if incidents.empty:
        return pd.DataFrame(columns=MOVE_COLUMNS)
    grids = grids.sort_values("code").reset_index(drop=True)
    codes = grids["code"].astype(str).to_numpy()
    towns = grids["town_code"].astype(str).to_numpy()
    points = shapely.points(incidents["lon"].to_numpy(float), incidents["lat"].to_numpy(float))
    tree = shapely.STRtree(grids.geometry.to_numpy())
    point_idx, grid_idx = tree.query(points, predicate="within")
    old_grid = incidents["grid_code"].astype(object).to_numpy()
    hit = pd.DataFrame({"p": point_idx, "g": grid_idx})
    hit["stays"] = codes[hit["g"]] == old_grid[hit["p"]]
    first = hit.sort_values(["p", "stays", "g"], ascending=[True, False, True]).drop_duplicates("p")
    new_index = np.full(len(points), -1)
    new_index[first["p"].to_numpy()] = first["g"].to_numpy()
    found = new_index >= 0
    still_there = pd.Series(old_grid).isin(set(codes)).to_numpy()
    new_grid = np.where(found, codes[new_index], np.where(still_there, old_grid, None))
    old_town = incidents["town_code"].astype(object).to_numpy()
    town_of = dict(zip(codes, towns, strict=True))
    new_town = np.array(
        [
            town_of.get(g, t) if g is not None else t
            for g, t in zip(new_grid, old_town, strict=True)
        ],
        dtype=object,
    )
    moves = pd.DataFrame(
        {
            "id": incidents["id"].to_numpy(),
            "old_grid": old_grid,
            "new_grid": new_grid,
            "old_town": old_town,
            "new_town": new_town,
        }
    )
    changed = (moves["old_grid"].fillna("") != moves["new_grid"].fillna("")) | (
        moves["old_town"].fillna("") != moves["new_town"].fillna("")
    )
    return moves[changed].reset_index(drop=True)
