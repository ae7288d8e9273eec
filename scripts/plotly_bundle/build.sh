#!/usr/bin/env bash
# Build dashboard/assets/vendor/plotly-custom.min.js: plotly.js with only the trace
# types Grid Command's charts draw (scatter, bar; see entry.js). Maps are Leaflet.
#
# Why: the full plotly.min.js that dcc.Graph loads is 4.8 MB, and parsing it was
# most of the map's cold load (measured in /work/shared/MAPS.md). Dash does not load
# it with the other assets (assets_ignore in dashboard/app_factory.py): dcc.Graph
# fetches plotly.js itself when a page's first graph mounts, and the server answers
# that request with this bundle, so a page without charts (the wall) never parses it.
#
# When to rebuild (the output is committed, the build does not run in CI):
#   - after upgrading the python `plotly` package to one that bundles another
#     plotly.js version: tests/test_plotly_bundle.py fails until the bundle's
#     version matches `plotly.offline.get_plotlyjs_version()`. Then run
#         scripts/plotly_bundle/build.sh --update
#     which pins that plotly.js version in package.json, refreshes
#     package-lock.json (commit both) and builds;
#   - after adding a trace type the app draws: add it to entry.js, then
#         make plotly-bundle
#     (a trace of a type missing from the bundle draws nothing, silently:
#     plotly.js only logs "Unrecognized trace type" at config logging level 2;
#     tests/test_plotly_bundle.py checks the types named in layers/ and dashboard/).
#
# How: npm ci from the committed package-lock.json into a temporary directory
# (nothing is installed in the repository), then build.mjs runs esbuild with
# plotly.js's own bundling options. Needs node >= 18, npm, the npm registry.
# Same lock file + same node/esbuild => the same bytes.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/dashboard/assets/vendor/plotly-custom.min.js"
PY="${PLOTLY_PY:-$ROOT/.venv/bin/python}"  # whose plotly package sets the version

update=0
case "${1:-}" in
    --update) update=1 ;;
    "") ;;
    *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

wanted="$("$PY" -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
pinned="$(node -p "require('$HERE/package.json').devDependencies['plotly.js']")"

work="$(mktemp -d "${TMPDIR:-/tmp}/plotly-bundle.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$HERE/package.json" "$HERE/package-lock.json" "$HERE/entry.js" "$HERE/build.mjs" "$work/"
cd "$work"

npm_quiet=(--no-audit --no-fund --loglevel=error)
if [ "$update" = 1 ]; then
    echo "pinning plotly.js $wanted (the python plotly package's version; was $pinned)"
    node -e '
        const fs = require("fs");
        const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
        pkg.version = pkg.devDependencies["plotly.js"] = process.argv[1];
        fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
    ' "$wanted"
    npm install --package-lock-only --ignore-scripts "${npm_quiet[@]}"
    cp package.json package-lock.json "$HERE/"
elif [ "$wanted" != "$pinned" ]; then
    echo "package.json pins plotly.js $pinned but the python plotly package bundles $wanted:" >&2
    echo "run $0 --update (and commit package.json and package-lock.json)" >&2
    exit 1
fi

# --ignore-scripts: no dependency runs code at install; esbuild finds its binary
# in the @esbuild/<platform> optional package without its postinstall.
npm ci --ignore-scripts "${npm_quiet[@]}"
mkdir -p "$(dirname "$OUT")"
node build.mjs "$OUT"
