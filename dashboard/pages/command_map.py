"""The command map at `/`: the city on one map with its headline figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from dash import Input, Output, State, ctx, dcc, html, no_update
from plotly.io.json import to_json_plotly

from api.guard import current_principal
from dashboard import ids
from dashboard.components.panels import (
    category_bars,
    event_banner,
    kpi_tiles,
    legend,
    service_tiles,
    ticker,
    town_ranking,
    trend_bars,
)
from dashboard.connection import register_connection_note
from dashboard.i18n import t
from dashboard.kiosk import Kiosk
from dashboard.live import figure_patch
from dashboard.map_view import current_minute, shared_view, shown_figure, town_codes
from layers import cadres, grids, incidents
from layers.registry import LAYERS
from layers.style import BACKGROUND

# Ids of the live machinery of this page.
LIVE_STATE = "live-state"  # {seq, digests, ok_at}: what this screen shows
STALE = "stale-note"
KIOSK = "kiosk-options"
SERVICE, TREND_24H, TREND_7D = "service-tiles", "trend-24h", "trend-7d"
CATEGORIES, TICKER = "open-categories", "ticker"
EVENTS_BANNER = "wall-events"


def _panel(title: str, body_id: str, class_name: str | None = None) -> html.Div:
    return html.Div([html.H2(title), html.Div(id=body_id, className=class_name)],
                    className="gc-panel")  # fmt: skip


EMPTY_FIGURE = {
    "data": [],
    "layout": {
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
    },
}


def layout(lang: str, kiosk: Kiosk | None = None) -> html.Div:
    """The page in ``lang``; the map and figures arrive by callback.

    Every ``kiosk.refresh_s`` the screen asks whether the change feed moved
    and gets only the traces that changed (``dashboard.live``). The kiosk
    options of the URL (town focus, layers, tour) come in ``kiosk``.
    """
    kiosk = kiosk or Kiosk(refresh_s=2.0)
    return html.Div(
        [
            dcc.Store(id=ids.SCREEN),
            dcc.Store(id=LIVE_STATE),
            dcc.Store(id=KIOSK, data={"town": kiosk.town, "tour_s": kiosk.tour_s}),
            dcc.Interval(id=ids.REFRESH, interval=int(kiosk.refresh_s * 1000)),
            html.Div(id=STALE, className="gc-stale", style={"display": "none"}),
            html.Div(" · ".join(kiosk.notes), className="gc-kiosk-note") if kiosk.notes else None,
            html.Div(
                [
                    html.Div(
                        [
                            _panel(t("panel.situation", lang), ids.KPIS, "gc-kpis"),
                            _panel(t("panel.service", lang), SERVICE, "gc-kpis gc-kpis-small"),
                            _panel(t("panel.trend_24h", lang), TREND_24H),
                            _panel(t("panel.trend_7d", lang), TREND_7D),
                        ],
                        className="gc-side",
                    ),
                    html.Div(
                        [
                            html.Div(id=EVENTS_BANNER, className="gc-wall-events"),
                            dcc.Graph(
                                id=ids.MAP,
                                className="gc-map",
                                figure=EMPTY_FIGURE,
                                config={
                                    "displayModeBar": False,
                                    "scrollZoom": True,
                                    "responsive": True,
                                },
                                style={"height": "100%", "width": "100%"},
                            ),
                            html.Div(
                                legend(
                                    [
                                        (t("legend.grids", lang), grids.legend(lang), "swatch"),
                                        (
                                            t("legend.incidents", lang),
                                            incidents.legend(lang),
                                            "dot",
                                        ),
                                        (t("legend.cadres", lang), cadres.legend(lang), "dot"),
                                    ]
                                ),
                                className="gc-wall-legend",
                            ),
                        ],
                        className="gc-map-frame",
                    ),
                    html.Div(
                        [
                            _panel(t("panel.towns", lang), ids.TOWN_RANKING),
                            _panel(t("panel.categories", lang), CATEGORIES),
                            _panel(t("panel.ticker", lang), TICKER),
                            html.Div(
                                [
                                    html.H2(t("panel.layers", lang)),
                                    dcc.Checklist(
                                        id=ids.LAYER_TOGGLES,
                                        options=[
                                            {"label": spec.title(lang), "value": spec.id}
                                            for spec in LAYERS
                                        ],
                                        value=list(kiosk.layers),
                                        className="gc-toggles",
                                    ),
                                ],
                                className="gc-panel",
                            ),
                            html.Div(id=ids.UPDATED, className="gc-updated"),
                        ],
                        className="gc-side",
                    ),
                ],
                className="gc-body",
            ),
        ],
        className="gc-page",
    )


# Layer toggles run in the browser: each trace carries its layer id in ``meta``
# and each map layer's name starts with it, so nothing goes to the server.
TOGGLE_LAYERS_JS = """
function (visible, figure) {
    if (!figure || !figure.data || !figure.layout || !figure.layout.map) {
        return window.dash_clientside.no_update;
    }
    const shown = new Set(visible || []);
    const layerOf = (name) => String(name || "").split("-")[0];
    return Object.assign({}, figure, {
        data: figure.data.map((t) => Object.assign({}, t, {visible: shown.has(t.meta)})),
        layout: Object.assign({}, figure.layout, {
            map: Object.assign({}, figure.layout.map, {
                layers: (figure.layout.map.layers || []).map(
                    (l) => Object.assign({}, l, {visible: shown.has(layerOf(l.name))})),
            }),
        }),
    });
}
"""


def focus_town(kiosk: dict, codes: list[str], now_s: float) -> str | None:
    """The town a screen focuses on now: its ``town``, or the tour's current stop."""
    if kiosk.get("tour_s") and codes:
        return codes[int(now_s // kiosk["tour_s"]) % len(codes)]
    return kiosk.get("town")


def unchanged_panels(panels: list, old: list[str] | None) -> tuple[list, list[str]]:
    """The panels to send (``no_update`` where the screen already shows the
    same one) and their digests."""
    digests = [
        hashlib.blake2b(to_json_plotly(panel).encode(), digest_size=8).hexdigest()
        for panel in panels
    ]
    if old is None or len(old) != len(digests):
        return panels, digests
    return [
        no_update if a == b else panel for panel, a, b in zip(panels, digests, old, strict=True)
    ], digests


def _now_ms() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


# The browser window's size, written into a dcc.Store once the page is up.
WINDOW_SIZE_JS = "function(_) { return {width: window.innerWidth, height: window.innerHeight}; }"


def register(app, context) -> None:
    """Attach the page's callbacks to ``app``; ``context`` holds store and settings."""
    settings = context.settings

    app.clientside_callback(
        WINDOW_SIZE_JS,
        Output(ids.SCREEN, "data"),
        Input(ids.MAP, "id"),
    )

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.KPIS, "children"),
        Output(ids.TOWN_RANKING, "children"),
        Output(SERVICE, "children"),
        Output(TREND_24H, "children"),
        Output(TREND_7D, "children"),
        Output(CATEGORIES, "children"),
        Output(TICKER, "children"),
        Output(EVENTS_BANNER, "children"),
        Output(ids.UPDATED, "children"),
        Output(LIVE_STATE, "data"),
        Input(ids.SCREEN, "data"),
        Input(ids.REFRESH, "n_intervals"),
        State(LIVE_STATE, "data"),
        State(KIOSK, "data"),
        State(ids.LANG, "data"),
        State(ids.LAYER_TOGGLES, "value"),
    )
    def refresh_map(screen, _tick, state, kiosk, lang, visible):
        lang = lang or settings.lang
        scope = current_principal().town  # a town leader sees their town only
        focus = scope or focus_town(kiosk or {}, town_codes(context.store), time.time())
        first = ctx.triggered_id == ids.SCREEN or not state or state.get("focus") != focus
        quiet = state and state.get("seq") == context.store.latest_seq() and not state.get(
            "flash") and state.get("minute") == current_minute()  # fmt: skip
        if not first and quiet:
            return (*[no_update] * 10, {**state, "ok_at": _now_ms()})
        view = shared_view(
            context.store,
            lang=lang,
            screen=screen,
            visible=visible or [],
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
            focus=focus,
            scope=scope,
        )
        old = None if first else state.get("digests")
        figure, digests = figure_patch(view.figure, old, shown_figure(old), view.digests)
        panels = [
            kpi_tiles(view.situation, lang),
            town_ranking(view.ranking, lang),
            service_tiles(view.service, lang),
            trend_bars(view.trend_24h, lang, step="h"),
            trend_bars(view.trend_7d, lang, step="D"),
            category_bars(view.categories.head(6), lang),
            ticker(view.newest.head(6), lang),
            event_banner(view.events, lang),
        ]
        sent, panel_digests = unchanged_panels(panels, None if first else state.get("panels"))
        stamp = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
        new_state = {"seq": view.change_seq, "digests": digests, "ok_at": _now_ms(),
                     "flash": view.flash_until is not None, "focus": focus,
                     "panels": panel_digests, "minute": current_minute()}  # fmt: skip
        return (
            no_update if figure is None else figure,
            *sent,
            f"{t('updated', lang)} {stamp:%H:%M:%S} · #{view.change_seq}",
            new_state,
        )

    # A screen that loses the server keeps its picture and says since when
    # (only after a check went unanswered); the interval keeps asking, so it
    # recovers by itself.
    register_connection_note(app, STALE, ids.CLOCK_TICK, ids.REFRESH, LIVE_STATE, ids.LANG)

    app.clientside_callback(
        TOGGLE_LAYERS_JS,
        Output(ids.MAP, "figure", allow_duplicate=True),
        Input(ids.LAYER_TOGGLES, "value"),
        State(ids.MAP, "figure"),
        prevent_initial_call=True,
    )
