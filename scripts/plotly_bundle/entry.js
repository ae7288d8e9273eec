'use strict';

// The trace types Grid Command draws, on top of plotly.js's core (which always
// carries `scatter` and the components: legend, hover, colorbar, modebar...).
// Add a trace here (and rebuild with `make plotly-bundle`) before the app uses it:
// a trace of an unregistered type draws nothing and raises no error.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/scattermap'),
    require('plotly.js/lib/choroplethmap')
]);

module.exports = Plotly;
