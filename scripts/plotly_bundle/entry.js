'use strict';

// The trace types Grid Command's charts draw, on top of plotly.js's core (which
// always carries `scatter` and the components: legend, hover, colorbar, modebar...).
// No map traces: every map is Leaflet (dash-leaflet), so no MapLibre either.
// Add a trace here (and rebuild with `make plotly-bundle`) before the app uses it:
// a trace of an unregistered type draws nothing and raises no error.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/bar')
]);

module.exports = Plotly;
