"""Access control: every route and every Dash callback, allowed and denied, per caller.

The cases are generated from the app's own url_map and callback_map, so a new
route or callback without a rule fails here. Those take their expectations
from the rules themselves; the critical routes also have a table written by
hand from the documents' promise (at the end), so a wrong rule fails too.
Callers are real: people signed in through /login, API keys with scopes, a
wall shown with a display key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import requests
from dash._utils import split_callback_id

from app import create_app
from dashboard import ids
from dashboard.access_rules import CALLBACK_RULES, first_output_id, rules_for
from dashboard.i18n import t
from domain.access import (
    CONTACTS,
    DISPATCH,
    FIELD,
    KEY_SCOPES,
    REPORT,
    VIEW,
    for_cadre,
    for_key,
    for_user,
    mask_phone,
)
from settings import Settings
from tests.servers import PASSWORD, ROOT, add_user, csrf_from, thread_server, tiny_app
from tests.tiny_city import tiny_city
from web.route_rules import CALLBACK, CLIENTSIDE, DASH_UPDATE, ROUTE_RULES, Rule

USERS = ("operator", "commander", "town_leader", "city_leader", "admin")
KEYS = {
    "key-open311": "open311",
    "key-field": "field",
    "key-display": "display",
    "key-dispatch": "dispatch",
    "key-events": "events",
    "wall-town": "display",
}
# Aligned by hand: this table reads better laid out as a table.
SAMPLE = {"fmt": "json", "code": "garbage", "public_id": "T1", "cadre_id": 1, "path": "dispatch",
          "filename": "style.css", "package_name": "dash", "fingerprinted_path": "x.js",
          "_rest": "nothing", "event_id": "1", "task_id": "1", "photo_id": 1,
          "dispatch_id": 1, "action": "accept", "notification_id": 1,
          "token": "not-a-token", "case": "T1"}  # fmt: skip


class Caller:
    """A test client with who it is, as the server should see it."""

    def __init__(self, name, client, principal, headers=None):
        self.name, self.client, self.principal = name, client, principal
        self.headers = headers or {}

    def request(self, method: str, url: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        answer = self.client.open(url, method=method, headers=headers, **kwargs)
        answer.get_data()  # read and close: a streamed file would stay open
        answer.close()
        return answer


def _csrf_header(client) -> dict:
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('access') / 'grid.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url, "GC_SIGNIN_RATE": "100000/minute"}))
    server, store = app.server, app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    town_a, town_b = store.towns()["code"].iloc[:2]
    callers = {"anonymous": Caller("anonymous", server.test_client(), None)}
    for role in USERS:
        town = town_a if role == "town_leader" else None
        name = add_user(store, role, town=town)
        client = server.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        assert (
            client.post(
                "/login", data={"username": name, "password": PASSWORD, "csrf_token": token}
            ).status_code
            == 302
        )
        client.get("/")  # sets the _csrf_token cookie, as for a browser
        principal = store.sign_in(name, PASSWORD)[1]
        callers[role] = Caller(role, client, principal, _csrf_header(client))
    for name, scope in KEYS.items():
        town = town_a if name == "wall-town" else None
        key = store.create_api_key(name, actor="test", scopes=scope, town=town)
        client = server.test_client()
        principal = for_key(0, name, (scope,), town)
        if name.startswith("wall"):  # a wall: the key once in the URL, then its session
            assert client.get(f"/?key={key}").status_code == 302
            client.get("/")
            callers[name] = Caller(name, client, principal, _csrf_header(client))
        else:
            callers[name] = Caller(name, client, principal, {"X-API-Key": key})
    # A cadre on their phone: the field app's cookie, its header, a key per action.
    token, _ = store.create_field_invite("13800000001", actor="test")
    session, cadre = store.redeem_field_invite(token)
    client = server.test_client()
    client.set_cookie("gc_field", session)
    headers = {"X-GC-Field": "1", "Idempotency-Key": "access-test"}
    callers["cadre"] = Caller("cadre", client, for_cadre(cadre["id"], cadre["name"]), headers)
    yield {"app": app, "store": store, "callers": callers, "towns": (town_a, town_b)}
    store.close()


def allowed(rule: Rule, caller: Caller) -> bool:
    """What the rule says about this caller."""
    if rule.public:
        return True
    p = caller.principal
    if p is None or not any(p.can(permission) for permission in rule.any_of):
        return False
    return not (rule.city_wide and p.town is not None)


def denied(answer) -> bool:
    if answer.status_code in (401, 403):
        return True
    return answer.status_code == 302 and "/login" in answer.headers.get("Location", "")


def route_cases(app):
    adapter = app.server.url_map.bind("localhost")
    for rule in app.server.url_map.iter_rules():
        if rule.endpoint == "/_dash-update-component":
            continue  # per callback, below
        if rule.endpoint.startswith("signin."):
            continue  # public forms whose own answers are 401/429: tested on their own below
        values = {name: SAMPLE[name] for name in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_and_every_callback_has_a_rule(guarded):
    app = guarded["app"]
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    assert endpoints - set(ROUTE_RULES) == set(), (
        "add the new routes to web.route_rules.ROUTE_RULES"
    )
    rule_of = rules_for(app)
    missing = [key for key in app.callback_map if rule_of(key) is None]
    assert missing == [], "add these callbacks to dashboard.access_rules.CALLBACK_RULES"
    unused = set(CALLBACK_RULES) - {first_output_id(k) for k in app.callback_map}
    assert unused == set()


def test_every_route_allows_and_denies_as_its_rule_says_for_every_caller(guarded):
    mistakes, counted = [], {"allowed": 0, "denied": 0}
    for endpoint, method, url in route_cases(guarded["app"]):
        rule = ROUTE_RULES[endpoint]
        for caller in guarded["callers"].values():
            body = {"data": {}} if method == "POST" and "open311" in endpoint else {"json": {}}
            answer = caller.request(method, url, **(body if method == "POST" else {}))
            expect = allowed(rule, caller)
            counted["allowed" if expect else "denied"] += 1
            if denied(answer) == expect:
                mistakes.append(
                    f"{caller.name} {method} {url}: HTTP {answer.status_code}, "
                    f"expected {'allowed' if expect else 'denied'}"
                )
            assert answer.status_code < 500, f"{caller.name} {method} {url}"
    assert mistakes == []
    assert counted["allowed"] > 100 and counted["denied"] > 100


def _post_body(endpoint: str, method: str) -> dict:
    if method != "POST":
        return {}
    return {"data": {}} if "open311" in endpoint else {"json": {}}


def test_each_single_scope_key_gets_exactly_what_its_scope_allows_over_http(guarded):
    """Derived from ROUTE_RULES and KEY_SCOPES: for every route, a key of each
    scope alone is let through exactly where its permissions meet the rule."""
    store, app = guarded["store"], guarded["app"]
    keys = {
        scope: store.create_api_key(f"scope {scope}", actor="test", scopes=scope)
        for scope in KEY_SCOPES
    }
    mistakes, let_through = [], {scope: set() for scope in KEY_SCOPES}
    with thread_server(app.server) as base:
        for endpoint, method, url in route_cases(app):
            rule = ROUTE_RULES[endpoint]
            for scope, key in keys.items():
                caller = SimpleNamespace(principal=for_key(0, scope, (scope,)))
                expect = allowed(rule, caller)
                # identity: flask-compress leaves a streamed static file unclosed
                # under werkzeug's server (ResourceWarning); gunicorn closes it.
                headers = {"X-API-Key": key, "Accept-Encoding": "identity"}
                answer = requests.request(
                    method,
                    base + url,
                    headers=headers,
                    allow_redirects=False,
                    timeout=60,
                    **_post_body(endpoint, method),
                )
                if denied(answer) == expect:
                    mistakes.append(
                        f"{scope} key {method} {url}: HTTP {answer.status_code}, "
                        f"expected {'allowed' if expect else 'denied'}"
                    )
                assert answer.status_code < 500, f"{scope} key {method} {url}"
                if expect and not rule.public:
                    let_through[scope].add(endpoint)
    assert mistakes == []
    assert all(let_through.values()), "every scope opens at least one guarded route"


def test_a_key_made_without_scopes_may_only_report(guarded):
    """Issue 16: `apikey create NAME` once gave open311,field,dispatch, so a
    citizen app's public key could move incidents and read cadres' positions."""
    url = guarded["store"].engine.url.render_as_string(hide_password=False)
    made = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "apikey", "create", "我要报事小程序"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert made.returncode == 0, made.stderr
    assert "no --scopes given" in made.stderr and "(open311)" in made.stderr
    key = made.stdout.strip()
    headers = {"X-API-Key": key}
    with thread_server(guarded["app"].server) as base:

        def status(method, path, **kwargs) -> int:
            return requests.request(
                method, base + path, headers=headers, timeout=60, allow_redirects=False, **kwargs
            ).status_code

        assert status("POST", "/api/v1/incidents/T1/actions", json={"action": "register"}) == 403
        assert status("GET", "/api/v1/cadres.geojson") == 403
        assert status("GET", "/api/v1/dispatch/recommendations?incident=T1") == 403
        assert status("POST", "/api/v1/field/positions", json={"positions": []}) == 403
        assert status("GET", "/api/v1/incidents.geojson") == 403
        assert status("GET", "/") == 403
        report = requests.post(
            f"{base}/open311/v2/requests.json",
            timeout=60,
            data={
                "api_key": key,
                "service_code": "garbage",
                "description": "垃圾未清运",
                "lat": "36.011",
                "long": "120.005",
            },
        )
        assert report.status_code in (200, 201), report.text
        assert report.json()[0]["service_request_id"]
        assert status("GET", "/open311/v2/requests.json") == 200
    assert guarded["store"].incident_by_public_id("T1")["status"] == "registered"  # not moved


def test_the_rules_themselves_say_what_the_roles_mean():
    """The table, read as a person would: the cases that matter most, by hand."""
    users = {role: for_user(1, role, role, "370281001") for role in USERS}

    def may(principal, endpoint):
        rule = ROUTE_RULES[endpoint]
        return any(principal.can(p) for p in rule.any_of) and not (
            rule.city_wide and principal.town
        )

    assert may(users["operator"], "dispatch.confirm") and may(users["commander"], "incidents.act")
    for role in ("town_leader", "city_leader", "admin"):
        assert not may(users[role], "dispatch.confirm") and not may(users[role], "incidents.act")
    assert not may(users["town_leader"], "changes.changes")  # crosses towns
    assert may(users["town_leader"], "geojson.incidents_geojson")  # cut to their town
    display = for_key(1, "wall", ("display",))
    assert not may(display, "field.positions") and not may(display, "open311.create_request")
    assert may(for_key(1, "app", ("field",)), "field.positions")
    assert not may(for_key(1, "app", ("field",)), "geojson.incidents_geojson")
    assert CALLBACK_RULES[ids.QUEUE].any_of == (DISPATCH,)
    assert users["operator"].can(CONTACTS) and not users["admin"].can(CONTACTS)
    assert REPORT in for_key(1, "hotline", ("open311",)).permissions
    assert FIELD not in users["operator"].permissions and VIEW in users["city_leader"].permissions


def dash_body(key: str, entry: dict, *, relabel: bool = False) -> dict:
    """The body dash-renderer posts to run callback ``key``, with empty values.

    ``relabel`` names every input as the router's public-looking
    ``url.pathname``: Dash maps inputs by position, so that must not matter.
    """

    def items(specs):
        out = []
        for spec in specs:
            if spec["id"].startswith("{"):  # a pattern-matching input: no components match
                out.append([])
            elif relabel:
                out.append({"id": ids.URL, "property": "pathname", "value": "/"})
            else:
                out.append({"id": spec["id"], "property": spec["property"], "value": None})
        return out

    outputs = split_callback_id(key)
    return {
        "output": key,
        "outputs": outputs,
        "inputs": items(entry["inputs"]),
        "state": items(entry["state"]),
        "changedPropIds": [],
    }


def test_every_callback_allows_and_denies_as_its_rule_says_for_every_caller(guarded):
    app, mistakes = guarded["app"], []
    rule_of = rules_for(app)
    for key, entry in app.callback_map.items():
        rule = rule_of(key)
        for caller in guarded["callers"].values():
            answer = caller.request("POST", "/_dash-update-component", json=dash_body(key, entry))
            expect = rule is not CLIENTSIDE and allowed(rule, caller)
            if denied(answer) == expect:
                mistakes.append(f"{caller.name} → {key[:60]}: HTTP {answer.status_code}")
    assert mistakes == []


def test_forged_callbacks_are_refused_relabelled_unknown_or_unauthenticated(guarded):
    app, callers = guarded["app"], guarded["callers"]
    anonymous, town_leader = callers["anonymous"], callers["town_leader"]
    for key, entry in app.callback_map.items():
        forged = dash_body(key, entry, relabel=True)
        assert anonymous.request("POST", "/_dash-update-component", json=forged).status_code in (
            401,
            403,
        ), key
        rule = rules_for(app)(key)
        if rule is CLIENTSIDE or rule.city_wide:
            answer = town_leader.request("POST", "/_dash-update-component", json=forged)
            assert answer.status_code == 403, key
    for body in ({"output": "no-such.children", "inputs": []}, {"inputs": []}, "not json"):
        answer = callers["operator"].request(
            "POST",
            "/_dash-update-component",
            data=json.dumps(body),
            content_type="application/json",
        )
        assert answer.status_code == 403


def _map_body(app, town: str | None) -> dict:
    """The wall's refresh, as its page posts it, with a kiosk town of the caller's choosing."""
    key = next(
        k for k, e in app.callback_map.items() if "callback" in e and first_output_id(k) == ids.MAP
    )
    return {
        "output": key,
        "outputs": split_callback_id(key),
        "inputs": [
            {"id": ids.SCREEN, "property": "data", "value": {"width": 1920, "height": 1080}},
            {"id": ids.REFRESH, "property": "n_intervals", "value": 1},
        ],
        "state": [
            {"id": "live-state", "property": "data", "value": None},
            {"id": "kiosk-options", "property": "data", "value": {"town": town}},
            {"id": ids.LANG, "property": "data", "value": "zh"},
        ],
        "changedPropIds": [f"{ids.SCREEN}.data"],
    }


def _route_body(app, search: str) -> dict:
    """The router's call for the wall at ``/`` + ``search``, as the page posts it."""
    key = next(k for k in app.callback_map if first_output_id(k) == ids.PAGE)
    return {
        "output": key,
        "outputs": split_callback_id(key),
        "inputs": [
            {"id": ids.URL, "property": "pathname", "value": "/"},
            {"id": ids.URL, "property": "search", "value": search},
            {"id": ids.WINDOW, "property": "data", "value": {"width": 1920, "height": 1080}},
        ],
        "changedPropIds": [f"{ids.URL}.pathname"],
    }


