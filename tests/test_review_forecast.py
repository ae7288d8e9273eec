"""The review's forecast against what came: the chart, the table per category,
and what the section says when there is nothing to compare."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.forecast_charts import OUTSIDE, forecast_figure, outside_interval


def _days() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2026-06-01", periods=4, freq="D"),
            "expected": [10.2, 12.0, 8.4, 9.0],
            "low": [6.0, 8.0, 5.0, 5.0],
            "high": [14.0, 16.0, 12.0, 13.0],
            "actual": [9, 21, 4, np.nan],  # a day above, a day below, a day to come
        }
    )


def test_the_chart_draws_the_interval_the_forecast_and_what_came_red_outside():
    figure = forecast_figure(_days(), "zh", "无预测")
    high, low, came, expected = figure["data"]
    # The interval is held over each whole day, from edge to edge, bars in the middle.
    assert high["y"] == [14.0, 16.0, 12.0, 13.0, 13.0] and low["fill"] == "tonexty"
    assert high["x"][0] == "2026-05-31 12:00" and high["x"][-1] == "2026-06-04 12:00"
    assert high["line"]["shape"] == low["line"]["shape"] == expected["line"]["shape"] == "hv"
    assert low["name"] == "预测 80% 区间" and expected["line"]["dash"] == "dash"
    assert came["x"] == ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]
    assert came["y"] == [9, 21, 4, None]  # nothing drawn for a day still to come
    colours = came["marker"]["color"]
    assert colours[1] == colours[2] == OUTSIDE and OUTSIDE not in (colours[0], colours[3])
    assert outside_interval(_days()).tolist() == [False, True, True, False]
    assert figure["layout"]["yaxis"]["dtick"] == 5  # whole reports, about five ticks to 21


def test_no_forecast_gives_a_message_not_a_blank_chart():
    figure = forecast_figure(_days().iloc[:0], "en", "No forecast for this period", scale=2.0)
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "No forecast for this period"
    assert figure["layout"]["font"]["size"] == 24  # 4K
