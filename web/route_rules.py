"""Who may use each route: the rule of every Flask endpoint (``ROUTE_RULES``).

``web.guard`` applies them to every request; the dashboard gives its
callbacks rules of the same kind (``dashboard.access_rules``). A route
without a rule is refused, and a test walks the app's url_map for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import ADMIN, DISPATCH, EVENTS, FIELD, REPORT, TASKS, VIEW

DASH_UPDATE = "/_dash-update-component"


@dataclass(frozen=True)
class Rule:
    """Who may use a route or callback."""

    any_of: tuple[str, ...] = ()  # permissions, any one of which will do; () is public
    city_wide: bool = False  # refused to callers bound to one town
    page: bool = False  # a browser page: nobody signed in is sent to the sign-in page

    @property
    def public(self) -> bool:
        return not self.any_of


PUBLIC = Rule()
PAGE = Rule((VIEW,), page=True)
CALLBACK = Rule(("callback",))  # decided per callback
CLIENTSIDE = Rule(("never",))  # runs in the browser: the server never does


def needs(*permissions: str, city_wide: bool = False) -> Rule:
    return Rule(tuple(permissions), city_wide=city_wide)


ROUTE_RULES: dict[str, Rule] = {
    # Static files: the scripts and styles of every page, sign-in included.
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    # Dash's own routes.
    "/_dash-layout": needs(VIEW),
    "/_dash-dependencies": needs(VIEW),
    "/_reload-hash": needs(VIEW),
    DASH_UPDATE: CALLBACK,
    "/": PAGE,
    "/<path:path>": PAGE,
    # Signing in and out.
    "signin.sign_in": PUBLIC,
    "signin.sign_out": PUBLIC,
    # Feeds of the map: a town leader gets only their own town.
    "geojson.towns_geojson": needs(VIEW),
    "geojson.grids_geojson": needs(VIEW),
    "geojson.incidents_geojson": needs(VIEW),
    "geojson.cadres_geojson": needs(VIEW),
    "changes.changes": needs(VIEW, city_wide=True),  # payloads cross towns
    "changes.wait": needs(VIEW),  # a position in the feed only: a town's wall waits too
    "health.health": PUBLIC,  # for load balancers and monitoring; counts only
    "openapi.openapi_json": PUBLIC,
    # Open311: discovery and the service list are public, as the spec has it.
    "open311.discovery": PUBLIC,
    "open311.services": PUBLIC,
    "open311.service_detail": PUBLIC,
    "open311.create_request": needs(REPORT),
    "open311.list_requests": needs(VIEW, REPORT),
    "open311.one_request": needs(VIEW, REPORT),
    # Dispatch, lifecycle, field.
    "dispatch.recommendations": needs(DISPATCH, city_wide=True),
    "dispatch.plan": needs(DISPATCH, city_wide=True),
    "dispatch.confirm": needs(DISPATCH, city_wide=True),
    "incidents.act": needs(DISPATCH, city_wide=True),
    "field.positions": needs(FIELD),
    "field.status": needs(FIELD),
    "field.trail": needs(DISPATCH, city_wide=True),
    # The field app: a cadre on their phone, their own work only (issue 19).
    "field_app.me": needs(TASKS),
    "field_app.task_action": needs(TASKS),
    "field_app.task_photo": needs(TASKS),
    "field_app.duty": needs(TASKS),
    "field_app.positions": needs(TASKS),
    "field_app.checkin": needs(TASKS),
    "field_app.read_notification": needs(TASKS),
    "field_app.create_invite": needs(DISPATCH, ADMIN, city_wide=True),
    # Its pages: the shell is public (it asks the API who is signed in); an
    # invite link is its own credential.
    "fieldapp.page": PUBLIC,
    "fieldapp.join": PUBLIC,
    "fieldapp.service_worker": PUBLIC,
    "fieldapp.manifest": PUBLIC,
    "fieldapp.static": PUBLIC,
    # The residents' reporting page's API: anyone, no key (issue 21); its writes
    # are rate limited per address and phone (web.limits), its reads need the
    # follow link's token or show nothing personal.
    "resident_api.services": PUBLIC,
    "resident_api.submit": PUBLIC,
    "resident_api.case": PUBLIC,
    "resident_api.proof_photo": PUBLIC,
    "resident_api.lookup": PUBLIC,
    "resident_api.rating": PUBLIC,
    "resident_api.nearby": PUBLIC,
    "resident_api.me_too": PUBLIC,
    # The residents' pages (我要报事): public, as a resident has no account; a
    # case's page holds nothing but its token, which the API checks.
    "resident.report": PUBLIC,
    "resident.case": PUBLIC,
    "resident.near": PUBLIC,
    "resident.service_worker": PUBLIC,
    "resident.static": PUBLIC,
    "resident.leaflet": PUBLIC,
    "resident.towns": PUBLIC,  # administrative outlines, names and population only
    # Photos: whoever may see the incident (checked per photo by api.media).
    "media.photo": needs(VIEW, TASKS),
    "media.thumb": needs(VIEW, TASKS),
    # Wartime events: anyone who may view reads them; declaring and ending
    # needs the events permission (a commander, or a provincial system's key).
    "events.list_events": needs(VIEW),
    "events.show": needs(VIEW),
    "events.cap": needs(VIEW),
    "events.declare": needs(EVENTS, city_wide=True),
    "events.end": needs(EVENTS, city_wide=True),
    "events.board": needs(VIEW),
    "events.report": needs(VIEW),
    "events.report_xlsx": needs(VIEW),
    "events.replay": needs(VIEW),
    "events.proposal": needs(EVENTS, city_wide=True),
    "events.mobilise": needs(EVENTS, city_wide=True),
    "events.add_task": needs(EVENTS, city_wide=True),
    # The field reports progress and checks in with the field app's key; the
    # desk may enter what a cadre phoned in.
    "events.progress": needs(FIELD, EVENTS, city_wide=True),
    "events.check_in": needs(FIELD, EVENTS, city_wide=True),
    # Exports of the town review: a town leader's are scoped to their town by
    # build_review; the print view is a page people open in a browser.
    "review_export.export_xlsx": needs(VIEW),
    "review_export.export_csv": needs(VIEW),
    "review_export.export_geojson": needs(VIEW),
    "review_export.export_png": needs(VIEW),
    "review_export.print_view": PAGE,
    # Unknown paths under the API prefixes: a plain 404 for anyone.
    "no_such_endpoint_api_": PUBLIC,
    "no_such_endpoint_open311_": PUBLIC,
}
