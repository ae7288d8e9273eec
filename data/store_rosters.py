"""The store's part for importing a city's people (issue 9): cadre rosters by
phone and the department–town pairings, each all or nothing and undoable.

Mixed into ``data.store.Store``; ``ImportStore`` records the imports and
calls ``_undo_table`` to undo these. Rows come checked from
``domain.roster``.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from data import schema
from data.layer_rows import row_from_json, row_to_json
from data.store_import import CHUNK
from domain.errors import Conflict


class RosterStore:
    """Import cadres and pairings."""

    def import_cadres(
        self, roster: list[dict], new_departments: list[str], *, actor: str, source: str
    ) -> dict:
        """Apply a checked roster (``domain.roster.check_cadres`` rows), by phone.

        A person already in the store (same phone) is updated and keeps their
        status and position; a new one starts available. Grid workers take
        the grids the roster names, and give up the ones it no longer does.
        People not in the roster stay. Departments the roster names that do
        not exist are created.
        """
        k, g, d = schema.cadres, schema.grids, schema.departments
        with self._transaction() as conn:
            created = self._create_departments(conn, new_departments)
            department_id = dict(conn.execute(select(d.c.name, d.c.id)).all())
            stored = {r["phone"]: dict(r) for r in conn.execute(select(k)).mappings()}
            grids_before = [
                list(r)
                for r in conn.execute(
                    select(g.c.code, g.c.worker_id).where(g.c.worker_id.is_not(None))
                )
            ]
            added, updated, unchanged, worker_grids = 0, [], 0, {}
            # Ids are given here: the demo city's were loaded with theirs, so a
            # PostgreSQL sequence would hand out ids already taken.
            next_id = conn.execute(select(func.coalesce(func.max(k.c.id), 0))).scalar()
            for person in roster:
                values = {
                    "name": person["name"],
                    "role": person["role"],
                    "department_id": department_id.get(person["department"]),
                    "town_code": person["town_code"],
                    "skills": person["skills"] or "",
                }
                before = stored.get(person["phone"])
                if before is None:
                    next_id += 1
                    cadre_id = conn.execute(
                        insert(k).returning(k.c.id),
                        {"id": next_id, **values, "phone": person["phone"], "status": "available"},
                    ).scalar_one()
                    added += 1
                else:
                    cadre_id = before["id"]
                    if any(before[key] != value for key, value in values.items()):
                        conn.execute(update(k).where(k.c.id == cadre_id).values(values))
                        updated.append(row_to_json(k, before))
                    else:
                        unchanged += 1
                if person["role"] == "grid_worker":
                    worker_grids[cadre_id] = [
                        c for c in (person["grid_code"] or "").split(",") if c
                    ]
            if worker_grids:
                conn.execute(
                    update(g).where(g.c.worker_id.in_(list(worker_grids))).values(worker_id=None)
                )
                for cadre_id, codes in worker_grids.items():
                    conn.execute(update(g).where(g.c.code.in_(codes)).values(worker_id=cadre_id))
            counts = {
                "added": added,
                "updated": len(updated),
                "unchanged": unchanged,
                "not_in_file": len(set(stored) - {p["phone"] for p in roster}),
                "departments_created": len(created),
                "grids_with_worker": sum(len(c) for c in worker_grids.values()),
            }
            new_phones = [p["phone"] for p in roster if p["phone"] not in stored]
            snapshot = {
                "kind": "cadres",
                "rows": updated,
                "added_phones": new_phones,
                "departments": created,
                "grid_workers": grids_before,
            }
            counts["import_id"] = self._save_import(conn, "cadres", source, actor, counts, snapshot)
            self._record(
                conn,
                actor=actor,
                action="import_cadres",
                entity="cadre",
                entity_id=counts["import_id"],
                after={"source": source, **counts},
                op="reload",
            )
        return counts

    def import_pairings(
        self, pairs: list[tuple[str, str]], new_departments: list[str], *, actor: str, source: str
    ) -> dict:
        """Make the department–town pairings exactly ``pairs`` (name, town code)."""
        p, d = schema.pairings, schema.departments
        with self._transaction() as conn:
            created = self._create_departments(conn, new_departments)
            department_id = dict(conn.execute(select(d.c.name, d.c.id)).all())
            before = {tuple(r) for r in conn.execute(select(p.c.department_id, p.c.town_code))}
            after = {(department_id[name], town) for name, town in pairs}
            conn.execute(delete(p))
            if after:
                conn.execute(
                    insert(p), [{"department_id": i, "town_code": t} for i, t in sorted(after)]
                )
            counts = {
                "pairs": len(after),
                "added": len(after - before),
                "removed": len(before - after),
                "departments_created": len(created),
            }
            snapshot = {"kind": "pairings", "pairs": sorted(before), "departments": created}
            counts["import_id"] = self._save_import(
                conn, "pairings", source, actor, counts, snapshot
            )
            self._record(
                conn,
                actor=actor,
                action="import_pairings",
                entity="pairing",
                entity_id=counts["import_id"],
                after={"source": source, **counts},
                op="reload",
            )
        return counts

    def _create_departments(self, conn: Connection, names: list[str]) -> list[str]:
        d = schema.departments
        existing = set(conn.execute(select(d.c.name)).scalars())
        created = [name for name in dict.fromkeys(names) if name not in existing]
        if created:
            first = conn.execute(select(func.coalesce(func.max(d.c.id), 0))).scalar() + 1
            conn.execute(
                insert(d),
                [
                    {"id": first + n, "name": name, "name_en": name}
                    for n, name in enumerate(created)
                ],
            )
        return created

    def _undo_table(self, conn: Connection, kind: str, snapshot: dict) -> dict:
        """Put back the cadres or pairings an import replaced.

        Refused (``Conflict``) when a person the import added has since been
        sent somewhere, or a department it created is used by a later change.
        """
        k, g, p, d = schema.cadres, schema.grids, schema.pairings, schema.departments
        try:
            if kind == "pairings":
                conn.execute(delete(p))
                if snapshot["pairs"]:
                    conn.execute(
                        insert(p),
                        [{"department_id": i, "town_code": t} for i, t in snapshot["pairs"]],
                    )
                counts = {"pairs": len(snapshot["pairs"])}
            else:
                conn.execute(update(g).values(worker_id=None))
                for row in snapshot["rows"]:
                    restored = row_from_json(k, row)
                    conn.execute(update(k).where(k.c.id == restored["id"]).values(restored))
                added = snapshot["added_phones"]
                for start in range(0, len(added), CHUNK):
                    conn.execute(delete(k).where(k.c.phone.in_(added[start : start + CHUNK])))
                statement = (
                    update(g)
                    .where(g.c.code == bindparam("b_code"))
                    .values(worker_id=bindparam("w"))
                )
                if snapshot["grid_workers"]:
                    conn.execute(
                        statement, [{"b_code": c, "w": w} for c, w in snapshot["grid_workers"]]
                    )
                counts = {"restored": len(snapshot["rows"]), "removed": len(added)}
            if snapshot["departments"]:
                conn.execute(delete(d).where(d.c.name.in_(snapshot["departments"])))
        except IntegrityError:
            raise Conflict(
                f"the {kind} this import added are in use since (sent to incidents, "
                "or named by a later import): undo is refused, nothing changed"
            ) from None
        return counts
