/* Grid Command: the functions dash-leaflet calls to draw the wall's map.
 *
 * Named in the layout as {"variable": "gc.map.<name>"}; they live here, in a
 * file of the site, so the Content-Security-Policy needs no inline script and
 * no eval. Each receives dash-leaflet's context last: the component's props,
 * its `hideout` (a small mapping sent by the server) and the Leaflet `map`.
 *
 * Every vector layer shares one canvas (preferCanvas), drawn in the order of
 * RANK: a layer rebuilt by a live update is added on top of the canvas, so the
 * layers above it are brought to the front again, in order.
 */
(function () {
  "use strict";
  const RANK = {
    "wall-grids": 0, "wall-towns": 1, "wall-events-areas": 2, "wall-cadres": 3,
    "wall-incidents-halo": 4, "wall-incidents": 5, "wall-incidents-flash": 6,
    "wall-events-tasks": 7, "wall-towns-labels": 8,
    "console-grids": 0, "console-towns": 1, "console-backdrop": 2, "console-lines": 3,
    "console-cadres": 4, "console-incident": 5, "console-labels": 8,
    "import-map-towns": 0, "import-map-shapes": 1, "import-map-problems": 2,
    "review-map-land": 0, "review-map-grids": 1, "review-map-towns": 2, "review-map-hot": 3,
    "event-map-land": 0, "event-map-grids": 1, "event-map-towns": 2, "event-map-area": 3,
    "event-map-proposal": 4, "event-map-cadres": 5, "event-map-tasks": 6, "event-map-place": 7,
  };
  const byRank = new Map();  // rank -> Set of the Leaflet layers drawn at that rank
  let pending = null;  // the lowest rank added since the last restack
  let current = null;  // the Leaflet map, for `state`
  let spotMap = null;  // the console's small map of a recurring spot, for `spotPoints`

  function restack() {
    const from = pending;
    pending = null;
    [...byRank.keys()].filter((r) => r > from).sort((a, b) => a - b).forEach((r) => {
      byRank.get(r).forEach((layer) => { if (layer._map && layer.bringToFront) layer.bringToFront(); });
    });
  }

  function track(layer, context) {
    const rank = RANK[context.id] === undefined ? 9 : RANK[context.id];
    layer.gcLayer = context.id;
    current = context.map || current;
    if (!byRank.has(rank)) byRank.set(rank, new Set());
    layer.on("add", () => {
      byRank.get(rank).add(layer);
      if (rank === 0) { layer.bringToBack(); return; }
      if (pending === null) { pending = rank; setTimeout(restack, 0); } else { pending = Math.min(pending, rank); }
    });
    layer.on("remove", () => byRank.get(rank).delete(layer));
  }

  // A layer's hideout as Dash holds it now. dash-leaflet skips a hideout that
  // changes while the layer is still fetching its URL, then draws what it
  // fetched with the hideout it had when the fetch began: reading the current
  // one here keeps the map in step with the server. Looked up once per task
  // (a layer styles all its features in one task).
  let held = null;
  function hideoutOf(context) {
    if (!context) return {};
    const api = window.dash_component_api;
    if (!context.id || !api || !api.getLayout) return context.hideout || {};
    if (held === null) {
      held = new Map();
      queueMicrotask(() => { held = null; });
    }
    if (!held.has(context.id)) {
      const now = api.getLayout(context.id);
      held.set(context.id, (now && now.props && now.props.hideout) || context.hideout || {});
    }
    return held.get(context.id);
  }

  function hidden(context) {
    return hideoutOf(context).show === false;
  }

  // A hover card as an element: the text goes in as text, never as markup.
  function card(title, lines) {
    const box = document.createElement("div");
    const head = document.createElement("b");
    head.textContent = title;
    box.appendChild(head);
    lines.forEach((line) => {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(line));
    });
    return box;
  }

  function number(value) {
    return Number(value || 0).toLocaleString("en-US");
  }

  const map = {
    // GeoJSON `filter`: a layer switched off draws nothing.
    shown(feature, context) { return !hidden(context); },

    gridStyle(feature, context) {
      const h = hideoutOf(context);
      const cls = (h.cls || {})[feature.properties.code] || 0;
      return {
        fillColor: (h.fill || [])[cls] || "#12385c", fillOpacity: (h.alpha || [])[cls] || 0.35,
        color: h.line || "#4f86b8", weight: h.weight || 0.6, opacity: 0.9,
      };
    },

    gridEach(feature, layer, context) {
      track(layer, context);
      const h = hideoutOf(context);
      const w = h.words || {};
      const p = feature.properties;
      const open = (h.open || {})[p.code] || 0;
      layer.bindTooltip(() => card(p.name, [
        p.community_name || "",
        `${w.households} ${number(p.households)} · ${w.population} ${number(p.population)}`,
        `${w.worker} ${p.worker_name || "—"}`,
        `${w.open} ${open} ${w.unit}`.trim(),
      ]), {sticky: true, className: "gc-card"});
    },

    // The review's grids: filled by the metric (grey with nothing to measure),
    // the selected grid outlined.
    reviewStyle(feature, context) {
      const h = hideoutOf(context);
      const code = feature.properties.code;
      const fill = (h.fill || {})[code];
      const chosen = h.selected === code;
      return {fillColor: fill || h.nodata || "#d5dbe3", fillOpacity: fill ? 0.92 : 1,
              color: chosen ? h.selectedLine || "#111827" : h.line || "#8a97a8",
              weight: chosen ? 3 : 0.5, opacity: 1};
    },

    // Only the grids of the area reviewed (the URL may hold its whole town).
    reviewShown(feature, context) {
      return Object.prototype.hasOwnProperty.call(hideoutOf(context).value || {}, feature.properties.code);
    },

    reviewEach(feature, layer, context) {
      track(layer, context);
      const h = hideoutOf(context);
      const w = h.words || {};
      const p = feature.properties;
      if (h.selected === p.code) layer.on("add", () => layer.bringToFront());
      layer.bindTooltip(() => card(p.name, [
        p.community_name || "",
        `${w.metric}：${(h.value || {})[p.code] || "—"}`,
        `${w.incidents} ${number((h.incidents || {})[p.code])} ${w.unit} · ${w.worker} ${p.worker_name || "—"}`,
      ]), {sticky: true, className: "gc-card gc-card-light"});
    },

    // Grids as outlines, filled where the hideout marks them (the events
    // desk: the area being drawn, the event's area).
    markStyle(feature, context) {
      const h = hideoutOf(context);
      const fill = (h.fill || [])[(h.mark || {})[feature.properties.code] || 0];
      return {fill: Boolean(fill), fillColor: fill, fillOpacity: h.alpha || 0.55,
              color: h.line || "#8a97a8", weight: 0.4, opacity: 0.9};
    },

    // A hover card with the feature's name.
    nameEach(feature, layer, context) {
      track(layer, context);
      layer.bindTooltip(() => card(feature.properties.name || "", []),
                        {sticky: true, className: "gc-card gc-card-light"});
    },

    townStyle(feature, context) {
      const h = hideoutOf(context);
      return {color: h.color || "#7fd1ff", weight: h.weight || 1.8, opacity: 0.95,
              fill: Boolean(h.fill), fillColor: h.fill, fillOpacity: 1, interactive: false};
    },

    // Filled shapes: each feature says its fill, opacity and outline.
    fillStyle(feature) {
      const p = feature.properties;
      return {fillColor: p.c, fillOpacity: p.o === undefined ? 0.5 : p.o, color: p.line || p.c,
              weight: p.w || 1.5, opacity: 0.9};
    },

    // Outlines only, as the hideout says (the console's faint grids).
    outlineStyle(feature, context) {
      const h = hideoutOf(context);
      return {color: h.color || "#4d7fb3", weight: h.weight || 0.8, opacity: h.opacity || 0.4,
              fill: false, interactive: false};
    },

    // Lines of the console: each feature says its colour and width.
    lineStyle(feature) {
      const p = feature.properties;
      return {color: p.c, weight: p.w, opacity: 0.9, fill: false, interactive: false};
    },

    areaStyle(feature, context) {
      return {color: "#ff3b4f", weight: feature.properties.w || 3, fillColor: "#ff3b4f", fillOpacity: 0.1};
    },

    // Points: a circle marker on the canvas, as the server sized and coloured it.
    point(feature, latlng, context) {
      const p = feature.properties;
      const ring = Boolean(p.ring);
      return L.circleMarker(latlng, {
        radius: p.r, fillColor: p.c, fillOpacity: p.o === undefined ? 0.95 : p.o,
        color: ring ? p.c : "#04101e", weight: ring ? p.ring : 0.6, opacity: ring ? 0.95 : 0.8,
        interactive: Boolean(p.tooltip || p.label),
      });
    },

    pointEach(feature, layer, context) {
      track(layer, context);
      const p = feature.properties;
      if (p.label) {
        layer.bindTooltip(p.label, {permanent: true, direction: "top", className: "gc-task-label"});
        if (p.tooltip) layer.bindPopup(p.tooltip, {className: "gc-card"});  // escaped by the server
      } else if (p.tooltip) {
        layer.bindTooltip(p.tooltip, {className: "gc-card"});  // escaped by the server
      }
    },

    // The console's small map of one recurring spot (dashboard/proactive_panel.py):
    // a hover card per report, and kept apart from `current` (the console's map).
    spotEach(feature, layer, context) {
      spotMap = context.map || spotMap;
      layer.gcSpot = context.id;
      if (feature.properties.tooltip) layer.bindTooltip(feature.properties.tooltip, {className: "gc-card"});  // escaped by the server
    },

    // The small spot map's points: feature id -> [lon, lat] (for tests).
    spotPoints() {
      const out = {};
      if (spotMap) {
        spotMap.eachLayer((l) => {
          if (l.gcSpot && l.feature && l.getLatLng) {
            const at = l.getLatLng();
            out[l.feature.id] = [at.lng, at.lat];
          }
        });
      }
      return out;
    },

    areaEach(feature, layer, context) {
      track(layer, context);
      if (feature.properties.tooltip) layer.bindTooltip(feature.properties.tooltip, {sticky: true, className: "gc-card"});
    },

    label(feature, latlng, context) {
      const p = feature.properties;
      const text = document.createElement("span");
      text.className = "gc-town-name gc-town-" + (p.a || "center");
      text.style.fontSize = p.s + "px";
      text.textContent = p.name;
      const marker = L.marker(latlng, {
        icon: L.divIcon({html: text, className: "gc-town-label", iconSize: null}),
        interactive: false, keyboard: false,
      });
      return marker;
    },

    labelEach(feature, layer, context) { track(layer, context); },

    // A layer with nothing to bind (outlines, lines): kept in its place among the others.
    each(feature, layer, context) { track(layer, context); },

    // What the map shows now, by layer: features on the map and those drawn
    // inside the view, and how many grids have each fill colour (for tests
    // and benchmarks).
    state() {
      if (!current) return null;
      const added = {}, drawn = {}, radius = {}, gridFills = {}, fills = {};
      current.eachLayer((l) => {
        if (!l.gcLayer) return;
        added[l.gcLayer] = (added[l.gcLayer] || 0) + 1;
        const visible = l._parts ? l._parts.length > 0
          : typeof l._empty === "function" ? Boolean(l._renderer) && !l._empty() : Boolean(l._icon);
        if (visible) drawn[l.gcLayer] = (drawn[l.gcLayer] || 0) + 1;
        if (l.getRadius) radius[l.gcLayer] = l.getRadius();
        if (l.gcLayer === "wall-grids") gridFills[l.options.fillColor] = (gridFills[l.options.fillColor] || 0) + 1;
        if (visible && l.options.fill && l.options.fillOpacity > 0) {
          const of = fills[l.gcLayer] = fills[l.gcLayer] || {};
          of[l.options.fillColor] = (of[l.options.fillColor] || 0) + 1;
        }
      });
      return {added: added, drawn: drawn, zoom: current.getZoom(), radius: radius, gridFills: gridFills,
              fills: fills};
    },

    // Where a feature of a layer is on the page (client px): a point, or a
    // polygon's centre; found by its id or its code. The map is centred on it
    // at `zoom` first if given. For tests that click on the map.
    pixel(id, featureId, zoom) {
      let found = null;
      if (current) {
        current.eachLayer((l) => {
          if (l.gcLayer === id && l.feature && (String(l.feature.id) === String(featureId)
              || String(l.feature.properties.code) === String(featureId))) found = l;
        });
      }
      if (!found) return null;
      const at = found.getLatLng ? found.getLatLng() : found.getCenter();
      if (zoom !== undefined) current.setView(at, zoom, {animate: false});
      const xy = current.latLngToContainerPoint(at);
      const box = current.getContainer().getBoundingClientRect();
      return {x: box.left + xy.x, y: box.top + xy.y};
    },

    // Show a WGS84 box (for tests that draw: a pixel is then a few metres).
    fit(west, south, east, north) {
      if (current) current.fitBounds([[south, west], [north, east]], {padding: [60, 60], animate: false});
    },

    // Where a WGS84 point is on the page (client px), for tests that click or draw.
    screen(lon, lat) {
      if (!current) return null;
      const xy = current.latLngToContainerPoint([lat, lon]);
      const box = current.getContainer().getBoundingClientRect();
      return {x: box.left + xy.x, y: box.top + xy.y};
    },

    // How each feature of a layer is drawn: its code (or id) -> fill and line.
    styles(id) {
      const out = {};
      if (current) {
        current.eachLayer((l) => {
          if (l.gcLayer === id && l.feature) {
            const key = l.feature.properties.code || l.feature.id;
            out[key] = {fill: l.options.fillColor, line: l.options.color, weight: l.options.weight};
          }
        });
      }
      return out;
    },

    // The points of one layer on the map: feature id -> [lon, lat].
    points(id) {
      const out = {};
      if (current) {
        current.eachLayer((l) => {
          if (l.gcLayer === id && l.feature && l.getLatLng) {
            const at = l.getLatLng();
            out[l.feature.id] = [at.lng, at.lat];
          }
        });
      }
      return out;
    },
  };

  window.gc = Object.assign(window.gc || {}, {map: map});
})();
