// The report page's small map: the towns' outlines (no tiles, no internet), a
// tap chooses the place, the chosen place is a ring. Leaflet (window.L) comes
// from /report/leaflet/, taken from dash-leaflet's bundle. Without it (an old
// cache, a failed load) the page still works with the phone's position.
"use strict";

const box = document.getElementById("map");

async function draw() {
  const L = window.L;
  if (!L || !box) {
    if (box) box.hidden = true;
    return;
  }
  const map = L.map(box, { attributionControl: false, zoomSnap: 0.5 });
  map.setView([36.3, 120.0], 10);
  let ring = null;
  document.addEventListener("gc-place", (event) => {
    const { lon, lat } = event.detail;
    if (ring) ring.remove();
    ring = L.circleMarker([lat, lon], { radius: 12, color: "#d14900", weight: 4, fillOpacity: 0.4 }).addTo(map);
    if (!map.getBounds().contains([lat, lon])) map.setView([lat, lon], Math.max(map.getZoom(), 14));
  });
  map.on("click", (event) => {
    const { lng, lat } = event.latlng;
    document.dispatchEvent(new CustomEvent("gc-map-tap", { detail: { lon: lng, lat } }));
  });
  try {
    const answer = await fetch("/report/towns.geojson");
    if (!answer.ok) return;
    const towns = L.geoJSON(await answer.json(), {
      style: { color: "#0b3d91", weight: 2, fillColor: "#dfe7f5", fillOpacity: 0.5 },
      interactive: false,
    }).addTo(map);
    map.fitBounds(towns.getBounds(), { padding: [8, 8] });
  } catch {
    // the outlines are a help, not a need: a tap still gives the place
  }
}

draw();
