"""Every page, as the router builds it, gives each component an id of its own.

Dash checks ids only in the app's first layout, not in what a callback returns,
so two components of a routed page sharing an id (say the map's problems layer
and the problems table) pass silently: one of them then never updates. This
test asks the router for each page as the browser does and walks the tree.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from dashboard import ids
from tests.servers import add_user, signed_in_client, tiny_app

# Each page, and who may open it.
PAGES = {
    "/": "admin",
    "/dispatch": "operator",
    "/review": "admin",
    "/events": "admin",
    "/admin": "admin",
    "/data": "admin",
}


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    """Signed-in clients by role, and the router's key."""
    app, store = tiny_app(tmp_path_factory.mktemp("ids"))
    clients = {
        role: signed_in_client(app.server, add_user(store, role)) for role in set(PAGES.values())
    }
    for client in clients.values():
        client.get("/")  # sets the _csrf_token cookie, as for a browser
    key = next(k for k in app.callback_map if f"{ids.PAGE}.children" in k)
    yield app, clients, key
    store.close()


def component_ids(node) -> list[str]:
    """Every id in a serialised Dash component tree (dict ids as sorted JSON)."""
    found = []
    if isinstance(node, list):
        for child in node:
            found += component_ids(child)
    elif isinstance(node, dict):
        props = node.get("props", {}) if "type" in node and "namespace" in node else {}
        if "id" in props:
            given = props["id"]
            found.append(given if isinstance(given, str) else json.dumps(given, sort_keys=True))
        for value in props.values():
            found += component_ids(value)
    return found


def page_tree(app, client, key: str, path: str) -> dict:
    entry = app.callback_map[key]
    values = {
        (ids.URL, "pathname"): path,
        (ids.URL, "search"): "",
        (ids.WINDOW, "data"): {"width": 1920, "height": 1080},
    }

    def items(specs):
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get((s["id"], s["property"])),
            }
            for s in specs
        ]

    body = {
        "output": key,
        "outputs": [{"id": ids.PAGE, "property": "children"}, {"id": ids.LANG, "property": "data"}],
        "inputs": items(entry["inputs"]),
        "state": items(entry["state"]),
        "changedPropIds": [f"{ids.URL}.pathname"],
    }
    token = client.get_cookie("_csrf_token").value
    answer = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_json()["response"][ids.PAGE]["children"]


@pytest.mark.parametrize("path", PAGES)
def test_no_two_components_of_a_page_share_an_id(routed, path):
    app, clients, key = routed
    tree = page_tree(app, clients[PAGES[path]], key, path)
    found = component_ids(tree) + component_ids(app.layout.to_plotly_json())
    assert len(found) > 10  # the page really was built
    assert [name for name, n in Counter(found).items() if n > 1] == []


def test_the_walk_finds_a_shared_id():
    tree = {
        "type": "Div",
        "namespace": "dash_html_components",
        "props": {
            "children": [
                {"type": "Div", "namespace": "x", "props": {"id": "a"}},
                {"type": "Div", "namespace": "x", "props": {"id": "a"}},
            ]
        },
    }
    assert Counter(component_ids(tree))["a"] == 2
