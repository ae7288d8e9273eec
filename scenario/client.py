"""A client of Grid Command's public APIs: Open311, dispatch, lifecycle, events.

The scenarios use only this and ``scenario.phone`` (the cadres' phones): what
they do, a real 311 app, dispatch desk or field app could do the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
import shapely

TIMEOUT = 60


class ApiError(RuntimeError):
    """The server refused a request; the message is its own."""


def checked(answer: requests.Response):
    """The JSON of a successful answer; ApiError with the server's message otherwise."""
    if answer.status_code >= 400:
        try:
            body = answer.json()
            message = body["error"]["message"] if isinstance(body, dict) else body[0]["description"]
        except (ValueError, KeyError, IndexError, TypeError):
            message = answer.text[:200]
        raise ApiError(f"{answer.request.method} {answer.url}: {answer.status_code} {message}")
    return answer.json()


@dataclass(frozen=True)
class Place:
    """A grid of the city: where a scenario puts a report."""

    code: str
    name: str
    town_code: str
    lon: float
    lat: float


class Area:
    """Shapes (WGS84) to tell whether a point lies in one of them."""

    def __init__(self, shapes: list):
        self._tree = shapely.STRtree(shapes)

    def covers(self, lon: float, lat: float) -> bool:
        return len(self._tree.query(shapely.Point(lon, lat), predicate="intersects")) > 0


class GridCommandClient:
    """One keep-alive session against a server at ``base`` with an API key."""

    def __init__(self, base: str, key: str):
        self.base = base.rstrip("/")
        self.key = key
        self.session = requests.Session()
        # The key goes with every call: it carries the open311, dispatch and
        # events scopes of the desk's side (see web.guard). The cadres act
        # from their own phones (scenario.phone), never with this key.
        self.session.headers["X-API-Key"] = key

    def _check(self, answer: requests.Response):
        return checked(answer)

    def _post(self, path: str, body: dict):
        answer = self.session.post(self.base + path, json=body, timeout=TIMEOUT)
        return self._check(answer)

    # --------------------------------------------------------------- reading

    def grids(self, town: str | None = None) -> list[Place]:
        params = {"town": town} if town else None
        answer = self.session.get(
            f"{self.base}/api/v1/grids.geojson", params=params, timeout=TIMEOUT
        )
        places = []
        for feature in self._check(answer)["features"]:
            point = shapely.geometry.shape(feature["geometry"]).representative_point()
            p = feature["properties"]
            places.append(Place(p["code"], p["name"], p["town_code"], point.x, point.y))
        return places

    def area(self) -> Area:
        """The city's grids as one area: where a phone's position is accepted."""
        answer = self.session.get(f"{self.base}/api/v1/grids.geojson", timeout=TIMEOUT)
        return Area(
            [shapely.geometry.shape(f["geometry"]) for f in self._check(answer)["features"]]
        )

    def towns(self) -> dict[str, str]:
        """Town name -> code."""
        answer = self.session.get(f"{self.base}/api/v1/towns.geojson", timeout=TIMEOUT)
        return {
            f["properties"]["name"]: f["properties"]["code"]
            for f in self._check(answer)["features"]
        }

    # ---------------------------------------------------------------- Open311

    def report(
        self,
        service_code: str,
        lon: float,
        lat: float,
        description: str,
        *,
        channel: str = "app",
        attributes: dict | None = None,
        name: str = "",
    ) -> str:
        """Post a report; returns its service_request_id."""
        form = {
            "api_key": self.key,
            "service_code": service_code,
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
            "description": description,
            "channel": channel,
        }
        if name:
            form["last_name"] = name
        for code, value in (attributes or {}).items():
            form[f"attribute[{code}]"] = str(value)
        answer = self.session.post(
            f"{self.base}/open311/v2/requests.json", data=form, timeout=TIMEOUT
        )
        return self._check(answer)[0]["service_request_id"]

    # --------------------------------------------------------------- dispatch

    def plan(
        self,
        *,
        town: str | None = None,
        incidents: list[str] | None = None,
        max_travel_min: float = 60,
    ) -> dict:
        body: dict = {"max_travel_min": max_travel_min}
        if town:
            body["town"] = town
        if incidents is not None:
            body["incidents"] = incidents
        return self._post("/api/v1/dispatch/plan", body)

    def confirm(self, assignments: list[dict], actor: str) -> dict:
        return self._post("/api/v1/dispatch/confirm", {"actor": actor, "assignments": assignments})

    def act(self, public_id: str, action: str, actor: str, **details) -> dict:
        return self._post(
            f"/api/v1/incidents/{public_id}/actions", {"actor": actor, "action": action, **details}
        )

    # ------------------------------------------------------------ field app

    def invite(self, phone: str) -> str:
        """The one-time sign-in link for the phone of the cadre with mobile
        ``phone`` (the dispatch scope); ``scenario.phone`` opens it."""
        return self._post("/api/v1/field/invites", {"phone": phone})["url"]

    # --------------------------------------------------------------- events

    def declare_event(
        self,
        name: str,
        kind: str,
        grids: list[str],
        *,
        severity: int = 3,
        checkin_minutes: int = 30,
    ) -> dict:
        return self._post(
            "/api/v1/events",
            {
                "name": name,
                "kind": kind,
                "severity": severity,
                "grids": grids,
                "checkin_minutes": checkin_minutes,
            },
        )

    def add_task(
        self,
        event_id: int,
        title: str,
        lon: float,
        lat: float,
        headcount: int,
        targets: dict,
        actor: str,
    ) -> dict:
        return self._post(
            f"/api/v1/events/{event_id}/tasks",
            {
                "title": title,
                "lon": lon,
                "lat": lat,
                "headcount": headcount,
                "targets": targets,
                "actor": actor,
            },
        )

    def mobilisation(self, event_id: int, max_travel_min: float = 90) -> dict:
        answer = self.session.get(
            f"{self.base}/api/v1/events/{event_id}/mobilisation",
            params={"max_travel_min": max_travel_min},
            timeout=TIMEOUT,
        )
        return self._check(answer)

    def mobilise(self, event_id: int, assignments: list[dict], actor: str) -> dict:
        return self._post(
            f"/api/v1/events/{event_id}/mobilisation", {"actor": actor, "assignments": assignments}
        )

    def end_event(self, event_id: int, actor: str) -> dict:
        return self._post(f"/api/v1/events/{event_id}/end", {"actor": actor})

    def event_report(self, event_id: int) -> dict:
        answer = self.session.get(f"{self.base}/api/v1/events/{event_id}/report", timeout=TIMEOUT)
        return self._check(answer)
