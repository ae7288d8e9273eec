"""The store's part for importing a city's own data (issue 9): apply a checked
layer all or nothing, undo it, clear the demo city.

Mixed into ``data.store.Store``. A layer (towns, communities or grids) is
applied as a whole in one transaction, by code:

- features of the file that the store has are updated, keeping what the file
  does not carry (a grid's worker, counts the file has no column for) and the
  stored shape when the file's is the same within ``layer_rows.SAME_SHAPE_DEG``;
- new codes are added;
- codes the file no longer has are removed, refused while anything still
  belongs to them (a town's communities, a community's grids); a file of
  communities or grids stands for the towns it covers, so one town's grids
  replace that town's and leave the others';
- after grids change, every incident goes to the grid that now contains it
  (``data.import_moves``), and the report counts the moves.

The rows the import replaced and the moves it made are kept, compressed, in
the ``imports`` table; ``undo_import`` puts them back in the same way. Each
import and undo writes its audit entry and one change-feed entry of the layer,
which moves ``geometry_version`` so that maps and locators rebuild.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from data import rows, schema
from data.import_moves import (
    CHUNK,
    Progress,
    follow_community_towns,
    grid_frame,
    incident_points,
    move_counts,
    move_incidents,
)
from data.layer_rows import decode_snapshot, encode_snapshot, plan_layer, row_from_json, row_to_json
from data.rows import utcnow
from domain.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:  # geopandas (and domain.reassign) are imported where used: the
    # command line starts without them
    import geopandas as gpd

_LAYERS = {"towns": schema.towns, "communities": schema.communities, "grids": schema.grids}
_ENTITY = {
    "towns": "town",
    "communities": "community",
    "grids": "grid",
    "cadres": "cadre",
    "pairings": "pairing",
}
# Tables whose rows belong to a town or community, to refuse removing it.
_CHILDREN = {
    "towns": [
        (schema.communities, "town_code"),
        (schema.grids, "town_code"),
        (schema.cadres, "town_code"),
        (schema.pairings, "town_code"),
        (schema.users, "town_code"),
    ],
    "communities": [(schema.grids, "community_code")],
    "grids": [],
}
# Everything of a city, children first: what ``clear_city`` deletes.
# Aligned by hand: this table reads better laid out as a table.
_CITY_CLEAR_ORDER = ("checkins", "task_measures", "dispatches", "cadre_positions", "incidents",
                     "events", "grids", "cadres", "pairings", "departments", "communities",
                     "towns")  # fmt: skip


def _none(done: int, total: int, stage: str) -> None:
    return None


class ImportStore:
    """Apply, undo and list imports of a city's layers."""

    # ------------------------------------------------------------------ reads

    def imports(self, limit: int = 50) -> pd.DataFrame:
        """Applied imports, newest first, without their snapshots."""
        i = schema.imports
        frame = self._listing(
            select(*(c for c in i.c if c.name != "snapshot")).order_by(i.c.id.desc()).limit(limit)
        )
        frame["counts"] = frame["counts"].map(json.loads)
        return frame

    def city_is_own(self) -> bool:
        """True once the demo city was cleared for a city's own data: an
        empty store then stays empty, and is not seeded with the demo again."""
        info = schema.schema_info
        with self.engine.connect() as conn:
            return conn.execute(select(info.c.value).where(info.c.key == "city")).scalar() == "own"

    # ----------------------------------------------------------------- writes

    def import_boundaries(
        self,
        kind: str,
        layer: gpd.GeoDataFrame,
        *,
        actor: str,
        source: str,
        progress: Progress | None = None,
    ) -> dict:
        """Make the ``kind`` layer exactly ``layer`` (table columns, WGS84).

        Returns the counts: added, updated, unchanged, removed, and for grids
        the incidents moved and those left without a grid; ``import_id`` is
        what ``undo_import`` takes.

        Raises ``Conflict`` when a removed feature still has children, and
        ``InvalidInput`` when the database refuses a row; nothing is written.
        """
        table = _LAYERS.get(kind)
        if table is None:
            raise InvalidInput(f"no boundary layer {kind!r}")
        progress = progress or _none
        incoming = rows.with_geometry(layer)
        with self._transaction() as conn:
            self._lock_incidents(conn)
            before = _table_rows(conn, table)
            counts, snapshot = self._apply_layer(conn, kind, before, incoming, progress)
            import_id = self._save_import(conn, kind, source, actor, counts, snapshot)
            counts["import_id"] = import_id
            self._record(
                conn,
                actor=actor,
                action=f"import_{kind}",
                entity=_ENTITY[kind],
                entity_id=import_id,
                after={"source": source, **counts},
                op="reload",
            )
        return counts

    def preview_boundaries(self, kind: str, layer: gpd.GeoDataFrame) -> dict:
        """What ``import_boundaries`` would do, reading only: the same counts,
        and ``blocked`` with the reason when it would be refused."""
        table = _LAYERS.get(kind)
        if table is None:
            raise InvalidInput(f"no boundary layer {kind!r}")
        incoming = rows.with_geometry(layer)
        with self.engine.connect() as conn:
            before = _table_rows(conn, table)
            old, towns, removed, (added, changed, unchanged) = plan_layer(
                kind, table, before, incoming
            )
            counts = _layer_counts(before, towns, added, changed, unchanged, removed)
            try:
                self._refuse_orphans(conn, kind, removed)
            except Conflict as refused:
                counts["blocked"] = refused.message("en")
            if kind == "grids":
                from domain.reassign import incident_moves

                after = {code: row for code, row in old.items() if code not in set(removed)}
                after.update({row["code"]: row for row in incoming})
                grids = grid_frame([(c, r["town_code"], r["geometry"]) for c, r in after.items()])
                counts.update(move_counts(incident_moves(incident_points(conn), grids)))
                counts["workers_unassigned"] = sum(1 for c in removed if old[c].get("worker_id"))
        return counts

    def undo_import(self, import_id: int, *, actor: str, progress: Progress | None = None) -> dict:
        """Put back what import ``import_id`` replaced; returns the counts.

        Refused for an import already undone, and for one that a later,
        still standing import of the same layer builds on: undo that first.
        """
        i = schema.imports
        progress = progress or _none
        with self._transaction() as conn:
            found = conn.execute(select(i).where(i.c.id == import_id)).mappings().first()
            if found is None:
                raise NotFound(f"no import {import_id}")
            if found["undone_at"] is not None:
                raise Conflict(
                    f"import {import_id} was already undone "
                    f"({found['undone_at']:%Y-%m-%d %H:%M} by {found['undone_by']})"
                )
            later = (
                conn.execute(
                    select(i.c.id).where(
                        i.c.kind == found["kind"], i.c.id > import_id, i.c.undone_at.is_(None)
                    )
                )
                .scalars()
                .all()
            )
            if later:
                raise Conflict(f"import {later[-1]} of {found['kind']} came later: undo it first")
            kind = found["kind"]
            snapshot = decode_snapshot(found["snapshot"])
            if kind in _LAYERS:
                self._lock_incidents(conn)
                table = _LAYERS[kind]
                restored = [row_from_json(table, row) for row in snapshot["rows"]]
                counts, _ = self._apply_layer(
                    conn,
                    kind,
                    _table_rows(conn, table),
                    restored,
                    progress,
                    whole=True,
                    moves_back=snapshot.get("moves", []),
                )
            else:  # cadres or pairings (data.store_rosters)
                counts = self._undo_table(conn, kind, snapshot)
            conn.execute(
                update(i).where(i.c.id == import_id).values(undone_at=utcnow(), undone_by=actor)
            )
            counts = {**counts, "undid": import_id}
            self._record(
                conn,
                actor=actor,
                action="undo_import",
                entity=_ENTITY[kind],
                entity_id=import_id,
                after=counts,
                op="reload",
            )
        return counts

    def clear_city(self, *, actor: str) -> dict[str, int]:
        """Delete the whole city (the demo one, before a real one is imported).

        Refused while a town leader is bound to a town: their account would
        point at nothing. Users, keys and the audit log stay.
        """
        with self._transaction() as conn:
            u = schema.users
            leaders = (
                conn.execute(select(u.c.username).where(u.c.town_code.is_not(None))).scalars().all()
            )
            if leaders:
                raise Conflict(
                    f"town leaders {', '.join(leaders[:5])} are bound to towns: disable "
                    "or remove them before clearing the city"
                )
            counts = {}
            for name in _CITY_CLEAR_ORDER:
                counts[name] = conn.execute(delete(schema.metadata.tables[name])).rowcount
            info = schema.schema_info
            conn.execute(delete(info).where(info.c.key == "city"))
            conn.execute(insert(info).values(key="city", value="own"))
            self._record(
                conn, actor=actor, action="clear_city", entity="city", after=counts, op="reload"
            )
        return counts

    # -------------------------------------------------------------- internals

    def _lock_incidents(self, conn: Connection) -> None:
        """Hold new incidents back while the grids they point at change.

        On PostgreSQL an intake meanwhile could name a grid this import
        removes; SQLite's single writer already waits.
        """
        if self.backend == "postgresql":
            conn.execute(text("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE"))

    def _apply_layer(
        self,
        conn: Connection,
        kind: str,
        before: list[dict],
        incoming: list[dict],
        progress: Progress,
        moves_back: list | None = None,
        whole: bool = False,
    ) -> tuple[dict, dict]:
        table = _LAYERS[kind]
        old, towns, removed, (added, changed, unchanged) = plan_layer(
            kind, table, before, incoming, whole
        )
        self._refuse_orphans(conn, kind, removed)
        total = len(added) + len(changed) + len(removed)
        progress(0, total, "write")
        done = 0
        for start in range(0, len(added), CHUNK):
            conn.execute(insert(table), added[start : start + CHUNK])
            done += len(added[start : start + CHUNK])
            progress(done, total, "write")
        if changed:
            columns = [c.name for c in table.c if c.name != "code"]
            statement = (
                update(table)
                .where(table.c.code == bindparam("b_code"))
                .values({c: bindparam(c) for c in columns})
            )
            for start in range(0, len(changed), CHUNK):
                chunk = changed[start : start + CHUNK]
                conn.execute(
                    statement, [{"b_code": r["code"], **{c: r[c] for c in columns}} for r in chunk]
                )
                done += len(chunk)
                progress(done, total, "write")
        counts = _layer_counts(before, towns, added, changed, unchanged, removed)
        snapshot: dict = {"kind": kind, "rows": [row_to_json(table, row) for row in before]}
        if kind == "grids":
            moves = move_incidents(conn, set(removed), moves_back or [], progress)
            counts.update(move_counts(moves))
            snapshot["moves"] = (
                moves[["id", "old_grid", "new_grid", "old_town", "new_town"]]
                .astype(object)
                .where(moves.notna(), None)
                .values.tolist()
            )
            workers = [old[c]["worker_id"] for c in removed if old[c].get("worker_id")]
            counts["workers_unassigned"] = len(workers)
        elif kind == "communities":
            counts["grids_moved_town"] = follow_community_towns(conn)
        for start in range(0, len(removed), CHUNK):
            conn.execute(delete(table).where(table.c.code.in_(removed[start : start + CHUNK])))
            done += len(removed[start : start + CHUNK])
            progress(done, total, "write")
        return counts, snapshot

    def _refuse_orphans(self, conn: Connection, kind: str, removed: list[str]) -> None:
        """Refuse to remove a town or community that still has children."""
        if not removed:
            return
        held = []
        for child, column in _CHILDREN[kind]:
            n = 0
            for start in range(0, len(removed), CHUNK):
                n += conn.execute(
                    select(func.count())
                    .select_from(child)
                    .where(child.c[column].in_(removed[start : start + CHUNK]))
                ).scalar()
            if n:
                held.append(f"{n:,} {child.name}")
        if held:
            shown = ", ".join(removed[:5]) + (" …" if len(removed) > 5 else "")
            raise Conflict(
                f"{len(removed):,} {kind} of the store are not in the file ({shown}) but still have "
                f"{', '.join(held)}: import those under their new parents first, keep them in the "
                "file, or clear the city to start anew",
            )

    def _save_import(
        self, conn: Connection, kind: str, source: str, actor: str, counts: dict, snapshot: dict
    ) -> int:
        i = schema.imports
        return conn.execute(
            insert(i).returning(i.c.id),
            {
                "kind": kind,
                "source": source[:200],
                "actor": actor,
                "at": utcnow(),
                "counts": json.dumps(counts),
                "snapshot": encode_snapshot(snapshot),
            },
        ).scalar_one()


def _table_rows(conn: Connection, table) -> list[dict]:
    return [dict(row) for row in conn.execute(select(table).order_by(table.c.code)).mappings()]


def _layer_counts(before: list[dict], towns, added, changed, unchanged: int, removed) -> dict:
    """What applying a layer does: features added, updated, unchanged and
    removed, and for a file of some towns only, the other towns' features kept."""
    counts = {
        "added": len(added),
        "updated": len(changed),
        "unchanged": unchanged,
        "removed": len(removed),
    }
    if towns is not None:
        counts["kept_other_towns"] = sum(1 for r in before if r["town_code"] not in towns)
    return counts
