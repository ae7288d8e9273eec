"""主动发现 on the dispatch console: recurring trouble spots proposed to the desk.

Each spot comes with its evidence (category, place, how often, the dates, the
reports, a small map); one click opens it as a proactive case
(``services.proactive.open_case``), which joins the queue, or dismisses it.
The views are in ``dashboard.proactive_view``; the console's page registers
these callbacks with its own (``dashboard.pages.console.register``).
"""

from __future__ import annotations

import datetime as dt

import dash_leaflet as dl
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.console_view import detail_children, incident_detail
from dashboard.dispatch_view import map_size
from dashboard.i18n import t
from dashboard.leaflet_parts import canvas_map, empty, js
from dashboard.proactive_view import card_class, spot_cards, spot_evidence, spot_map
from dashboard.wiring import Callbacks
from domain.errors import GridCommandError
from layers.dispatch_lines import fit_bounds
from services import proactive
from web.guard import current_principal

callbacks = Callbacks()

REFRESH_MS = 300_000  # new reports make new spots slowly: every 5 minutes, and after a move
POINTS = "proactive-points"
RING = "proactive-ring"
GRIDS = "proactive-grids"
PICKED = "proactive-picked"  # dcc.Store: the key of the spot on the small map
GRID_LINES = {"color": "#5f95cc", "weight": 1.0, "opacity": 0.7}


def register(app, context) -> None:
    """Attach the panel's callbacks to ``app``; ``context`` holds the store."""
    callbacks.register(app, context)


def panel(lang: str, sources: dict) -> html.Div:
    """The panel: its title and count, the spots as cards, the small map of one."""
    small_map = canvas_map(
        ids.PROACTIVE_MAP,
        [
            dl.GeoJSON(
                id=GRIDS, url=sources["grids"], style=js("outlineStyle"), hideout=GRID_LINES
            ),
            dl.GeoJSON(id=RING, data=empty(), style=js("fillStyle")),
            dl.Pane(
                dl.GeoJSON(
                    id=POINTS, data=empty(), pointToLayer=js("point"), onEachFeature=js("spotEach")
                ),
                name="gc-spot-points",
                style={"zIndex": 450},
            ),
            dl.ScaleControl(position="bottomleft", imperial=False, maxWidth=120),
        ],
        fit_bounds([]),
        sources,
    )
    return html.Div(
        [
            dcc.Store(id=ids.PROACTIVE_SPOTS),
            dcc.Store(id=PICKED),
            dcc.Interval(id=ids.PROACTIVE_REFRESH, interval=REFRESH_MS),
            html.Div(
                [
                    html.H2(t("proactive.title", lang)),
                    html.Span(id=ids.PROACTIVE_COUNT, className="gc-spot-count"),
                    html.Div(id=ids.PROACTIVE_RESULT, className="gc-result"),
                ],
                className="gc-toolbar",
            ),
            html.Div(
                [
                    html.Div(id=ids.PROACTIVE, className="gc-spots"),
                    html.Div(
                        small_map,
                        className="gc-map-frame gc-spot-map",
                        role="region",
                        **{"aria-label": t("proactive.map", lang)},
                    ),
                ],
                className="gc-proactive-body",
            ),
        ],
        className="gc-panel gc-proactive",
    )


@callbacks(
    Output(ids.PROACTIVE, "children"),
    Output(ids.PROACTIVE_COUNT, "children"),
    Output(ids.PROACTIVE_SPOTS, "data"),
    Input(ids.PROACTIVE_REFRESH, "n_intervals"),
    Input(ids.MOVED, "data"),
    State(PICKED, "data"),
    State(ids.LANG, "data"),
)
def load_spots(context, _tick, _moved, picked, lang):
    lang = lang or "zh"
    found = proactive.proposals(context.store, dt.datetime.now(dt.UTC))
    spots = spot_evidence(context.store, found, lang)
    keys = [s["key"] for s in spots]
    picked = picked if picked in keys else (keys[0] if keys else None)
    count = t("proactive.count", lang).format(n=len(spots)) if spots else ""
    return spot_cards(spots, lang, picked), count, spots


@callbacks(
    Output(ids.PROACTIVE_MAP, "viewport"),
    Output(POINTS, "data"),
    Output(RING, "data"),
    Output(PICKED, "data"),
    Output({"type": ids.PROACTIVE_CARD, "spot": ALL}, "className"),
    Input(ids.PROACTIVE_SPOTS, "data"),
    Input({"type": ids.PROACTIVE_PICK, "spot": ALL}, "n_clicks"),
    State(PICKED, "data"),
    State(ids.CONSOLE_SCREEN, "data"),
)
def show_spot(context, spots, _clicks, picked, screen):
    """The small map of the spot picked (by its 看地图 button, else the one
    shown before, else the first), and which card is marked."""
    spots = spots or []
    keys = [s["key"] for s in spots]
    clicked = [
        e["prop_id"] for e in ctx.triggered if e["value"] and ids.PROACTIVE_PICK in e["prop_id"]
    ]
    if clicked and isinstance(ctx.triggered_id, dict):
        picked = ctx.triggered_id["spot"]
    if picked not in keys:
        picked = keys[0] if keys else None
    spot = next((s for s in spots if s["key"] == picked), None)
    drawn = spot_map(spot, map_size(screen)[2])
    view = {"bounds": drawn["bounds"]} if drawn["bounds"] else no_update
    classes = [card_class(o["id"]["spot"] == picked) for o in ctx.outputs_list[4]]
    return view, drawn["points"], drawn["ring"], picked, classes


@callbacks(
    Output(ids.PROACTIVE_RESULT, "children"),
    Output(ids.MOVED, "data", allow_duplicate=True),
    Input({"type": ids.PROACTIVE_OPEN, "spot": ALL}, "n_clicks"),
    Input({"type": ids.PROACTIVE_DISMISS, "spot": ALL}, "n_clicks"),
    State(ids.MOVED, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def decide(context, _opened, _dismissed, moved, lang):
    """立案 or 忽略 on one spot, in the signed-in person's name."""
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not any(e["value"] for e in ctx.triggered):
        return no_update, no_update  # cards drawn anew, nothing pressed
    lang, now = lang or "zh", dt.datetime.now(dt.UTC)
    try:
        if pressed["type"] == ids.PROACTIVE_OPEN:
            incident = proactive.open_case(context.store, pressed["spot"], current_principal(), now)
            public_id = context.store.incidents(ids=[incident]).iloc[0]["public_id"]
            done = t("proactive.opened", lang).format(id=public_id)
        else:
            proactive.dismiss(context.store, pressed["spot"], current_principal(), now)
            done = t("proactive.dismissed", lang)
    except GridCommandError as error:
        return html.Span(error.message(lang), className="gc-error"), (moved or 0) + 1
    return html.Span(done, className="gc-ok"), (moved or 0) + 1


@callbacks(
    Output(ids.DETAIL, "children", allow_duplicate=True),
    Output(ids.QUEUE, "selectedRows", allow_duplicate=True),
    Input({"type": ids.PROACTIVE_REPORT, "incident": ALL}, "n_clicks"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def show_report(context, _clicks, lang):
    """One report of a spot in the detail panel, read only: the queue's pick
    is cleared, so no move can reach an incident other than the one shown."""
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not any(e["value"] for e in ctx.triggered):
        return no_update, no_update
    lang = lang or "zh"
    detail = incident_detail(context.store, int(pressed["incident"]), lang)
    return detail_children(detail, lang, current_principal(), moves=False), []
