"""The command map at `/`: the city on one map with its headline figures."""

from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, dcc, html

from dashboard import ids
from dashboard.components.panels import kpi_tiles, legend, town_ranking
from dashboard.i18n import t
from dashboard.map_view import command_view
from layers import cadres, grids, incidents
from layers.registry import LAYER_IDS, LAYERS
from layers.style import BACKGROUND

REFRESH_MS = 60_000
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


def layout(lang: str) -> html.Div:
    """The page in ``lang``; the map and figures arrive by callback."""
    return html.Div(
        [
            dcc.Store(id=ids.SCREEN),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2(t("panel.situation", lang)),
                                    html.Div(id=ids.KPIS, className="gc-kpis"),
                                ],
                                className="gc-panel",
                            ),
                            html.Div(
                                [html.H2(t("panel.towns", lang)), html.Div(id=ids.TOWN_RANKING)],
                                className="gc-panel",
                            ),
                        ],
                        className="gc-side",
                    ),
                    html.Div(
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
                        className="gc-map-frame",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H2(t("panel.layers", lang)),
                                    dcc.Checklist(
                                        id=ids.LAYER_TOGGLES,
                                        options=[
                                            {"label": spec.title(lang), "value": spec.id}
                                            for spec in LAYERS
                                        ],
                                        value=list(LAYER_IDS),
                                        className="gc-toggles",
                                    ),
                                ],
                                className="gc-panel",
                            ),
                            html.Div(
                                [
                                    html.H2(t("panel.legend", lang)),
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


def register(app, context) -> None:
    """Attach the page's callbacks to ``app``; ``context`` holds store and settings."""
    settings = context.settings

    app.clientside_callback(
        "function(_) { return {width: window.innerWidth, height: window.innerHeight}; }",
        Output(ids.SCREEN, "data"),
        Input(ids.MAP, "id"),
    )

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.KPIS, "children"),
        Output(ids.TOWN_RANKING, "children"),
        Output(ids.UPDATED, "children"),
        Input(ids.SCREEN, "data"),
        Input(ids.REFRESH, "n_intervals"),
        State(ids.LANG, "data"),
        State(ids.LAYER_TOGGLES, "value"),
    )
    def refresh_map(screen, _tick, lang, visible):
        lang = lang or settings.lang
        view = command_view(
            context.store,
            lang=lang,
            screen=screen,
            visible=visible or [],
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
        )
        stamp = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
        return (
            view.figure,
            kpi_tiles(view.situation, lang),
            town_ranking(view.ranking, lang),
            f"{t('updated', lang)} {stamp:%H:%M:%S} · #{view.change_seq}",
        )

    app.clientside_callback(
        TOGGLE_LAYERS_JS,
        Output(ids.MAP, "figure", allow_duplicate=True),
        Input(ids.LAYER_TOGGLES, "value"),
        State(ids.MAP, "figure"),
        prevent_initial_call=True,
    )
