"""The lifecycle of the demo city's reports: every timestamp, status and rating.

Each report first gets its natural course (registered within minutes, called
back within the category's first-contact limit, dispatched, resolved mostly
within its resolution limit, closed after a check); ``now`` then cuts it, and
some recent hard cases stay open longer, so that the city carries a normal
day's load of open work. Whether a report is resolved late is drawn from its
own chance (``data.demo_breach``); a hard case still open past its deadline is
one of those late ones.

The deadlines are those the product sets on a live report (``domain.sla``,
the default policy: working hours and days on the Chinese calendar), so a
demo incident's clock behaves like a live one's, when parked for instance.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from domain.categories import CATEGORIES
from domain.sla import deadlines

_DAY = 86400.0  # seconds


def policy_deadlines(rep, cat, priority) -> tuple[np.ndarray, np.ndarray]:
    """First-contact and resolution deadlines (epoch seconds) of every report,
    as ``domain.sla.deadlines`` sets them on a live report (default policy)."""
    codes = [c.code for c in CATEGORIES]
    contact, resolve = np.empty(len(rep)), np.empty(len(rep))
    rows = zip(rep.tolist(), cat.tolist(), priority.tolist(), strict=True)
    for i, (seconds, c, p) in enumerate(rows):
        due = deadlines(codes[c], p, dt.datetime.fromtimestamp(round(seconds), dt.UTC))
        contact[i], resolve[i] = due.first_contact_at.timestamp(), due.resolve_at.timestamp()
    return contact, resolve


def lifecycle(
    rng, rep, cat, now_s, open_target: float, breach: np.ndarray, due: tuple
) -> dict[str, np.ndarray]:
    """Status, every timestamp (epoch seconds, NaN for none) and satisfaction.

    Every report first gets its whole natural course, resolved late with the
    chance ``breach`` (per report); then ``now`` cuts it: what lies in the
    future did not happen yet. On top of that some recent reports are stuck
    (hard cases, waiting for parts or owners) and a few are rejected (not a
    matter for the grid). ``due`` holds the first-contact and resolution
    deadlines (``policy_deadlines``).
    """
    n = len(rep)
    due_contact, due_resolve = due
    t = _course(rng, rep, due_contact - rep, due_resolve - rep, breach)
    age = (now_s - rep) / _DAY
    # What is naturally still in its course by now stays open. On top, harder
    # cases (waiting for owners, parts, another department) run longer, mostly
    # still inside their category's limit, scaled so that about
    # ``open_target`` are open in all: a normal day's load. A hard case past
    # its deadline has breached it, so those come from the reports whose
    # course was late anyway.
    natural = t["resolved"] > now_s
    limit_days = (due_resolve - rep) / _DAY
    past_due = age > limit_days
    late_share = max(t["late"][past_due].mean(), 1e-3) if past_due.any() else 1.0
    hard = np.where(past_due, t["late"] / late_share, 1.0)
    tail = np.exp(-((age / (1.4 * limit_days)) ** 2)) * hard
    scale = np.clip((open_target - natural.sum()) / max(tail.sum(), 1e-9), 0, 1)
    stuck = natural | (rng.random(n) < scale * tail)
    rejected = (rng.random(n) < 0.015) & (age > 0.2) & ~stuck
    done = ~stuck & ~rejected & (t["resolved"] <= now_s)
    open_ = ~done & ~rejected
    # Open work stops at the last stage reached by now: 0 reported, 1 registered,
    # 2 dispatched, 3 in progress (half an hour after dispatch).
    reached = (t["registered"] <= now_s).astype(int)
    reached += (t["dispatched"] <= now_s).astype(int) + (t["dispatched"] + 1800 <= now_s)
    wanted = rng.choice(4, n, p=(0.08, 0.2, 0.2, 0.52))
    stage = np.where(stuck, np.minimum(reached, wanted), reached)
    stage[~open_] = 3

    status = np.array(["reported", "registered", "dispatched", "in_progress"], dtype=object)[stage]
    escalated = open_ & (stage >= 1) & (rng.random(n) < 0.12)
    status[escalated] = "escalated"
    checking = done & (t["closed"] > now_s)  # resolved, being checked
    status[checking] = np.where(rng.random(n) < 0.5, "resolved", "verified")[checking]
    status[done & ~checking] = "closed"
    status[rejected] = "rejected"

    nan = np.full(n, np.nan)
    out = {
        "reported_at": rep,
        "registered_at": np.where(~rejected & (stage >= 1), t["registered"], nan),
        "first_contact_at": np.where((stage >= 1) & (t["contact"] <= now_s), t["contact"], nan),
        "dispatched_at": np.where(~rejected & (stage >= 2), t["dispatched"], nan),
        "resolved_at": np.where(done, t["resolved"], nan),
        "closed_at": np.where(done & ~checking, t["closed"], nan),
    }
    # A rejected report gets a call that explains why, and nothing else.
    call = np.minimum(rep + 600 + rng.exponential(2400, n), now_s)
    out["first_contact_at"] = np.where(rejected, call, out["first_contact_at"])
    updated = np.nanmax(np.column_stack(list(out.values())), axis=1)
    verified = status == "verified"
    updated[verified] = (t["resolved"] + 0.5 * (np.minimum(t["closed"], now_s) - t["resolved"]))[
        verified
    ]
    updated[escalated] += rng.uniform(0, 0.5, escalated.sum()) * (now_s - updated[escalated])
    return {
        **out,
        "due_contact_at": due_contact,
        "due_resolve_at": due_resolve,
        "updated_at": updated,
        "status": status,
        "satisfaction": _satisfaction(rng, status == "closed", t["late"]),
    }


def _course(rng, rep, fc_h, res_h, breach) -> dict[str, np.ndarray]:
    """The natural course of every report (epoch seconds) and whether it is late.

    Registered within minutes; called back well within its first-contact
    limit (``fc_h`` seconds after the report; 5 % late); dispatched after the
    call; resolved within its resolution limit (``res_h`` seconds), or after
    it with the chance ``breach``; closed after a check.
    """
    n = len(rep)
    reg = rep + 60 + np.minimum(rng.exponential(600, n), 7200)
    contact = reg + np.maximum(120, fc_h * rng.beta(1.6, 4, n))
    late = rng.random(n) < 0.05
    contact[late] = rep[late] + fc_h[late] * rng.uniform(1.0, 2.0, late.sum())
    contact = np.maximum(contact, reg + 120)
    dis = contact + 180 + rng.exponential(1500, n)
    # On time means before the deadline (a minute to spare), unless the call
    # and dispatch alone used it up.
    res = np.minimum(dis + np.maximum(1800, res_h * rng.beta(2, 3, n)), rep + res_h - 60)
    late = rng.random(n) < breach
    res[late] = rep[late] + res_h[late] * rng.uniform(1, 2.2, late.sum())
    res = np.maximum(res, dis + 1800)
    closed = res + 3600 + rng.exponential(36000, n)
    return {
        "registered": reg,
        "contact": contact,
        "dispatched": dis,
        "resolved": res,
        "closed": closed,
        "late": res > rep + res_h,
    }


def _satisfaction(rng, closed: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Rating 1 (worst) to 5 (best), None if not rated: most closed reports are
    rated, late ones less kindly; 4 and 5 count as satisfied."""
    u = rng.random(len(closed))
    on_time = np.select([u < 0.78, u < 0.94, u < 0.98, u < 0.995], [5, 4, 3, 2], 1)
    delayed = np.select([u < 0.45, u < 0.70, u < 0.85, u < 0.95], [5, 4, 3, 2], 1)
    rated = closed & (rng.random(len(closed)) < 0.88)
    return np.where(rated, np.where(late, delayed, on_time), None)
