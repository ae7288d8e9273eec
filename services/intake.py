"""Intake: a report placed on the city's grids and stored, once.

The HTTP fronts (Open311 and the intake lane) parse and answer; this places
the report with the boundaries in force and hands it to the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from data.intake_writer import OutcomeUnknown
from data.store_intake import Replay, StaleGeometry
from domain.errors import InvalidInput
from domain.intake import prepare_report
from services.places import places

__all__ = ["OutcomeUnknown", "Replay", "store_report"]

Answer = Callable[[str, str], tuple[int, str, str]]  # (public id, notice) -> status, body, type


PLACING_ATTEMPTS = 3  # boundaries replaced twice while one report is being stored: rare


def store_report(
    store,
    fields: dict,
    client,
    claim,
    answer: Answer,
    *,
    admit: Callable[[], None] | None = None,
    then: Callable | None = None,
) -> tuple[str, str]:
    """Place the report with this worker's boundaries and store it; (notice, public id).

    ``answer(public_id, notice)`` is the response kept with an idempotency
    ``claim``, so that a retried request is answered as the first was.

    ``admit()``, if given, is called once the report has passed every check
    and before it is stored; it refuses it by raising (the intake lane's
    rate limit, counted only for reports that would be stored).

    ``then(conn, incident_id)``, if given, writes in the report's own
    transaction what belongs with it (the residents' page: photos, follower).

    The boundaries are checked where it costs one read per group transaction,
    not per report: the write refuses a report placed with boundaries an
    import has replaced (``StaleGeometry``), and a refusal as outside the city
    is checked against the boundaries in force. Either way the report is
    placed again with the new ones.
    """
    in_force = None
    for attempt in range(1, PLACING_ATTEMPTS + 1):
        found = places(store, in_force=in_force)
        try:
            report = prepare_report(
                fields, found, now=dt.datetime.now(dt.UTC), policy=store.sla_policy
            )
        except InvalidInput:
            if attempt < PLACING_ATTEMPTS:  # outside these boundaries: are they still in force?
                in_force = store.geometry_version()
                if in_force != found.version:
                    continue
            raise

        if admit is not None:
            admit()
            admit = None

        def respond_with(public_id: str, notice=report.notice) -> tuple[int, str, str]:
            return answer(public_id, notice)

        try:
            _, public_id = store.add_report(
                {**report.values, "client_id": client.id},
                actor=f"open311:{client.name}",
                claim=claim,
                respond=respond_with,
                placed_with=found.version if attempt < PLACING_ATTEMPTS else None,
                then=then,
            )
        except StaleGeometry as moved:
            in_force = moved.version
            continue
        return report.notice, public_id
    raise AssertionError("unreachable: the last attempt does not check the boundaries")
