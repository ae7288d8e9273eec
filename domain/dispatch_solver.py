"""The exact solver behind ``dispatch_plan.optimal_plan``: slots to cadres, lexicographically.

The work arrives per incident: incident ``i`` has ``slots[i]`` slots to fill,
an integer priority weight ``weights[i]`` and the cadres in reach as pairs
``ptr[i]:ptr[i + 1]`` of the arrays ``cadre`` (cadre index) and ``eta``
(seconds). Each slot takes at most one cadre and each cadre at most one slot.
The solution maximises the weight of the filled slots ``R`` first and then
minimises the weighted arrival time ``W`` (the sum of ``weight × eta``).

Both solvers minimise ``W + M·(R_all − R)`` with ``M`` larger than any ``W``
a plan can have (the most slots that can be filled at once times the largest
``weight × eta``): as weights are integers, one unit of ``R`` more always
outweighs any saving in ``W``, so the order of the two goals is kept exactly.

* ``dense`` (small problems): ``scipy.optimize.linear_sum_assignment`` on a
  slots × cadres matrix with ``weight × (eta − M)`` for a pair in reach and 0
  for a pair out of reach (taking it means the slot stays empty, and is
  dropped). This is the same objective less the constant ``M·R_all``.
* ``sparse`` (large problems): ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``
  (LAPJVsp) on the graph of the pairs in reach only. Each slot also gets a
  private "left empty" column costing ``weight × M``, so a matching covering
  every slot always exists, as that function requires. Every cost is shifted
  by +1 so that none is an explicit zero (which it would drop); since every
  slot is matched exactly once, the shift adds the same constant to every
  solution and changes no choice.

Slots of one incident share the incident's pairs: they are expanded into rows
by index arithmetic, never by computing travel again. ``assign`` picks the
dense solver while the slots × cadres matrix stays under ``DENSE_MAX_CELLS``
cells (where it is as fast; 1,000 slots × 1,370 cadres: 0.12 s either way) and
the sparse one beyond.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

METHODS = ("auto", "dense", "sparse")
DENSE_MAX_CELLS = 2_000_000  # 16 MB of float64 costs
BLOCK_ENTRIES = 2_000_000  # graph entries built in one go (bounds the temporaries)


def assign(
    ptr: np.ndarray,
    cadre: np.ndarray,
    eta: np.ndarray,
    weights: np.ndarray,
    slots: np.ndarray,
    *,
    method: str = "auto",
) -> np.ndarray:
    """The pairs of an optimal plan: the most (and most urgent) slots, then least weighted time.

    Parameters
    ----------
    ptr : int array of shape (n_incidents + 1,)
        The pairs in reach of incident ``i`` are ``ptr[i]:ptr[i + 1]``.
    cadre : int array of shape (n_pairs,)
        Cadre index (>= 0) of each pair; a cadre appears at most once per incident.
    eta : float array of shape (n_pairs,)
        Arrival time of each pair, seconds, >= 0.
    weights : int array of shape (n_incidents,)
        Positive integer priority weight of each incident.
    slots : int array of shape (n_incidents,)
        Slots to fill per incident (more than its pairs can never be filled).
    method : {"auto", "dense", "sparse"}
        The solver (see the module docstring); all reach the same optimum.

    Returns
    -------
    int array
        Indices of the chosen pairs, one per filled slot; no pair and no cadre
        is chosen twice.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    work = _Work(ptr, cadre, eta, weights, slots)
    if work.n_slots == 0 or work.n_cols == 0:
        return np.empty(0, dtype=np.intp)
    if method == "auto":
        method = "dense" if work.n_slots * work.n_cols <= DENSE_MAX_CELLS else "sparse"
    return _dense(work) if method == "dense" else _sparse(work)