def _first_picture_points(page: dict, component: str) -> list[str]:
    """The ids of the points of the wall layer ``component`` in a page's layout."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component:
                found.extend(f["id"] for f in node["props"]["data"]["features"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(page)
    return found


def test_a_town_leader_gets_only_their_town_even_when_asking_for_another(guarded):
    store, (town_a, town_b) = guarded["store"], guarded["towns"]
    towns_of = store.incidents().set_index("public_id")["town_code"].to_dict()

    def shown(caller, town):
        answer = caller.request(
            "POST", "/_dash-update-component", json=_map_body(guarded["app"], town)
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        dots = answer.get_json()["response"]["wall-incidents"]["data"]["features"]
        return {towns_of[f["id"]] for f in dots}

    def first_shown(caller, town):  # the wall's first picture, in the router's answer
        answer = caller.request(
            "POST", "/_dash-update-component", json=_route_body(guarded["app"], f"?town={town}")
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        page = answer.get_json()["response"][ids.PAGE]["children"]
        return {towns_of[i] for i in _first_picture_points(page, "wall-incidents")}

    leader = guarded["callers"]["town_leader"]
    assert shown(leader, town_b) == {town_a}  # the forged kiosk town is ignored
    assert shown(guarded["callers"]["city_leader"], None) == {town_a, town_b}
    assert first_shown(leader, town_b) == {town_a}
    assert first_shown(guarded["callers"]["city_leader"], town_b) == {town_a, town_b}
    # Every feed, by every route, stays in the town; asking for another is refused.
    for path in ("/api/v1/incidents.geojson", "/api/v1/grids.geojson", "/api/v1/cadres.geojson"):
        mine = leader.request("GET", path).get_json()
        assert {f["properties"]["town_code"] for f in mine["features"]} <= {town_a}, path
        assert leader.request("GET", f"{path}?town={town_b}").status_code == 403
    wall = guarded["callers"]["wall-town"]
    feed = wall.request("GET", "/api/v1/incidents.geojson").get_json()
    assert {f["properties"]["town_code"] for f in feed["features"]} == {town_a}


def test_cookie_carried_changes_need_the_csrf_token_and_this_site(guarded):
    operator = guarded["callers"]["operator"]
    key = next(k for k in guarded["app"].callback_map if first_output_id(k) == ids.PAGE)
    body = dash_body(key, guarded["app"].callback_map[key])
    plain = operator.client.post("/_dash-update-component", json=body)  # no X-CSRFToken
    assert plain.status_code == 400 and "CSRF" in plain.get_json()["error"]["message"]
    foreign = operator.request(
        "POST", "/_dash-update-component", json=body, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    cross = operator.request(
        "POST", "/_dash-update-component", json=body, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert operator.request("POST", "/_dash-update-component", json=body).status_code == 200


def test_security_headers_on_pages_and_api(guarded):
    for path in ("/login", "/api/v1/health", "/api/openapi.json"):
        headers = guarded["callers"]["anonymous"].request("GET", path).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        scripts = policy.split("script-src")[1].split(";")[0].split()
        assert "'unsafe-inline'" not in scripts
        assert len(scripts) == len(set(scripts)), "a script hash is listed twice"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_signing_out_ends_the_session_and_a_revoked_wall_key_ends_the_wall(guarded):
    store, server = guarded["store"], guarded["app"].server
    name = add_user(store, "city_leader", username="leaving")
    client = server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    page = client.get("/")
    assert page.status_code == 200
    out = csrf_from_page(client)
    assert client.post("/logout", data={"csrf_token": out}).status_code == 302
    assert denied(client.get("/"))
    assert client.get("/_dash-layout").status_code == 401
    key = store.create_api_key("将吊销的大屏", actor="test", scopes="display")
    wall = server.test_client()
    wall.get(f"/?key={key}")
    assert wall.get("/").status_code == 200
    store.revoke_api_keys("将吊销的大屏", actor="test")
    assert denied(wall.get("/"))
    assert wall.get(f"/?key={key}").status_code == 403  # the key itself is refused too


def csrf_from_page(client) -> str:
    cookie = client.get_cookie("_csrf_token")
    return cookie.value


def test_wrong_passwords_lock_out_over_http_and_sign_in_is_rate_limited(tmp_path):
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url, "GC_SIGNIN_RATE": "7/minute"}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    add_user(store, "operator", username="zhao")
    client = app.server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [
        client.post(
            "/login", data={"username": "zhao", "password": "wrong wrong 1", "csrf_token": token}
        ).status_code
        for _ in range(8)
    ]
    assert codes[:4] == [401] * 4 and codes[4:7] == [429] * 3  # locked after 5 wrong
    assert codes[7] == 429 and "锁定" not in client.post("/login").get_data(as_text=True)
    assert (store.audit(limit=100)["action"] == "sign_in_failed").sum() == 7
    store.close()


def test_bodies_too_large_are_refused(guarded):
    huge = "长" * 1_200_000  # 3.6 MB of UTF-8
    answer = guarded["callers"]["key-open311"].request(
        "POST", "/open311/v2/requests.json", data={"description": huge}
    )
    assert answer.status_code == 413


def test_phone_numbers_are_masked_for_callers_who_need_not_call():
    operator = for_user(1, "zhao", "operator", None)
    leader = for_user(2, "li", "city_leader", None)
    assert mask_phone("13812345678", operator) == "13812345678"
    assert mask_phone("13812345678", leader) == "138****5678"
    assert mask_phone("0532-87654321", leader) == "053*****4321"
    assert mask_phone(None, leader) is None


def test_rule_objects_are_what_the_guard_uses():
    assert ROUTE_RULES["/_dash-update-component"] is CALLBACK
    assert all(isinstance(rule, Rule) for rule in ROUTE_RULES.values())


def test_the_public_intake_is_rate_limited_per_key(tmp_path):
    app, store = tiny_app(tmp_path, intake_rate="3/minute")
    noisy = store.create_api_key("noisy", actor="test", scopes="open311")
    calm = store.create_api_key("calm", actor="test", scopes="open311")
    client = app.server.test_client()
    before = store.count_reports()

    def report(key):
        return client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "garbage",
                "description": "垃圾未清运",
                "lat": "36.011",
                "long": "120.005",
            },
        )

    codes = [report(noisy).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = report(noisy)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert report(calm).status_code == 200  # another client is not starved
    assert store.count_reports() == before + 4  # the refused ones changed nothing
    store.close()


def test_only_a_signed_in_administrator_may_send_a_large_upload(guarded):
    """A boundary file at /data is megabytes; every other body keeps the 2 MB limit."""
    app, callers = guarded["app"], guarded["callers"]
    key = next(k for k in app.callback_map if first_output_id(k) == ids.IMPORT_JOB)
    body = dash_body(key, app.callback_map[key])
    body["inputs"][0]["value"] = "data:application/octet-stream;base64," + "A" * 3_000_000
    sizes = {}
    for name in ("admin", "operator", "commander"):
        sizes[name] = (
            callers[name].request("POST", "/_dash-update-component", json=body).status_code
        )
    assert sizes["operator"] == 413 and sizes["commander"] == 413
    assert sizes["admin"] == 200, "the admin's upload is read, kept and answered"


# Who gets what on the routes that matter most, written by hand from what
# docs/integrator.md and docs/administrator.md ("Security model") promise,
# not derived from web.route_rules.ROUTE_RULES: a wrong rule fails here. A status
# is the whole answer for the request below; LOGIN is a page's redirect to
# the sign-in page; PAGE and NO are the router's answer (HTTP 200) showing the
# page or saying "you are not allowed to use this page".
LOGIN, PAGE, NO = "302 to /login", "200 with the page", "200 saying no permission"
MATRIX_CALLERS = ("anonymous", "key-open311", "key-field", "key-display", "key-dispatch",
                  "key-events", "wall-town", "operator", "commander", "town_leader",
                  "city_leader", "admin", "cadre")  # fmt: skip
OTHER_TOWN = "370281002"  # the town leader and the town's wall are bound to 370281001
# Aligned by hand: each row reads across the callers above.
#              anon  o311 field  disp dspch evnts  wall  oper  cmdr  town  city admin cadre
REPORTS     = (401,  400,  403,  403,  403,  403,  403,  403,  403,  403,  403,  403, 401)  # fmt: skip
READ_FEED   = (401,  403,  403,  200,  200,  200,  200,  200,  200,  200,  200,  200, 401)  # fmt: skip
DISPATCHING = (401,  403,  403,  403,  "ok", 403,  403,  "ok", "ok", 403,  403,  403, 401)  # fmt: skip
EVENTS_DESK = (401,  403,  403,  403,  403,  "ok", 403,  403,  "ok", 403,  403,  403, 401)  # fmt: skip
MY_TOWN     = (401,  403,  403,  200,  200,  200,  403,  200,  200,  403,  200,  200, 401)  # fmt: skip
SHELL       = (LOGIN, 403, 403,  200,  200,  200,  200,  200,  200,  200,  200,  200, LOGIN)  # fmt: skip
ADMIN_PAGE  = (401,  403,  403,  NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   PAGE, 401)  # fmt: skip
ADMINISTER  = (401,  403,  403,  403,  403,  403,  403,  403,  403,  403,  403,  200, 401)  # fmt: skip
# The field app: only a cadre signed in on their phone, and only their own work
# (the cookie is read on the field app's paths alone: elsewhere they are nobody).
FIELD_APP   = (401,  403,  403,  403,  403,  403,  403,  403,  403,  403,  403,  403,  "ok")  # fmt: skip
EXPECTED_ACCESS = [
    ("GET", "/api/v1/field/me", {}, FIELD_APP),
    ("POST", "/api/v1/field/tasks/1/accept", {"json": {}}, FIELD_APP),  # not theirs: 404
    ("POST", "/api/v1/field/duty", {"json": {}}, FIELD_APP),  # no "on": 400
    # Residents' reports come in from Open311 clients only (an empty form: 400).
    ("POST", "/open311/v2/requests.json", {"data": {}}, REPORTS),
    # Cadres' names and positions: whoever may see the map; not a citizen app nor
    # the field app, which only sends (issue 16).
    ("GET", "/api/v1/cadres.geojson", {}, READ_FEED),
    # The dispatch and lifecycle API: operators, commanders, a dispatch key.
    ("POST", "/api/v1/incidents/T1/actions", {"json": {"action": "no_such_move"}}, DISPATCHING),
    ("GET", "/api/v1/dispatch/recommendations?incident=T1", {}, DISPATCHING),
    ("POST", "/api/v1/dispatch/confirm", {"json": {"assignments": []}}, DISPATCHING),
    # Declaring and ending wartime events: a commander, or a provincial system's key.
    ("POST", "/api/v1/events", {"json": {}}, EVENTS_DESK),
    ("POST", "/api/v1/events/999/end", {"json": {}}, EVENTS_DESK),
    # The town review's exports: whoever may see the map; another town's are
    # refused to a town leader and to a wall bound to a town.
    ("GET", "/api/v1/review/export.csv?table=grids", {}, READ_FEED),
    ("GET", f"/api/v1/review/export.csv?table=grids&town={OTHER_TOWN}", {}, MY_TOWN),
    # Administration: the page shells load for any viewer; the router shows
    # the pages, and their callbacks answer, to administrators only.
    ("GET", "/admin", {}, SHELL),
    ("GET", "/data", {}, SHELL),
    ("ROUTER", "/admin", {}, ADMIN_PAGE),
    ("ROUTER", "/data", {}, ADMIN_PAGE),
    ("CALLBACK", ids.ADMIN_USERS, {}, ADMINISTER),  # users, roles and keys listed
    ("CALLBACK", ids.IMPORT_JOB, {}, ADMINISTER),  # a city file uploaded at /data
]
# "ok": let through. A read answers 200; a write answers for its own bad
# input (an empty plan, an unknown move or event): 400, 404 or 422.
LET_THROUGH = {200, 400, 404, 422}
# What the router shows on each administration page, by a component of its own.
PAGE_MARK = {"/admin": ids.ADMIN_USERS, "/data": ids.IMPORT_UPLOAD}


def _router_body(app, pathname: str) -> dict:
    body = _route_body(app, "")
    body["inputs"][0]["value"] = pathname
    return body


def _shown(answer, pathname: str):
    """What the router's answer shows of an administration page: PAGE, NO, or a status."""
    if answer.status_code != 200:
        return answer.status_code
    shown = json.dumps(answer.get_json(), ensure_ascii=False)
    if f'"{PAGE_MARK[pathname]}"' in shown:
        return PAGE
    return NO if t("no_permission", "zh") in shown else shown[:200]


