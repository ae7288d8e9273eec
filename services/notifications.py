"""The delivery worker: sends what the outbox holds, and finds what nobody did.

``deliver_once`` claims the due notifications (``Store.due_notifications``),
sends each by its transport (``services.notification_transports``) and
records the outcome: sent, or failed and tried again after an exponential
backoff with jitter, until ``MAX_ATTEMPTS`` tries have failed. A cadre's
notifications wait for the field app, which fetches them from
/api/v1/field/me (``Store.mark_fetched``); only with ``GC_SMS_CADRES`` does
the worker send an SMS for one the phone has not fetched in time.

``scan`` finds what nobody did and tells the desk once: a mobilised cadre
whose last check-in is older than their event's interval (one notice per
cadre per overdue period), a dispatch nobody accepted within
``GC_ACK_MINUTES`` (one per dispatch). ``run_forever`` does both until told
to stop; ``python app.py notify`` runs it, and ``serve`` starts that.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from domain.checkins import overdue
from domain.notices import (
    MAX_ATTEMPTS,
    checkin_reminder,
    overdue_notice,
    retry_delay_s,
    unacknowledged_notice,
)
from services.notification_transports import DeliveryError, Transports

BATCH = 50  # notifications claimed at once
SENDERS = 4  # sent side by side: one slow gateway does not hold up the rest
POLL_S = 1.0  # how often an idle worker looks for due notifications
SCAN_S = 30.0  # how often it looks for overdue check-ins and unacknowledged tasks
_NOT_CONFIGURED = {
    "desk": "no webhook configured (GC_NOTIFY_WEBHOOK)",
    "reporter": "no SMS gateway configured (GC_SMS_URL)",
    "cadre": "no SMS to cadres configured (GC_SMS_URL, GC_SMS_CADRES)",
}


@dataclass
class Outcome:
    """What one round did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def deliver_once(
    store,
    transports: Transports,
    *,
    now: dt.datetime | None = None,
    limit: int = BATCH,
    max_attempts: int = MAX_ATTEMPTS,
    rng: random.Random | None = None,
) -> Outcome:
    """Claim the notifications due at ``now`` and send each; returns the counts.

    A notification no configured transport can reach (the desk's with no
    webhook, a reporter's with no SMS gateway) fails at once, saying which
    setting is missing. Another failure is tried again ``retry_delay_s``
    later, and fails for good after ``max_attempts`` tries.
    """
    now = now or _utcnow()
    kinds = ["desk", "reporter"]
    if transports.sms_url and transports.sms_cadres:
        kinds.append("cadre")
    claimed = store.due_notifications(now, limit, recipient_kinds=kinds)
    outcome = Outcome(claimed=len(claimed))
    if not claimed:
        return outcome

    def attempt(notification: dict) -> tuple[dict, str | None, str | None]:
        transport = transports.transport_for(notification)
        if transport is None:
            return notification, None, _NOT_CONFIGURED[notification["recipient_kind"]]
        try:
            transports.send(transport, notification)
        except DeliveryError as error:
            return notification, transport, str(error)
        except Exception as error:  # a bug in one message must not stop the others
            return notification, transport, f"{error.__class__.__name__}: {error}"
        return notification, transport, None

    with ThreadPoolExecutor(max_workers=min(SENDERS, len(claimed))) as pool:
        results = list(pool.map(attempt, claimed))
    for notification, transport, error in results:
        if error is None:
            store.mark_sent(notification["id"], transport, _utcnow())
            outcome.sent += 1
        elif transport is None or notification["attempts"] >= max_attempts:
            store.mark_failed(notification["id"], error, None)
            outcome.failed += 1
        else:
            delay = retry_delay_s(notification["attempts"], rng=rng)
            store.mark_failed(notification["id"], error, now + dt.timedelta(seconds=delay))
            outcome.retrying += 1
    return outcome


# ------------------------------------------------------------------ scans


