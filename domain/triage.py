"""The order of the dispatch desk's queue: what needs a person's hand first.

New reports that nobody has registered yet come first: each waits for a
first look and a call back, and a new urgent report (a waist-deep underpass)
has no breach risk yet to lift it. Among them the urgent first, then the
riskiest, then the one waiting longest (first come, first served, as a 12345
work-order desk has it). Then the work already under way: riskiest first
(the breach model's figure), then by priority, then waiting longest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEW = "reported"  # 受理: not yet registered


def attention_rank(frame: pd.DataFrame) -> pd.Series:
    """0 for the row to look at first, 1 for the next ... (index of ``frame``).

    ``frame`` has status (codes), priority (1 urgent .. 4 low), risk (a
    percentage, NaN without a model) and reported_at.
    """
    if not len(frame):
        return pd.Series([], dtype=int, index=frame.index)
    new = frame["status"].eq(NEW)
    risk = pd.to_numeric(frame["risk"], errors="coerce").astype(float)
    priority = frame["priority"].astype(int)
    key = pd.DataFrame(
        {
            "tier": (~new).astype(int),
            "urgent": priority.where(new, 0),  # new reports: by priority before risk
            "risk": (-risk).fillna(np.inf),  # riskiest first, no figure last
            "priority": priority,
            "waiting": pd.to_datetime(frame["reported_at"], utc=True).astype("int64"),
        },
        index=frame.index,
    )
    columns = ["tier", "urgent", "risk", "priority", "waiting"]
    order = key.sort_values(columns, kind="stable").index
    return pd.Series(np.arange(len(frame)), index=order).reindex(frame.index)