def _answer(guarded, caller: Caller, method: str, target: str, kwargs: dict):
    """What ``caller`` gets for one row of the table, as the table writes it."""
    app = guarded["app"]
    if method == "ROUTER":
        return _shown(caller.request("POST", DASH_UPDATE, json=_router_body(app, target)), target)
    if method == "CALLBACK":
        key = next(k for k in app.callback_map if first_output_id(k) == target)
        body = dash_body(key, app.callback_map[key])
        return caller.request("POST", DASH_UPDATE, json=body).status_code
    answer = caller.request(method, target, **kwargs)
    if answer.status_code == 302 and answer.headers["Location"].startswith("/login"):
        return LOGIN
    return answer.status_code


def test_who_gets_what_on_the_critical_routes_as_the_documents_promise(guarded):
    assert set(MATRIX_CALLERS) == set(guarded["callers"]), "a caller without a column"
    mistakes = []
    for method, target, kwargs, row in EXPECTED_ACCESS:
        for name, expected in zip(MATRIX_CALLERS, row, strict=True):
            got = _answer(guarded, guarded["callers"][name], method, target, kwargs)
            if (expected == "ok" and got in LET_THROUGH) or got == expected:
                continue
            mistakes.append(f"{name} {method} {target}: got {got}, expected {expected}")
    assert mistakes == []


