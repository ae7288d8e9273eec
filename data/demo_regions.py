"""Regions grown over the demo city's tiles: towns, communities and grids as
connected groups of cells, balanced to their target sizes.

The cells come from ``data.demo_geometry`` (a tiling without gaps or
overlaps); here they are nodes of a graph whose edges are shared borders.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Graph:
    """Adjacency of polygons that share an edge, in CSR form."""

    indptr: np.ndarray
    indices: np.ndarray

    def __getitem__(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def __len__(self) -> int:
        return len(self.indptr) - 1


def adjacency(polys: np.ndarray) -> Graph:
    """Which polygons of a coverage share an edge (not just a corner).

    Relies on shared edges having identical vertices, which holds for Voronoi
    cells and for cleaned coverages: every ring segment is keyed by its sorted
    end points and two polygons holding the same segment are neighbours.
    """
    polys = np.asarray(polys)
    parts, owner = shapely.get_parts(polys, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[1:] == ring_idx[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    seg_owner = owner[ring_part[ring_idx[:-1][same]]]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    hi = np.where(swap[:, None], a, b)
    _, key = np.unique(np.column_stack([lo, hi]), axis=0, return_inverse=True)
    order = np.lexsort((seg_owner, key.ravel()))
    key, seg_owner = key.ravel()[order], seg_owner[order]
    pair = (key[1:] == key[:-1]) & (seg_owner[1:] != seg_owner[:-1])
    i, j = seg_owner[:-1][pair], seg_owner[1:][pair]
    edges = np.unique(np.column_stack([np.r_[i, j], np.r_[j, i]]), axis=0)
    indptr = np.searchsorted(edges[:, 0], np.arange(len(polys) + 1))
    return Graph(indptr, edges[:, 1].copy())


def components(graph: Graph, mask: np.ndarray) -> np.ndarray:
    """Connected-component label of every node in ``mask`` (-1 elsewhere)."""
    label = np.full(len(graph), -1)
    current = 0
    for start in np.flatnonzero(mask):
        if label[start] >= 0:
            continue
        label[start] = current
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nb in graph[node]:
                if mask[nb] and label[nb] < 0:
                    label[nb] = current
                    queue.append(nb)
        current += 1
    return label


def grow_regions(
    graph: Graph,
    weight: np.ndarray,
    pos: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Partition a connected graph into contiguous regions grown from seeds.

    The region that is least full relative to its target (sum of ``weight``)
    takes the free neighbour nearest to its seed (``bias`` stretches distances
    per node to make shapes less round), so that regions fill in proportion to
    their targets until they meet. Returns a region label per node.
    """
    n = len(graph)
    bias = np.ones(n) if bias is None else bias
    label = np.full(n, -1)
    fill = np.zeros(len(seeds))
    frontier: list[list] = [[] for _ in seeds]
    for r, s in enumerate(seeds):
        label[s] = r
        fill[r] = weight[s]
    for r, s in enumerate(seeds):
        for nb in graph[s]:
            if label[nb] < 0:
                d = np.hypot(*(pos[nb] - pos[s])) * bias[nb]
                heapq.heappush(frontier[r], (d, int(nb)))
    queue = [(fill[r] / targets[r], r) for r in range(len(seeds))]
    heapq.heapify(queue)
    while queue:
        _, r = heapq.heappop(queue)
        heap = frontier[r]
        while heap and label[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue  # enclosed: this region cannot grow any more
        _, node = heapq.heappop(heap)
        label[node] = r
        fill[r] += weight[node]
        seed_xy = pos[seeds[r]]
        for nb in graph[node]:
            if label[nb] < 0:
                d = np.hypot(*(pos[nb] - seed_xy)) * bias[nb]
                heapq.heappush(heap, (d, int(nb)))
        heapq.heappush(queue, (fill[r] / targets[r], r))
    return label


def _still_connected(graph: Graph, label: np.ndarray, node: int) -> bool:
    """Whether the region of ``node`` stays connected without it."""
    r = label[node]
    same = [nb for nb in graph[node] if label[nb] == r]
    if len(same) <= 1:
        return bool(same)
    want = set(same)
    seen = {same[0], node}
    queue = deque([same[0]])
    while queue and not want <= seen:
        cur = queue.popleft()
        for nb in graph[cur]:
            if label[nb] == r and nb not in seen:
                seen.add(nb)
                queue.append(nb)
    return want <= seen


def balance_regions(
    graph: Graph,
    label: np.ndarray,
    weight: np.ndarray,
    pos: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray,
    tolerance: float = 0.03,
    max_moves: int = 5000,
) -> np.ndarray:
    """Trade border nodes between neighbouring regions until every region is
    within ``tolerance`` of its target, keeping regions contiguous and every
    seed in its own region.

    The worst region moves first: an over-full one gives its outermost border
    node to its emptiest neighbour, an under-full one takes the nearest border
    node of its fullest neighbour.
    """
    label = label.copy()
    total = np.bincount(label, weights=weight, minlength=len(seeds))
    is_seed = np.zeros(len(graph), bool)
    is_seed[seeds] = True
    stuck = np.zeros(len(seeds), bool)
    for _ in range(max_moves):
        miss = np.abs(total / targets - 1)
        miss[stuck] = 0
        r = int(np.argmax(miss))
        if miss[r] <= tolerance:
            break
        move = _best_move(graph, label, weight, pos, seeds, targets, total, is_seed, r)
        if move is None:
            stuck[r] = True
            continue
        node, src, dst = move
        label[node] = dst
        total[src] -= weight[node]
        total[dst] += weight[node]
        stuck[:] = False
    return label


def _best_move(graph, label, weight, pos, seeds, targets, total, is_seed, r):
    """A (node, from, to) move that brings region ``r`` closer to its target."""
    ratio = total / targets
    over = ratio[r] > 1
    members = np.flatnonzero(label == r)
    border = [(int(v), int(s)) for v in members for s in {int(x) for x in label[graph[v]]}]
    if over:
        cands = [(v, r, s) for v, s in border if s != r]
        # Outermost first, into the emptiest neighbour.
        key = [(ratio[s], -np.hypot(*(pos[v] - pos[seeds[r]]))) for v, _, s in cands]
    else:
        cands = [(v, s, r) for v, s in border if s != r]
        cands = [(int(u), s, r) for v, s, _ in cands for u in graph[v] if label[u] == s]
        key = [(-ratio[s], np.hypot(*(pos[v] - pos[seeds[r]]))) for v, s, _ in cands]
    for i in sorted(range(len(cands)), key=lambda i: (key[i], cands[i])):
        node, src, dst = cands[i]
        # Only moves after which the giver is still the fuller: no ping-pong.
        after_src = ratio[src] - weight[node] / targets[src]
        after_dst = ratio[dst] + weight[node] / targets[dst]
        if is_seed[node] or after_src < after_dst:
            continue
        if _still_connected(graph, label, node):
            return node, src, dst
    return None


def spread_seeds(rng, pos: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """``k`` well-spread node indices: weighted k-means++ style farthest sampling."""
    first = int(rng.choice(len(pos), p=weight / weight.sum()))
    chosen = [first]
    d2 = ((pos - pos[first]) ** 2).sum(axis=1)
    for _ in range(k - 1):
        score = d2 * weight
        score[chosen] = -1
        nxt = int(np.argmax(score))
        chosen.append(nxt)
        d2 = np.minimum(d2, ((pos - pos[nxt]) ** 2).sum(axis=1))
    return np.asarray(chosen)


def kmeans_seeds(rng, pos, weight, area, k: int, iters: int = 10):
    """Weighted k-means of nodes: compact clusters, smaller where weight is dense.

    Starts from nodes drawn in proportion to ``sqrt(weight * area)``, the
    density of centres that weighted k-means settles to in the plane, so that
    a few iterations suffice. Returns one node per cluster (the member nearest
    its centre) and each cluster's total weight, to be used as seeds and
    targets of ``grow_regions``.
    """
    p = np.sqrt(weight * area)
    centre = pos[rng.choice(len(pos), k, replace=False, p=p / p.sum())]
    for _ in range(iters):
        near = np.argmin(((pos[:, None, :] - centre[None]) ** 2).sum(axis=2), axis=1)
        total = np.bincount(near, weights=weight, minlength=k)
        for axis in (0, 1):
            moved = np.bincount(near, weights=weight * pos[:, axis], minlength=k)
            centre[:, axis] = np.where(total > 0, moved / np.maximum(total, 1e-12), centre[:, axis])
    d2 = ((pos - centre[near]) ** 2).sum(axis=1)
    order = np.lexsort((d2, near))
    first = np.r_[True, near[order][1:] != near[order][:-1]]
    seeds = order[first]
    return seeds, np.bincount(near, weights=weight, minlength=k)[near[seeds]]
