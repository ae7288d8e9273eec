// Bundle entry.js into one minified script that sets window.Plotly, the way
// plotly.js builds its own dist/plotly*.min.js (the esbuildConfig in the npm
// package's esbuild-config.js, and the wrapper of its dist files): IIFE with global `Plotly`,
// any CSS the registered modules require injected into <head> at run time as
// esbuild-plugin-inline-css does in plotly's build,
// `regl` -> `@plotly/regl`, `stream` -> `stream-browserify`, `global` -> window,
// and the same header and UMD wrapper around it.
//
// Run by build.sh from a temporary directory holding node_modules:
//     node build.mjs OUTFILE
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const esbuild = require('esbuild');

// esbuild-plugin-inline-css (what plotly.js uses) names the <style> element by the
// sha256 of the CSS file's absolute path, which differs per build directory; this
// one hashes the path inside node_modules, so the same inputs give the same bytes.
const inlineCSS = {
    name: 'inline-css',
    setup(build) {
        build.onLoad({ filter: /\.css$/ }, (args) => {
            const id = createHash('sha256')
                .update(path.relative(here, args.path).split(path.sep).join('/'))
                .digest('hex');
            const css = JSON.stringify(readFileSync(args.path, 'utf8'));
            return {
                loader: 'js',
                contents: `if (!document.getElementById('${id}')) {
    var e = document.createElement('style');
    e.id = '${id}';
    e.textContent = ${css};
    document.head.appendChild(e);
}`
            };
        });
    }
};

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = process.argv[2];
if (!outfile) {
    console.error('usage: node build.mjs OUTFILE');
    process.exit(2);
}

const version = require('plotly.js/package.json').version;
// The header names what entry.js registers (core always carries scatter).
const entry = readFileSync(path.join(here, 'entry.js'), 'utf8');
const traces = ['scatter', ...[...entry.matchAll(/plotly\.js\/lib\/(\w+)/g)]
    .map((m) => m[1]).filter((name) => name !== 'core' && name !== 'scatter')];

const result = await esbuild.build({
    entryPoints: [path.join(here, 'entry.js')],
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    write: false,
    plugins: [inlineCSS],
    alias: {
        regl: '@plotly/regl',
        stream: 'stream-browserify'
    },
    define: {
        global: 'window',
        'define.amd': 'false',
        // what plotly's esbuild-plugin-environment({NODE_DEBUG: false}) defines
        'process.env.NODE_DEBUG': 'false'
    },
    target: 'es2016',
    logLevel: 'warning'
});

const code = result.outputFiles[0].text;
// Same header and wrapper as plotly.js's dist/plotly.min.js; the header names
// the version, which tests/test_plotly_bundle.py reads.
const header = [
    '/**',
    `* plotly.js (grid-command: ${traces.join(', ')} - minified) v${version}`,
    '* Built by scripts/plotly_bundle/build.sh; do not edit. Rebuild: make plotly-bundle',
    '* Copyright 2012-2026, Plotly, Inc.',
    '* All rights reserved.',
    '* Licensed under the MIT license',
    '*/'
].join('\n');
const wrapped = `${header}
(
 function(root, factory) {
  if (typeof module === "object" && module.exports) {
   module.exports = factory();
  } else {
   root.moduleName = factory();
  }
} (typeof self !== "undefined" ? self : this, () => {
${code}
window.Plotly = Plotly;
return Plotly;
}));
`;
writeFileSync(outfile, wrapped);
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(
    `${outfile}: plotly.js ${version}, ${kb(Buffer.byteLength(wrapped))} raw, ` +
        `${kb(gzipSync(wrapped, { level: 9 }).length)} gzip`
);