def test_an_api_route_asked_with_another_method_is_405_with_its_allow_header(guarded):
    """Every route under /api/ and /open311/: a method it does not take is 405
    with Allow naming those it does (not the 404 of a path that does not
    exist), whoever asks; an unknown path stays 404."""
    app, caller = guarded["app"], guarded["callers"]["admin"]
    adapter = app.server.url_map.bind("localhost")

    def taken_at(url: str) -> set[str]:  # by any rule at this path, not the 404 catch-all
        return {
            m
            for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
            if not adapter.match(url, method=m, return_rule=True)[0].endpoint.startswith("no_such")
        }

    checked = 0
    for rule in app.server.url_map.iter_rules():
        url = adapter.build(rule.endpoint, {n: SAMPLE[n] for n in rule.arguments})
        if not url.startswith(("/api/", "/open311/")) or rule.endpoint.startswith("no_such"):
            continue
        taken = taken_at(url)
        other = next(m for m in ("PUT", "DELETE", "POST", "GET") if m not in taken)
        answer = caller.request(other, url)
        assert answer.status_code == 405, (rule.endpoint, other, answer.status_code)
        assert taken <= {m.strip() for m in answer.headers["Allow"].split(",")}, rule.endpoint
        checked += 1
    assert checked > 40
    for url in ("/api/v1/no-such-thing", "/open311/v2/no-such.json"):
        assert caller.request("GET", url).status_code == 404
