"""The static map benchmark (bench/review_png.py) runs end to end on the tiny city.

Timings are not checked, only that every image was drawn and that no browser
(no child process) was started for them.
"""

from __future__ import annotations

import json

from bench.review_png import main
from domain.review_metrics import MAP_METRICS


def test_review_png_bench_draws_every_metric_without_a_browser(tiny_url, capsys):
    assert main(["--database-url", tiny_url, "--repeat", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (run,) = figures["runs"]
    assert run["grids"] == 4 and run["metrics"] == len(MAP_METRICS)
    assert len(run["warm_s"]) == len(MAP_METRICS) - 1 and run["bytes"] > 10_000
    assert run["children"] == 0 and figures["children_peak_mb"] == 0
    assert run["cached_s"] < run["cold_s"]
