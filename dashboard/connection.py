"""The "connection lost" note of a live screen: shown only after a failed check.

A check is one refresh request of the screen (its ``dcc.Interval`` asking the
server whether the change feed moved). It has failed when it was sent and no
answer came within ``max(10 s, 3 refresh periods)``. Everything is timed on
the browser's own clock (the server's clock may differ), and:

- before the first answer there is no picture to call stale, so no note: a
  first draw, however slow, never shows it;
- time when the page itself was frozen (a long first draw on a busy machine
  delays every timer and every answer alike) does not count against the server;
- the time in the note is the last answer's, in China time (Asia/Shanghai),
  like the screen's clock, whatever the browser's own time zone.

The state lives in ``window.gcConnection`` (one object per page load); the
function is a clientside callback, so it runs under the strict CSP.
"""

from __future__ import annotations

import json

from dash import Input, Output, State

CONNECTION_JS = """
function (_tick, _asked, answer, interval, lang) {
    const now = Date.now();
    const live = window.gcConnection || (window.gcConnection = {});
    const fired = (window.dash_clientside.callback_context.triggered || [])
        .map((t) => String(t.prop_id || ""));
    const by = (prefix) => fired.some((id) => id.startsWith(prefix));
    if (by(%(answer)s) && answer) {          // an answer: the server is there
        live.okAt = now;
        live.pendingSince = null;
    }
    if (by(%(tick)s)) {
        const gap = live.lastTick === undefined ? 0 : now - live.lastTick;
        if (gap > 2500 && live.pendingSince) live.pendingSince += gap - 1000;  // frozen page
        live.lastTick = now;
    }
    if (by(%(refresh)s) && live.okAt && !live.pendingSince) live.pendingSince = now;
    const deadline = Math.max(10000, 3 * (interval || 2000));
    if (!live.okAt || !live.pendingSince || now - live.pendingSince < deadline) {
        return [window.dash_clientside.no_update, {display: "none"}];
    }
    const parts = {};
    new Intl.DateTimeFormat("en-GB", {timeZone: "Asia/Shanghai", hourCycle: "h23",
        hour: "2-digit", minute: "2-digit", second: "2-digit"})
        .formatToParts(new Date(live.okAt)).forEach((p) => { parts[p.type] = p.value; });
    const since = `${parts.hour}:${parts.minute}:${parts.second}`;
    const text = lang === "en" ? "No connection to the server since " + since + ": showing that picture"
                               : "与服务器连接中断，画面停留在 " + since;
    return [text, {display: "block"}];
}
"""


def register_connection_note(
    app, note: str, tick: str, refresh: str, answer: str, lang: str
) -> None:
    """Show the note ``note`` (children, style) when the refresh ``refresh``
    (a dcc.Interval) went unanswered; ``answer`` is the dcc.Store that every
    answer of the server writes, ``tick`` the page's 1-second interval."""
    prefixes = {"refresh": refresh, "tick": tick, "answer": answer}
    app.clientside_callback(
        CONNECTION_JS % {key: json.dumps(name + ".") for key, name in prefixes.items()},
        Output(note, "children"),
        Output(note, "style"),
        Input(tick, "n_intervals"),
        Input(refresh, "n_intervals"),
        Input(answer, "data"),
        State(refresh, "interval"),
        State(lang, "data"),
    )