def scan_overdue_checkins(store, now: dt.datetime | None = None) -> list[int]:
    """Tell the desk of each mobilised cadre who missed a check-in, and remind
    the cadre on their phone: once per overdue period (a check-in starts a new
    one). Returns the rows written."""
    now = now or _utcnow()
    mobilised = store.mobilised_for_checkins()
    notices = []
    for event_id, rows in mobilised.groupby("event_id", sort=True):
        minutes = int(rows["checkin_minutes"].iloc[0])
        seen = rows.dropna(subset=["last_checkin_at"])
        checkins = pd.DataFrame({"cadre_id": seen["cadre_id"], "at": seen["last_checkin_at"]})
        late = overdue(rows[["cadre_id", "incident_id", "sent_at"]], checkins, minutes, now)
        names = dict(zip(rows["cadre_id"], rows["cadre_name"], strict=True))
        for r in late.itertuples(index=False):
            payload = overdue_notice(
                event_id=int(event_id),
                event_name=str(rows["event_name"].iloc[0]),
                cadre_id=int(r.cadre_id),
                cadre_name=str(names[r.cadre_id]),
                last_seen_at=pd.Timestamp(r.last_seen_at).to_pydatetime(),
                minutes=minutes,
            )
            notices.append(_desk("checkin_overdue", int(r.incident_id), payload))
            reminder = checkin_reminder(
                payload, event_name=str(rows["event_name"].iloc[0]), minutes=minutes
            )
            notices.append(
                {
                    "kind": "checkin_overdue",
                    "recipient_kind": "cadre",
                    "recipient": str(int(r.cadre_id)),
                    "incident_id": int(r.incident_id),
                    "payload": reminder,
                }
            )
    return store.enqueue_once(notices, at=now)


def scan_unacknowledged(store, ack_minutes: int, now: dt.datetime | None = None) -> list[int]:
    """Tell the desk, once per dispatch, of a task nobody accepted in time."""
    now = now or _utcnow()
    acks = store.acknowledgements(None, ack_minutes=ack_minutes, now=now)
    late = acks[acks["unacknowledged"].astype(bool)] if len(acks) else acks
    notices = [
        _desk(
            "unacknowledged", int(a["incident_id"]), unacknowledged_notice(a, minutes=ack_minutes)
        )
        for a in late.to_dict("records")
    ]
    return store.enqueue_once(notices, at=now)


def scan(store, ack_minutes: int, now: dt.datetime | None = None) -> int:
    """Both scans; how many notices they wrote."""
    now = now or _utcnow()
    return len(scan_overdue_checkins(store, now)) + len(
        scan_unacknowledged(store, ack_minutes, now)
    )


def _desk(kind: str, incident_id: int, payload: dict) -> dict:
    return {
        "kind": kind,
        "recipient_kind": "desk",
        "recipient": None,
        "incident_id": incident_id,
        "payload": payload,
    }


# ----------------------------------------------------------------- the loop


def run_forever(
    store,
    settings,
    stop_event: threading.Event,
    *,
    poll_s: float = POLL_S,
    scan_s: float = SCAN_S,
    log=sys.stderr,
) -> None:
    """Deliver and scan until ``stop_event`` is set.

    A full batch is followed at once by the next; an idle worker looks again
    every ``poll_s``. An error (the database restarting, say) is reported and
    the loop goes on after a pause: a worker that gives up tells nobody.
    """
    transports = Transports.from_settings(settings)
    next_scan = 0.0
    while not stop_event.is_set():
        busy = False
        try:
            if time.monotonic() >= next_scan:
                scan(store, settings.ack_minutes)
                next_scan = time.monotonic() + scan_s
            outcome = deliver_once(store, transports)
            busy = outcome.claimed >= BATCH
            if outcome.sent or outcome.failed:
                print(
                    f"notify: {outcome.sent} sent, {outcome.retrying} to retry, "
                    f"{outcome.failed} failed",
                    file=log,
                    flush=True,
                )
        except Exception as error:  # keep delivering once the cause has passed
            print(f"notify: {error.__class__.__name__}: {error}", file=log, flush=True)
            stop_event.wait(5 * poll_s)
            continue
        if not busy:
            stop_event.wait(poll_s)
