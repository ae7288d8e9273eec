"""The number a citizen and a cadre read for an incident, one format for all.

Every way an incident comes in (an Open311 report from the mini-program, the
hotline or a grid worker's patrol app, an event's task, the demo seed) is
numbered the same way: ``JZ`` + the Beijing date it was reported (yymmdd) +
its row id, at least six digits. The row id makes the number unique without a
per-day counter that two writers could both take; the date makes it readable
on the phone and sortable. Numbers stored before this rule (the seed once
used a four-digit daily counter) stay as they were.
"""

from __future__ import annotations

import datetime as dt
import re

PREFIX = "JZ"
BEIJING = dt.timezone(dt.timedelta(hours=8))
# What every number made here looks like (the row id may outgrow six digits).
PATTERN = re.compile(rf"{PREFIX}\d{{6}}\d{{6,}}")


def public_id_for(incident_id: int, reported_at: dt.datetime) -> str:
    """An incident's public number.

    Parameters
    ----------
    incident_id : int
        The incident's row id (positive).
    reported_at : datetime
        When it was reported; a naive time is taken as UTC.

    Returns
    -------
    str
        E.g. ``JZ261206030008`` for row 30008 reported on 6 December 2026
        (Beijing time).
    """
    return f"{public_id_prefix(reported_at)}{int(incident_id):06d}"


def public_id_prefix(reported_at: dt.datetime) -> str:
    """What every public number of an incident reported at ``reported_at`` starts
    with (``JZ`` and the Beijing date): the part known before its row id."""
    if reported_at.tzinfo is None:
        reported_at = reported_at.replace(tzinfo=dt.UTC)
    local = reported_at.astimezone(BEIJING)
    return f"{PREFIX}{local.year % 100:02d}{local.month:02d}{local.day:02d}"
