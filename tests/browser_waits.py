"""Waits of the browser tests: until something holds on the page, never a fixed time.

A fixed sleep is too short on a loaded machine and needlessly long on an idle
one; these wait for what such a sleep hoped for: Dash done with its
callbacks, a map at rest, what the test reads next no longer changing.
"""

from __future__ import annotations

# dash-renderer has no callback requested, queued, blocked, running or being
# applied (its store, read as dash.testing reads it), and no component of the
# page says it is loading.
DASH_IDLE_JS = """
() => {
    const callbacks = window.store && window.store.getState().callbacks;
    if (!callbacks) return false;
    const busy = ['requested', 'prioritized', 'blocked', 'executing', 'watched', 'executed']
        .some((stage) => (callbacks[stage] || []).length > 0);
    return !busy && !document.querySelector('[data-dash-is-loading="true"]');
}
"""

# A Leaflet map (by the id of its element) is not animating a zoom: while it
# does, its pane is scaled by CSS and the map reports the old view.
MAP_NOT_ZOOMING_JS = "(id) => !document.querySelector(`#${id} .leaflet-zoom-anim`)"

# A map's view as gc_map.js reports it: its zoom, and where one fixed point
# (WGS84) is on the page; a pan or a zoom changes it.
MAP_VIEW_JS = """
() => {
    const state = window.gc && window.gc.map && window.gc.map.state();
    return state && [state.zoom, window.gc.map.screen(120, 36)];
}
"""


def wait_steady(
    page,
    look_js: str,
    *,
    ready_js: str = "() => true",
    frames: int = 3,
    timeout_ms: int = 60_000,
) -> None:
    """Until Dash is idle, ``ready_js`` holds and ``look_js`` gives the same
    answer (as JSON) ``frames`` animation frames in a row.

    ``look_js`` is what the test reads next: a map that pans, a grid that
    renders its rows a frame at a time, a chart that redraws all come to rest
    before it is read. Both are JavaScript functions of no argument.
    """
    page.evaluate("() => { window.__gcSteady = null; }")
    page.wait_for_function(
        f"""(frames) => {{
            if (!({DASH_IDLE_JS})() || !({ready_js})()) {{ window.__gcSteady = null; return false; }}
            const look = JSON.stringify(({look_js})());
            const seen = window.__gcSteady;
            if (!seen || seen.look !== look) {{
                window.__gcSteady = {{look: look, frames: 0}};
                return false;
            }}
            seen.frames += 1;
            return seen.frames >= frames;
        }}""",
        arg=frames,
        polling="raf",
        timeout=timeout_ms,
    )


def wait_map_at_rest(page, map_id: str, *, ready_js: str = "() => true", look_js: str = "") -> None:
    """Until the Leaflet map ``map_id`` neither pans nor zooms, Dash is idle,
    ``ready_js`` holds and ``look_js`` (if given) has come to rest too."""
    ready = f"() => ({MAP_NOT_ZOOMING_JS})({map_id!r}) && ({ready_js})()"
    look = f"() => [({MAP_VIEW_JS})(), ({look_js or '() => null'})()]"
    wait_steady(page, look, ready_js=ready)


def wait_clickable(page, map_id: str, layer: str, feature_id: str) -> dict:
    """Where feature ``feature_id`` of ``layer`` is on the page (client px),
    once the map ``map_id`` is at rest and its canvas is what a click there
    reaches (no tooltip, label or control on top)."""
    pixel = f"() => window.gc.map.pixel({layer!r}, {str(feature_id)!r})"
    on_top = f"""() => {{
        const at = ({pixel})();
        const top = at && document.elementFromPoint(at.x, at.y);
        return Boolean(top) && top.tagName === 'CANVAS' && top.closest('#{map_id}') !== null;
    }}"""
    wait_map_at_rest(page, map_id, ready_js=on_top, look_js=pixel)
    return page.evaluate(pixel)
