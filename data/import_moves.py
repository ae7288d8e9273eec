"""What follows an import of boundaries: incidents and grids go where they now belong.

After grids change, every incident goes to the grid that now contains it
(``domain.reassign``); on undo, the moves of the undone import go back where
their grid still exists. After communities change towns, their grids and the
grids' incidents follow. ``data.store_import`` calls these inside the import's
own transaction, and reads the same figures for a preview.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from sqlalchemy import Connection, bindparam, select, update

from data import schema
from data.rows import frame_of

if TYPE_CHECKING:  # geopandas (and domain.reassign) are imported where used: the
    # command line starts without them
    import geopandas as gpd

Progress = Callable[[int, int, str], None]  # done, total, stage
CHUNK = 2_000  # rows, or codes in one IN list, per statement of an import


def incident_points(conn: Connection) -> pd.DataFrame:
    """Every incident's id, lon, lat (WGS84), grid_code and town_code."""
    i = schema.incidents
    return frame_of(conn.execute(select(i.c.id, i.c.lon, i.c.lat, i.c.grid_code, i.c.town_code)))


def grid_frame(grid_rows: Sequence[tuple]) -> gpd.GeoDataFrame:
    """Grids given as (code, town_code, WKB geometry) rows, in WGS84."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"code": [r[0] for r in grid_rows], "town_code": [r[1] for r in grid_rows]},
        geometry=shapely.from_wkb([r[2] for r in grid_rows]),
        crs="EPSG:4326",
    )


def move_counts(moves: pd.DataFrame) -> dict[str, int]:
    """How many incidents ``domain.reassign.incident_moves`` moves, and how many
    it leaves without a grid."""
    return {
        "incidents_moved": int(moves["new_grid"].notna().sum()),
        "incidents_without_grid": int(moves["new_grid"].isna().sum()),
    }


def move_incidents(
    conn: Connection, removed: set[str], moves_back: list, progress: Progress
) -> pd.DataFrame:
    """Every incident to the grid that now contains it; then, on undo, the
    moves of the undone import back where their grid still exists."""
    i, g = schema.incidents, schema.grids
    incidents = incident_points(conn)
    grid_rows = [
        r
        for r in conn.execute(select(g.c.code, g.c.town_code, g.c.geometry))
        if r[0] not in removed
    ]
    from domain.reassign import incident_moves

    grids = grid_frame(grid_rows)
    moves = incident_moves(incidents, grids)
    if moves_back:
        back = pd.DataFrame(
            moves_back, columns=["id", "old_grid", "new_grid", "old_town", "new_town"]
        )
        back = back[back["old_grid"].isin(set(grids["code"])) | back["old_grid"].isna()]
        undo = pd.DataFrame(
            {"id": back["id"], "new_grid": back["old_grid"], "new_town": back["old_town"]}
        )
        moves = pd.concat([moves[~moves["id"].isin(undo["id"])][undo.columns], undo])
        current = incidents.set_index("id")
        moves["old_grid"] = moves["id"].map(current["grid_code"])
        moves["old_town"] = moves["id"].map(current["town_code"])
    statement = (
        update(i)
        .where(i.c.id == bindparam("b_id"))
        .values(grid_code=bindparam("g"), town_code=bindparam("t"))
    )
    params = [
        {"b_id": int(r.id), "g": r.new_grid, "t": r.new_town}
        for r in moves.astype(object).where(moves.notna(), None).itertuples()
    ]
    progress(0, len(params), "incidents")
    for start in range(0, len(params), CHUNK * 5):
        conn.execute(statement, params[start : start + CHUNK * 5])
        progress(min(start + CHUNK * 5, len(params)), len(params), "incidents")
    return moves


def follow_community_towns(conn: Connection) -> int:
    """Grids (and their incidents) follow their community to its town."""
    g, c, i = schema.grids, schema.communities, schema.incidents
    town_of_community = (
        select(c.c.town_code).where(c.c.code == g.c.community_code).scalar_subquery()
    )
    stale = conn.execute(select(g.c.code).where(g.c.town_code != town_of_community)).scalars().all()
    if not stale:
        return 0
    for start in range(0, len(stale), CHUNK):
        codes = stale[start : start + CHUNK]
        conn.execute(update(g).where(g.c.code.in_(codes)).values(town_code=town_of_community))
        town_of_grid = select(g.c.town_code).where(g.c.code == i.c.grid_code).scalar_subquery()
        conn.execute(update(i).where(i.c.grid_code.in_(codes)).values(town_code=town_of_grid))
    return len(stale)
