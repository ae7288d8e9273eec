"""A cadre's phone in the field app, played over HTTP as the phone plays it.

The desk asks for the cadre's one-time invite (``GridCommandClient.invite``);
the phone opens the link, taps the button (GET then POST with the page's CSRF
token, as a browser does) and keeps the ``gc_field`` cookie. From then on it
acts only through the field app's endpoints, each change with ``X-GC-Field: 1``
and an ``Idempotency-Key`` of its own, retried with the same key when the
signal drops, so that a retry applies once. Positions wait in the phone's
queue and go in batches.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests

from scenario.client import TIMEOUT, ApiError, checked

USER_AGENT = "GridCommandDrill/1.0 (flood scenario; field app)"
RETRIES = 3  # a phone sends an action again, with the same key, when the signal drops
RETRY_PAUSE_S = 0.5


class _JoinForm(HTMLParser):
    """The invite page's form: where it posts and its hidden fields."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""


class Phone:
    """One cadre's phone: a browser session signed in to the field app."""

    def __init__(self, base: str, session: requests.Session):
        self.base = base.rstrip("/")
        self.session = session
        self.queue: list[dict] = []  # positions not sent yet

    @classmethod
    def sign_in(cls, base: str, invite_url: str) -> Phone:
        """Open the invite link and tap "sign in": a phone with its session.

        The link is followed on ``base`` (the server the scenario drives),
        whatever public address the server wrote into it.
        """
        base = base.rstrip("/")
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        link = base + urlsplit(invite_url).path
        page = session.get(link, timeout=TIMEOUT)
        if page.status_code != 200:
            raise ApiError(f"GET {link}: {page.status_code}: the invite was refused")
        form = _JoinForm()
        form.feed(page.text)
        if form.action is None or "csrf_token" not in form.fields:
            raise ApiError(f"GET {link}: the invite page has no sign-in form")
        answer = session.post(
            base + form.action, data=form.fields, allow_redirects=False, timeout=TIMEOUT
        )
        if answer.status_code != 303 or "gc_field" not in session.cookies:
            raise ApiError(f"POST {link}: {answer.status_code}: the phone was not signed in")
        return cls(base, session)

    # ------------------------------------------------------------- reading

    def me(self) -> dict:
        """What the phone shows: the cadre, their tasks, their event's check-in."""
        return checked(self.session.get(f"{self.base}/api/v1/field/me", timeout=TIMEOUT))

    def task(self, public_id: str) -> dict:
        """The task of incident ``public_id`` as the phone shows it."""
        for task in self.me()["tasks"]:
            if task["public_id"] == public_id:
                return task
        raise ApiError(f"the phone does not show task {public_id}")

    # ------------------------------------------------------------- actions

    def _post(self, path: str, body: dict) -> dict:
        headers = {"X-GC-Field": "1", "Idempotency-Key": str(uuid.uuid4())}
        url = f"{self.base}/api/v1/field{path}"
        for attempt in range(RETRIES):
            try:
                return checked(self.session.post(url, json=body, headers=headers, timeout=TIMEOUT))
            except requests.ConnectionError:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(RETRY_PAUSE_S)
        raise AssertionError("unreachable")

    def accept(self, dispatch_id: int) -> dict:
        return self._post(f"/tasks/{dispatch_id}/accept", {})

    def arrive(self, dispatch_id: int, lon: float, lat: float) -> dict:
        """Arrived, with the phone's position."""
        return self._post(
            f"/tasks/{dispatch_id}/arrive", {"lon": round(lon, 6), "lat": round(lat, 6)}
        )

    def progress(self, dispatch_id: int, amounts: dict) -> dict:
        """An event task's figures done since the last report."""
        return self._post(f"/tasks/{dispatch_id}/progress", {"amounts": amounts})

    def done(self, dispatch_id: int, note: str) -> dict:
        """The cadre's part is done; an ordinary incident is resolved by it."""
        return self._post(f"/tasks/{dispatch_id}/done", {"note": note})

    def check_in(self, lon: float, lat: float) -> dict:
        """The event's "I am here and well"."""
        return self._post("/checkin", {"lon": round(lon, 6), "lat": round(lat, 6)})

    # ----------------------------------------------------------- positions

    def track(self, lon: float, lat: float, at: dt.datetime) -> None:
        """Queue a position the phone took."""
        self.queue.append({"lon": round(lon, 6), "lat": round(lat, 6), "at": at.isoformat()})

    def send_positions(self) -> int:
        """Send the queued positions in one batch; how many were stored."""
        if not self.queue:
            return 0
        stored = self._post("/me/positions", {"positions": self.queue})["stored"]
        self.queue = []
        return stored


class Phones:
    """The phones of the cadres a scenario sends: each signed in once, on
    the first task its cadre is sent to, and kept for the next."""

    def __init__(self, client):
        self.client = client
        self.by_cadre: dict[int, Phone] = {}

    def __getitem__(self, cadre_id: int) -> Phone:
        return self.by_cadre[cadre_id]

    def __iter__(self):
        return iter(self.by_cadre.values())

    def of(self, cadre_id: int, mobile: str | None) -> Phone:
        """The phone of ``cadre_id``, signed in by the invite of ``mobile`` if new."""
        phone = self.by_cadre.get(cadre_id)
        if phone is None:
            if not mobile:
                raise ApiError(
                    f"the plan gives no mobile number for cadre {cadre_id}: the scenario's "
                    "key needs the dispatch scope to invite the cadres' phones"
                )
            phone = Phone.sign_in(self.client.base, self.client.invite(mobile))
            self.by_cadre[cadre_id] = phone
        return phone
