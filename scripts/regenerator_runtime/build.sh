#!/usr/bin/env bash
# Copy regenerator's runtime into dashboard/assets/vendor/regenerator-runtime.js.
#
# Why: Dash puts @babel/polyfill (core-js and regenerator, 90 kB) first on
# every page, for old browsers. Evaluating it took about 0.2 s of the wall's
# first draw on a 2-core machine (a CPU profile of the load, issue 17), and
# the browsers a command centre runs need none of core-js. What Dash's own
# scripts do need is the global `regeneratorRuntime` that their compiled async
# functions call, so dashboard/shell.py serves this runtime in the polyfill's
# place (tests/test_dashboard_server.py checks every page).
#
# When to rebuild (the output is committed, the build does not run in CI):
# after a Dash upgrade, if its scripts start to need more of the polyfill
# (the browser tests fail on a page error), or to take a new runtime:
# change the version in package.json, then
#     make regenerator-runtime
# How: npm install from package.json into a temporary directory (nothing is
# installed in the repository); the file is the package's runtime.js, unchanged.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/dashboard/assets/vendor/regenerator-runtime.js"

work="$(mktemp -d "${TMPDIR:-/tmp}/regenerator-runtime.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$HERE/package.json" "$work/"
cd "$work"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error
cp package-lock.json "$HERE/"
cp node_modules/regenerator-runtime/runtime.js "$OUT"
cp node_modules/regenerator-runtime/LICENSE "${OUT%.js}.LICENSE.txt"  # MIT: its notice goes with it
echo "wrote $OUT ($(wc -c < "$OUT") bytes)"
