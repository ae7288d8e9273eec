/* Grid Command: a live screen hears at once that the change feed moved.
 *
 * The wall checks for changes every GC_REFRESH_S (its dcc.Interval); a new
 * report would wait up to one interval. Beside those checks this script
 * keeps one long poll open (GET /api/v1/changes/wait?after=N, answered when
 * the feed moves past N, else after 25 s) and, when the feed passes what the
 * screen shows, makes the refresh interval ("refresh", dashboard.ids.REFRESH)
 * tick at once: the wall's own update callback asks for what changed. The
 * interval's checks stay: if the long poll fails or the server is busy, the
 * screen still updates on its next check. Told of the screen's live state by
 * a clientside callback (ClientsideFunction "gc_live.shown"); it runs in a
 * file of the site, so the Content-Security-Policy needs no inline script.
 */
(function () {
  "use strict";
  const CHECK = "refresh";  // the wall's dcc.Interval (dashboard.ids.REFRESH)
  const RETRY_MS = 5000;  // after a failed or busy answer
  const live = {shown: -1, running: false};

  function check() {  // the interval while the wall is on the page, else null
    const api = window.dash_component_api;
    return (api && api.getLayout && api.getLayout(CHECK)) || null;
  }

  function pause(ms) { return new Promise((done) => setTimeout(done, ms)); }

  async function ask(after) {
    try {
      const answer = await fetch("/api/v1/changes/wait?after=" + after,
        {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}});
      return answer.ok ? await answer.json() : null;
    } catch (e) {
      return null;  // the server is away: the screen's checks say so, and we ask again
    }
  }

  async function loop() {
    live.running = true;
    try {
      while (check()) {
        const answer = await ask(live.shown);
        const interval = check();
        if (!answer || answer.busy) {
          await pause(RETRY_MS);
        } else if (answer.seq > live.shown && interval) {
          // One check now, as if the interval had ticked; its answer's live
          // state then moves `shown` on.
          const ticks = (interval.props && interval.props.n_intervals) || 0;
          window.dash_clientside.set_props(CHECK, {n_intervals: ticks + 1});
          live.shown = answer.seq;
        }
      }
    } finally {
      live.running = false;
    }
  }

  window.dash_clientside = Object.assign(window.dash_clientside || {}, {
    gc_live: {
      // The screen's live state changed: note the feed position it shows.
      shown(state) {
        const seq = state && typeof state.seq === "number" ? state.seq : -1;
        if (seq > live.shown) live.shown = seq;
        if (!live.running && seq >= 0) loop();
        return window.dash_clientside.no_update;
      },
    },
  });
})();
