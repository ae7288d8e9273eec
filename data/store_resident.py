"""The store's part for the residents' reporting page (issue 21).

Mixed into ``data.store.Store``. A resident follows a case with a private
link whose token is never stored, only its SHA-256 (``resident_follows``):
the case's first reporter, one who found it again by case number and the
phone's last digits, or a neighbour who said "me too". Residents report
through the Open311 intake as one client, ``RESIDENT_CLIENT``, a key row
that is revoked from birth so that no key can ever sign in as it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from data import rows, schema
from data.store_intake import Claim
from data.store_keys import Client
from domain.errors import Conflict, InvalidInput, NotFound
from domain.lifecycle import OPEN_STATUSES
from domain.services import PERSONAL_SERVICES

RESIDENT_CLIENT = "居民报事 residents' page"
RESIDENT_ACTOR = "resident"  # how the audit log names a resident: never their phone

# What a resident may read of a case: nothing of its reporter or cadres.
_CASE_COLUMNS = (
    "id",
    "public_id",
    "category",
    "status",
    "address",
    "grid_code",
    "town_code",
    "lon",
    "lat",
    "reported_at",
    "resolved_at",
    "closed_at",
    "merged_into",
    "resolution",
    "satisfaction",
    "rated_at",
)


def _case_select():
    """Incidents with their grid's and town's names, public columns only."""
    i, g, t = schema.incidents, schema.grids, schema.towns
    return select(
        *(i.c[name] for name in _CASE_COLUMNS),
        g.c.name.label("grid_name"),
        t.c.name.label("town_name"),
    ).select_from(i.outerjoin(g, g.c.code == i.c.grid_code).outerjoin(t, t.c.code == i.c.town_code))


class ResidentStore:
    """Residents' follows, ratings and "me too" (needs ``Store``'s engine,
    ``_transaction``, ``_record`` and ``_move_incident``)."""

    # ------------------------------------------------------------- the client

    def resident_client(self) -> Client:
        """The Open311 client residents report as (made on first use, revoked)."""
        cached = getattr(self, "_resident_client", None)
        if cached is not None:
            return cached
        k = schema.api_keys
        find = select(k.c.id).where(k.c.name == RESIDENT_CLIENT, k.c.prefix == "resident")
        with self.engine.connect() as conn:
            found = conn.execute(find).scalar()
        if found is None:
            now = rows.utcnow()
            with self._transaction() as conn:
                found = conn.execute(find).scalar()
                if found is None:
                    unusable = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
                    found = conn.execute(
                        insert(k)
                        .values(
                            name=RESIDENT_CLIENT,
                            key_hash=unusable,
                            prefix="resident",
                            created_at=now,
                            revoked_at=now,
                            scopes="open311",
                        )
                        .returning(k.c.id)
                    ).scalar_one()
                    self._record(
                        conn,
                        actor="system",
                        action="create_api_key",
                        entity="api_key",
                        entity_id=found,
                        after={"name": RESIDENT_CLIENT, "revoked": True},
                        feed=False,
                    )
        self._resident_client = Client(int(found), RESIDENT_CLIENT, ("open311",))
        return self._resident_client

    # ---------------------------------------------------------------- follows

    def _follow(self, conn: Connection, incident_id: int, token_hash: str, kind: str, device):
        f = schema.resident_follows
        new_id = conn.execute(
            insert(f)
            .values(
                incident_id=int(incident_id),
                token_hash=token_hash,
                kind=kind,
                device=(device or None) and str(device)[:64],
                created_at=rows.utcnow(),
            )
            .returning(f.c.id)
        ).scalar_one()
        self._record(
            conn,
            actor=RESIDENT_ACTOR,
            action="follow",
            entity="resident_follow",
            entity_id=new_id,
            after={"incident_id": int(incident_id), "kind": kind},
            feed=False,
        )
        return int(new_id)

    def resident_report_writes(
        self, token_hash: str, device: str | None, photos: list, actor: str
    ) -> Callable[[Connection, int], None]:
        """What a resident's report writes in its own transaction once its row
        is in (``IntakeStore.add_report``'s ``then``): its photos (whose bytes
        are already in the media store) and its reporter's follow."""

        def then(conn: Connection, incident_id: int) -> None:
            for photo in photos:
                self._add_photo(conn, incident_id, photo, actor=actor)
            self._follow(conn, incident_id, token_hash, "reporter", device)

        return then

    def followed_case(self, token_hash: str) -> dict | None:
        """The case a follow link's token follows (public columns), or None."""
        f = schema.resident_follows
        statement = _case_select().where(
            schema.incidents.c.id
            == select(f.c.incident_id).where(f.c.token_hash == token_hash).scalar_subquery()
        )
        found = self._listing(statement)
        return found.iloc[0].to_dict() if len(found) else None

    def public_case(self, incident_id: int) -> dict | None:
        """One case's public columns, or None."""
        found = self._listing(_case_select().where(schema.incidents.c.id == int(incident_id)))
        return found.iloc[0].to_dict() if len(found) else None

    def lookup_case(
        self, public_id: str, phone_tail: str, token_hash: str, device: str | None
    ) -> int:
        """Follow the case ``public_id`` if its reporter's phone ends in
        ``phone_tail``: a new link for its reporter; the incident id.

        Raises NotFound (the same for a wrong number and a wrong tail, so the
        answer tells nobody which cases exist)."""
        i = schema.incidents
        with self._transaction() as conn:
            row = conn.execute(
                select(i.c.id, i.c.reporter_phone).where(i.c.public_id == public_id)
            ).first()
            phone = str(row.reporter_phone or "") if row is not None else ""
            if row is None or len(phone) < 4 or not phone.endswith(phone_tail):
                raise NotFound(
                    "no case with this number and these last four digits of the phone",
                    zh="没有找到该编号和手机尾号对应的案件，请核对后重试",
                )
            self._follow(conn, row.id, token_hash, "reporter", device)
        return int(row.id)

    def me_too_counts(self, incident_ids) -> dict[int, int]:
        """{incident id: how many residents said "me too"} for those with any."""
        ids = [int(x) for x in incident_ids]
        if not ids:
            return {}
        f = schema.resident_follows
        statement = (
            select(f.c.incident_id, func.count())
            .where(f.c.incident_id.in_(ids), f.c.kind == "me_too")
            .group_by(f.c.incident_id)
        )
        with self.engine.connect() as conn:
            return {int(a): int(b) for a, b in conn.execute(statement)}

    def add_me_too(
        self,
        public_id: str,
        token_hash: str,
        device: str,
        *,
        claim: Claim | None = None,
        respond: Callable[[], tuple[int, str, str]] | None = None,
    ) -> int:
        """A resident says "me too" to the open case ``public_id`` and follows
        it; one transaction with the audit, the change feed (the case's count
        of supporters) and the idempotency answer. Returns the incident id.

        Raises NotFound (no such case), InvalidInput (the case is no longer
        open) or Conflict (this device already said so)."""
        i, f = schema.incidents, schema.resident_follows
        with self._transaction() as conn:
            row = (
                conn.execute(select(i).where(i.c.public_id == public_id).with_for_update())
                .mappings()
                .first()
            )
            if row is None or row["category"] in PERSONAL_SERVICES:  # not shown: not found
                raise NotFound(f"no case {public_id}", zh=f"没有编号为 {public_id} 的案件")
            if row["status"] not in OPEN_STATUSES:
                raise InvalidInput(
                    f"case {public_id} is no longer open", zh=f"案件 {public_id} 已办结，无需附议"
                )
            kinds = set(
                conn.execute(
                    select(f.c.kind).where(f.c.incident_id == row["id"], f.c.device == device[:64])
                ).scalars()
            )
            if "me_too" in kinds:
                raise Conflict(
                    f"this phone already said me too to case {public_id}",
                    zh="您已对该案件表示“我也遇到了”",
                )
            if kinds:  # the reporter, or one who looked it up with the reporter's phone
                raise Conflict(
                    f"this phone reported case {public_id} itself",
                    zh="这是您本人反映的案件，无需附议",
                )
            self._follow(conn, row["id"], token_hash, "me_too", device)
            count = conn.execute(
                select(func.count()).where(f.c.incident_id == row["id"], f.c.kind == "me_too")
            ).scalar_one()
            self._record(
                conn,
                actor=RESIDENT_ACTOR,
                action="me_too",
                entity="incident",
                entity_id=row["id"],
                after={"me_too_count": int(count)},
                payload={**rows.feed_incident(dict(row)), "me_too_count": int(count)},
            )
            self._finish_claim(conn, claim, respond)
        return int(row["id"])

    # ----------------------------------------------------------------- rating

    def resident_rate(
        self,
        incident_id: int,
        rating: int,
        comment: str,
        *,
        claim: Claim | None = None,
        respond: Callable[[str], tuple[int, str, str]] | None = None,
    ) -> str:
        """The resident's rating of a resolved case; its status after.

        A closed case takes the lifecycle's ``rate`` (1–2 reopens it). A case
        resolved or verified but not yet closed keeps its rating; 1–2 reopens
        it (the lifecycle's ``reopen``, the comment as its note). A case is
        rated once per resolution. Raises InvalidInput otherwise.
        """
        note = f"居民评价 {rating} 分 resident rated {rating}" + (f"：{comment}" if comment else "")
        with self._transaction() as conn:
            incident = self._incident_for_update(conn, incident_id)
            if not can_rate(incident):
                raise InvalidInput(
                    "this case can be rated once it is resolved, once per resolution",
                    zh="案件办结后才能评价，每次办结只能评价一次",
                )
            before = incident["status"]
            now = rows.utcnow()
            if before == "closed":
                self._move_incident(
                    conn, incident, "rate", actor=RESIDENT_ACTOR, at=now, rating=rating
                )
            else:
                if rating <= 2:
                    self._move_incident(
                        conn, incident, "reopen", actor=RESIDENT_ACTOR, at=now, note=note[:500]
                    )
                i = schema.incidents
                conn.execute(
                    update(i)
                    .where(i.c.id == incident_id)
                    .values(satisfaction=rating, rated_at=now, updated_at=now)
                )
            self._record(
                conn,
                actor=RESIDENT_ACTOR,
                action="rate",
                entity="incident",
                entity_id=incident_id,
                before={"status": before},
                after={"status": incident["status"], "rating": rating, "comment": comment},
                payload=rows.feed_incident(incident),
            )
            after = str(incident["status"])
            self._finish_claim(conn, claim, respond and (lambda: respond(after)))
        return str(incident["status"])

    # ----------------------------------------------------------------- nearby

    def open_cases_in(self, west: float, south: float, east: float, north: float, limit=200):
        """Open cases inside a box (public columns), newest first."""
        i = schema.incidents
        statement = (
            _case_select()
            .where(
                i.c.status.in_(sorted(OPEN_STATUSES)),
                i.c.lon.between(west, east),
                i.c.lat.between(south, north),
            )
            .order_by(i.c.reported_at.desc())
            .limit(limit)
        )
        return self._listing(statement)

    # ------------------------------------------------------------ idempotency

    def _finish_claim(self, conn: Connection, claim, respond) -> None:
        """Keep the answer of an idempotent request in the write's transaction."""
        if claim is None or respond is None:
            return
        from data.store_intake import _IDEMPOTENCY_DONE

        status, body, content_type = respond()
        conn.execute(
            _IDEMPOTENCY_DONE,
            {
                "claim_client": claim.client_id,
                "claim_key": claim.key,
                "answer_status": status,
                "answer_body": body,
                "answer_type": content_type,
                "answer_at": rows.utcnow(),
            },
        )


def can_rate(case: dict) -> bool:
    """Whether a resident may rate the case now: resolved (or on, to closed)
    and not rated since it was last resolved."""
    if case.get("status") not in ("resolved", "verified", "closed"):
        return False
    rated, resolved = case.get("rated_at"), case.get("resolved_at")
    if rated is None or pd.isna(rated):
        return True
    return resolved is not None and not pd.isna(resolved) and rated < resolved
