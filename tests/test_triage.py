"""The dispatch desk's queue order (domain.triage): new reports first (urgent,
riskiest, waiting longest), then the work under way riskiest first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.triage import attention_rank


def queue(rows):
    frame = pd.DataFrame(rows, columns=["name", "status", "priority", "risk", "reported_at"])
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    return frame.set_index("name")


def order(frame) -> list[str]:
    return list(attention_rank(frame).sort_values().index)


def test_a_new_urgent_report_comes_before_risky_work_under_way():
    frame = queue(
        [
            ("risky", "dispatched", 3, 92.0, "2026-12-05 08:00"),
            ("new normal", "reported", 3, 1.0, "2026-12-07 09:00"),
            ("new urgent", "reported", 1, 1.0, "2026-12-07 08:00"),  # a waist-deep underpass
            ("calm", "in_progress", 2, 5.0, "2026-12-06 08:00"),
            ("newer normal", "reported", 3, np.nan, "2026-12-07 10:00"),
            ("old normal", "reported", 3, 1.0, "2026-12-06 09:00"),
            ("stuck normal", "reported", 3, 95.0, "2026-12-07 09:30"),
        ]
    )
    assert order(frame) == [
        "new urgent",
        "stuck normal",  # most likely to breach
        "old normal",  # then first come, first served
        "new normal",
        "newer normal",  # no figure: last of its priority
        "risky",
        "calm",
    ]


def test_without_a_model_the_work_under_way_goes_by_priority_then_waiting_longest():
    frame = queue(
        [
            ("old high", "registered", 2, np.nan, "2026-12-01 08:00"),
            ("new low", "registered", 4, np.nan, "2026-12-07 08:00"),
            ("new high", "dispatched", 2, np.nan, "2026-12-06 08:00"),
        ]
    )
    assert order(frame) == ["old high", "new high", "new low"]
    assert attention_rank(frame.iloc[:0]).empty