class _Work:
    """The problem in arrays, with the cadres in reach numbered 0..n_cols-1 (``number``)."""

    def __init__(self, ptr, cadre, eta, weights, slots) -> None:
        self.ptr = np.asarray(ptr, dtype=np.intp)
        self.cadre = np.asarray(cadre, dtype=np.intp)
        self.eta = np.asarray(eta, dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        self.reach = np.diff(self.ptr)
        self.slots = np.minimum(np.asarray(slots, dtype=np.intp), self.reach)
        self.n_slots = int(self.slots.sum())
        used = np.zeros(int(self.cadre.max(initial=-1)) + 1, dtype=bool)
        used[self.cadre] = True
        self.number = np.cumsum(used) - 1  # cadre index -> column
        self.cadre_of_col = np.flatnonzero(used)  # column -> cadre index
        self.n_cols = len(self.cadre_of_col)
        # M: no plan fills more than min(slots, cadres) slots, each at most the largest.
        busy = np.flatnonzero(self.slots > 0)
        if len(busy):
            longest = np.maximum.reduceat(self.eta, self.ptr[busy])  # busy rows are not empty
            largest = float((self.weights[busy] * longest).max())
        else:
            largest = 0.0
        self.big_m = min(self.n_slots, self.n_cols) * largest + 1.0

    def pairs_of(self, incidents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pair indices of these incidents, one after the other, and their row numbers."""
        reach = self.reach[incidents]
        rows = np.repeat(np.arange(len(incidents)), reach)
        first = np.cumsum(reach) - reach
        return np.repeat(self.ptr[incidents] - first, reach) + np.arange(reach.sum()), rows


def _dense(work: _Work) -> np.ndarray:
    busy = np.flatnonzero(work.slots > 0)
    pairs, rows = work.pairs_of(busy)
    pair_of = np.full((len(busy), work.n_cols), -1, dtype=np.intp)  # per incident, not slot
    pair_of[rows, work.number[work.cadre[pairs]]] = pairs
    slot_rows = np.repeat(np.arange(len(busy)), work.slots[busy])
    chosen = pair_of[slot_rows]  # slots × cadres: the rows of one incident repeat
    allowed = chosen >= 0
    weight = work.weights[busy][slot_rows][:, None]
    cost = np.where(allowed, weight * (work.eta[chosen] - work.big_m), 0.0)
    r, c = linear_sum_assignment(cost)
    keep = allowed[r, c]
    return chosen[r[keep], c[keep]]


def _sparse(work: _Work) -> np.ndarray:
    n_slots, n_cols = work.n_slots, work.n_cols
    slot_incident = np.repeat(np.arange(len(work.slots)), work.slots)
    row_len = work.reach[slot_incident] + 1  # the pairs in reach, then the "empty" column
    indptr = np.zeros(n_slots + 1, dtype=np.int64)
    np.cumsum(row_len, out=indptr[1:])
    index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    indices = np.empty(indptr[-1], dtype=index_type)
    costs = np.empty(indptr[-1], dtype=float)
    a = 0
    while a < n_slots:  # a block of rows at a time
        b = max(a + 1, int(np.searchsorted(indptr, indptr[a] + BLOCK_ENTRIES, "right")) - 1)
        b = min(b, n_slots)
        lo, hi, lens = indptr[a], indptr[b], row_len[a:b]
        offset = np.arange(hi - lo) - np.repeat(indptr[a:b] - lo, lens)
        empty = offset == np.repeat(lens - 1, lens)
        source = np.repeat(work.ptr[slot_incident[a:b]], lens) + offset
        source[empty] = 0  # any valid index for the gathers; ``where`` drops it
        indices[lo:hi] = np.where(
            empty, n_cols + np.repeat(np.arange(a, b), lens), work.number[work.cadre[source]]
        )
        weight = np.repeat(work.weights[slot_incident[a:b]], lens)
        costs[lo:hi] = 1.0 + weight * np.where(empty, work.big_m, work.eta[source])
        a = b
    graph = csr_array(
        (costs, indices, indptr.astype(index_type)), shape=(n_slots, n_cols + n_slots)
    )
    rows, cols = min_weight_full_bipartite_matching(graph)
    del graph, indices, costs
    filled = cols < n_cols
    chosen = []
    for row, col in zip(rows[filled].tolist(), cols[filled].tolist(), strict=True):
        lo, hi = work.ptr[slot_incident[row]], work.ptr[slot_incident[row] + 1]
        chosen.append(lo + int(np.flatnonzero(work.cadre[lo:hi] == work.cadre_of_col[col])[0]))
    return np.array(chosen, dtype=np.intp)
