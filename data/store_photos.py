"""Photos as evidence: rows of the photos table (the bytes are in data.media_store).

Mixed into ``data.store.Store``. A row says whose incident a photo belongs
to, the sha256 keys of the photo and its thumbnail in the media store, and
what the camera's EXIF said (position, time) as evidence. Adding one is one
transaction with its audit and change-feed entries; the reads serve the
console, the review, Open311's ``media_url`` and the access check of
``api.media`` (the incident's town; whether a cadre was sent to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
from sqlalchemy import Connection, exists, insert, select

from data import schema
from data.rows import utcnow
from domain.errors import NotFound

PHOTO_COLUMNS = (
    "id",
    "incident_id",
    "sha256",
    "thumb_sha256",
    "content_type",
    "bytes",
    "width",
    "height",
    "exif_lon",
    "exif_lat",
    "taken_at",
    "uploaded_by",
    "uploaded_at",
)
_ROW_FIELDS = frozenset(PHOTO_COLUMNS) - {"id", "incident_id", "uploaded_by", "uploaded_at"}


class PhotoStore:
    """Photos as evidence (needs ``Store``'s ``_frame``, ``_transaction`` and ``_record``)."""

    def add_photo(self, incident_id: int, photo, *, actor: str) -> int:
        """Record a photo of incident ``incident_id`` whose bytes are in the media
        store, in a transaction of its own; returns its id.

        ``photo`` holds sha256, thumb_sha256, content_type, bytes, width,
        height, exif_lon, exif_lat (WGS84 degrees or None) and taken_at (an
        aware time or None): a mapping, or ``services.photos.CheckedPhoto``
        (whose ``data`` gives the bytes). Written with its audit entry and
        change-feed entry (entity "photo"). Raises NotFound for an unknown
        incident and ValueError for a ``photo`` with fields missing or unknown.
        """
        with self._transaction() as conn:
            return self._add_photo(conn, incident_id, photo, actor=actor)

    def _add_photo(self, conn: Connection, incident_id: int, photo, *, actor: str) -> int:
        """``add_photo`` inside the caller's transaction ``conn`` (the field
        app's, which also keeps the action's idempotency record)."""
        fields = _photo_fields(photo)
        p, i = schema.photos, schema.incidents
        row = {
            **fields,
            "incident_id": int(incident_id),
            "uploaded_by": actor[:60],
            "uploaded_at": utcnow(),
        }
        found = conn.execute(select(i.c.id).where(i.c.id == int(incident_id))).first()
        if found is None:
            raise NotFound(f"no incident {incident_id}", zh="没有这个事件")
        new_id = conn.execute(insert(p).values(**row).returning(p.c.id)).scalar_one()
        self._record(
            conn,
            actor=actor,
            action="add_photo",
            entity="photo",
            entity_id=new_id,
            after={**row, "id": new_id},
            op="insert",
            payload={"id": new_id, "incident_id": int(incident_id)},
        )
        return int(new_id)

    def photos_of(self, incident_ids: Iterable[int]) -> pd.DataFrame:
        """The photos of ``incident_ids``, oldest first (by id): the columns of
        ``PHOTO_COLUMNS``; empty with those columns when there are none."""
        wanted = sorted({int(v) for v in incident_ids})
        if not wanted:
            return pd.DataFrame(columns=list(PHOTO_COLUMNS))
        p = schema.photos
        statement = (
            select(*(p.c[name] for name in PHOTO_COLUMNS))
            .where(p.c.incident_id.in_(wanted))
            .order_by(p.c.incident_id, p.c.id)
        )
        return self._frame(statement)

    def photo(self, photo_id: int) -> dict | None:
        """One photo with its incident's ``town_code`` (None when the incident
        lies in no town), for deciding who may see it; None if there is none."""
        p, i = schema.photos, schema.incidents
        statement = (
            select(*(p.c[name] for name in PHOTO_COLUMNS), i.c.town_code)
            .join(i, i.c.id == p.c.incident_id)
            .where(p.c.id == int(photo_id))
        )
        with self.engine.connect() as conn:
            found = conn.execute(statement).mappings().first()
        return dict(found) if found is not None else None

    def was_sent_to(self, cadre_id: int, incident_id: int) -> bool:
        """Whether cadre ``cadre_id`` has or had an assignment on incident
        ``incident_id`` (active, released or declined): such a cadre may see
        its photos."""
        d = schema.dispatches
        statement = select(
            exists().where(d.c.cadre_id == int(cadre_id), d.c.incident_id == int(incident_id))
        )
        with self.engine.connect() as conn:
            return bool(conn.execute(statement).scalar())


def _photo_fields(photo) -> dict:
    """The row fields of ``photo``: a mapping of exactly them, or an object with
    them as attributes (``bytes`` then counted from its ``data``)."""
    if isinstance(photo, Mapping):
        if set(photo) != _ROW_FIELDS:
            wrong = sorted(set(photo) ^ _ROW_FIELDS)
            raise ValueError(f"a photo row has exactly {sorted(_ROW_FIELDS)}; check {wrong}")
        return dict(photo)
    try:
        fields = {name: getattr(photo, name) for name in _ROW_FIELDS - {"bytes"}}
        return {**fields, "bytes": len(photo.data)}
    except AttributeError as error:
        raise ValueError(f"a photo row has exactly {sorted(_ROW_FIELDS)}: {error}") from None
