"""The open work that still needs hands: incidents, their headcount, who is on them."""

from __future__ import annotations

import pandas as pd

# Statuses in which an incident can take cadres; "reported" is registered on the way.
DISPATCHABLE = ("reported", "registered", "escalated", "dispatched", "in_progress")


def remaining_need(incidents: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    """Incidents that still need cadres, with ``headcount`` set to the hands missing.

    Parameters
    ----------
    incidents : DataFrame
        As ``Store.incidents()``: id, status, headcount, and the rest.
    active : DataFrame
        Assignments not yet released, with an ``incident_id`` column.

    Returns the dispatchable incidents whose headcount exceeds the cadres
    already on them, with ``headcount`` the number still missing and
    ``assigned`` the number already sent.
    """
    if not len(incidents):
        return incidents.assign(assigned=pd.Series(dtype=int))
    sent = active.groupby("incident_id").size() if len(active) else pd.Series(dtype=int)
    frame = incidents[incidents["status"].isin(DISPATCHABLE)].copy()
    frame["assigned"] = frame["id"].map(sent).fillna(0).astype(int)
    frame["headcount"] = frame["headcount"].astype(int) - frame["assigned"]
    return frame[frame["headcount"] > 0].reset_index(drop=True)
