"""Hot spots: grids reporting significantly more than their own usual level.

The largest counts are mostly the most populous grids, and a rainy month
raises every grid at once, so neither is a hot spot. The test instead asks
whether a grid's *share* of the city's reports in the period is above its
share over the usual-level window (the 365 days before the period):

- ``p`` = the grid's baseline share, (baseline count + 0.5) / (city baseline
  + 0.5 × grids), so a grid with no history still has a small expected share;
- given the city's ``N`` reports in the period, the grid's count is
  Binomial(N, p) if nothing changed; the one-sided p-value is
  P(X ≥ observed);
- the p-values of all grids are adjusted for testing many at once
  (Benjamini–Hochberg, false discovery rate 5 %);
- a hot spot has adjusted p < 0.05, at least ``MIN_COUNT`` reports and at least
  ``MIN_RATIO`` times its expected count, so a statistically clear but tiny
  rise does not fill the list.

Conditioning on the city total takes out seasons and growth of the channel;
a flood in one town still stands out, since that town's share rises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, false_discovery_control

BASELINE_DAYS = 365
ALPHA = 0.05
MIN_COUNT = 3
MIN_RATIO = 1.5


def hot_spots(observed: pd.Series, baseline: pd.Series, grids: pd.Index) -> pd.DataFrame:
    """Test every grid of the city.

    Parameters
    ----------
    observed, baseline : Series
        Reports per grid code in the period and in the baseline window (city
        wide, with the same category and channel filters); missing grids have 0.
    grids : Index
        Every grid code of the city.

    Returns
    -------
    DataFrame indexed by grid code: observed, expected, ratio, p, q (adjusted)
    and hot (bool), hottest first (lowest q, then highest ratio).
    """
    observed = observed.reindex(grids, fill_value=0).astype(np.int64)
    baseline = baseline.reindex(grids, fill_value=0).astype(np.float64)
    total = int(observed.sum())
    share = (baseline + 0.5) / (baseline.sum() + 0.5 * len(grids)) if len(grids) else baseline
    expected = share * total
    # sf(k - 1) = P(X >= k); a grid with no reports has p = 1.
    p = pd.Series(binom.sf(observed.to_numpy() - 1, total, share.to_numpy()), index=grids)
    p = p.where(observed > 0, 1.0).clip(0.0, 1.0)
    q = pd.Series(false_discovery_control(p.to_numpy(), method="bh"), index=grids) if len(p) else p
    ratio = observed / expected.where(expected > 0)
    out = pd.DataFrame(
        {
            "observed": observed,
            "expected": expected.round(2),
            "ratio": ratio.round(2),
            "p": p,
            "q": q,
        }
    )
    out["hot"] = (out["q"] < ALPHA) & (out["observed"] >= MIN_COUNT) & (out["ratio"] >= MIN_RATIO)
    out.index.name = "grid_code"
    return out.sort_values(["hot", "q", "ratio"], ascending=[False, True, False], kind="stable")
