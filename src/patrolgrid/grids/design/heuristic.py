"""The fast engine: a balanced spanning-tree seed, then merge-split moves and boundary flips.

Works on super-units (stay-whole groups contracted). Every plan it ever holds is contiguous and
respects the locks, because each move keeps them:

- Seed: recursive bipartition. A random spanning tree of a connected region is cut at one edge,
  which splits it into two connected parts; of all the edges of several trees the one whose two
  sides come closest to their share of the region's workload is taken (ties in favour of a few
  trees, not the first). Locked units ride along: a cut may not put units locked to the same grid
  on both sides.
- Merge-split (ReCom-like): two adjacent grids are merged and re-split along the best edge of
  several random spanning trees of their union, scored on the full objective (balance band first,
  then cut edges / weighted distance to the best centre of each side). This is the move that can
  reshape whole grids while holding a tight balance band (±0.5% on coarse county units), which
  single-unit moves cannot.
- Flips: a boundary unit moves to a neighbouring grid if that lowers the objective and its own
  grid stays connected (checked by a search that stops as soon as the unit's neighbours in that
  grid are found to be connected without it). Centres are held fixed during a sweep and re-chosen
  (1-median) between sweeps, as in a Lloyd/p-median alternation.

Scores compare lexicographically: first the workload outside the tolerance bands (`excess`), then
compactness plus a small balance pull. Merge-split also accepts a sideways or, with a small and
decreasing probability, a worse split (simulated annealing) so the search can leave plateaus; the
best plan seen is what is returned.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import depth_first_order, minimum_spanning_tree

from patrolgrid.grids.design import errors
from patrolgrid.grids.design.metrics import weighted_median_centre
from patrolgrid.grids.design.model import CancelToken, Progress, ProgressCallback
from patrolgrid.grids.design.problem import BoolArray, FloatArray, IntArray, Problem

_EPS = 1e-12
_SEED_TREES = 30  # random spanning trees tried per seed split before relaxing
# Spanning trees drawn per merge-split move: six on regions (two grids) of up to
# _LARGE_REGION units, three beyond, where a tree has many balanced cuts to choose from and a
# tree costs more (on the generated 10,000-unit network of bench/grids.py three trees made 40%
# more moves per second, and the plans after 20 s were no worse in the runs measured).
_SPLIT_TREES = 6
_SPLIT_TREES_LARGE = 3
_LARGE_REGION = 400
_PROGRESS_EVERY = 25  # rounds between progress reports (improvements are reported at once)
# Simulated annealing of merge-split: the starting temperature is this share of one cut edge's
# weight (cut-edge objective) or of the objective (distance objective), halving every
# _HALF_LIFE_ROUNDS rounds of a chain. Chosen by measurement (bench/districting.py).
_T0_CUT = 1.0
_T0_DISTANCE = 0.002
_HALF_LIFE_ROUNDS = 150.0
# The run ends early when this many chains in a row found nothing better than the best plan:
# on small instances every chain finds the same plan, and more chains only cost time.
_STALE_CHAINS = 6
# Grid centres: exact 1-median up to this many units, else chosen among the members nearest
# the continuous weighted median (a few Weiszfeld steps), which is where the discrete one lies.
_EXACT_CENTRE_MAX = 300
_CENTRE_CANDIDATES = 48
_WEISZFELD_STEPS = 12
# Merge-split prices each side's best centre among at most this many units of the region (all
# of them in smaller regions, exact). 64 against 256 on the 10,000-unit network of
# bench/grids.py: twice the moves per second, and no worse plans after 20 s in the runs measured.
_MERGE_CENTRES = 64
# Time kept back from `time_limit_s` for what follows the search (the plan's metrics and rule
# checks, ~0.1 s for 10,000 units on an idle machine), so a run ends within its limit.
_FINISH_S_PER_UNIT = 5e-5


@dataclass
class HeuristicResult:
    labels: IntArray  # super-unit → grid
    excess: float
    objective: float
    rounds: int
    stopped_early: bool


@dataclass
class _Region:
    """A set of units with its adjacency in CSR form (local indices, each edge once)."""

    units: IntArray  # sorted super-units
    edges: BoolArray  # super-edge → both ends in the region
    indptr: IntArray
    indices: IntArray


@dataclass
class _Tree:
    """A spanning tree of a region in DFS preorder: the subtree of the node at preorder position
    p occupies positions p .. p + size[p] - 1, so subtree sums are differences of prefix sums."""

    nodes: IntArray  # super-units in preorder
    size: IntArray  # subtree size per preorder position
    position: IntArray  # super-unit → preorder position (only for region nodes)


class HeuristicSearch:
    def __init__(
        self,
        problem: Problem,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        started: float,
    ) -> None:
        self.p = problem
        opts = problem.options
        self.k = problem.k
        self.m = problem.m
        self.rng = np.random.default_rng(opts.seed)
        self.progress = progress
        self.cancel = cancel
        self.started = started
        reserve = min(0.1 * opts.time_limit_s, 0.05 + _FINISH_S_PER_UNIT * problem.n)
        self.deadline = started + opts.time_limit_s - reserve
        self.w = problem.s_workload
        self.mean = 1.0 / self.k
        self.tol = opts.tolerance
        # Figures with their own band: (column, band, mean per grid).
        self.banded = [
            (problem.figure_names.index(name), band, problem.figure_totals[i] / self.k)
            for name, band in sorted(opts.figure_tolerances.items())
            for i in [problem.figure_names.index(name)]
            if problem.figure_totals[i] > 0
        ]
        self.banded_cols = np.array([c for c, _, _ in self.banded], dtype=np.int64)
        self.nbrs = problem.s_neighbours
        self.mult = problem.s_multiplicity
        self.lock = problem.s_lock
        self.edge_u, self.edge_v, self.edge_mult = (
            problem.s_edge_u,
            problem.s_edge_v,
            problem.s_edge_mult,
        )
        self.cut_scale = opts.cut_edge_weight / max(problem.total_edges, 1)
        self.xy = problem.s_coords
        self.dist_scale = 0.0
        if self.xy is not None and opts.distance_weight > 0:
            centroid = (self.xy * self.w[:, None]).sum(axis=0) / max(self.w.sum(), _EPS)
            reference = float(self.w @ np.hypot(*(self.xy - centroid).T))
            if reference > 0:
                self.dist_scale = opts.distance_weight / reference
        self.bal_scale = opts.balance_weight
        self.labels = np.zeros(self.m, dtype=np.int64)
        self.centres = np.zeros(self.k, dtype=np.int64)
        self.rounds = 0

    # ---------------------------------------------------------------- scoring

    def _excess_one(self, load: float, banded_sums: FloatArray | None) -> float:
        excess = max(0.0, abs(load - self.mean) / self.mean - self.tol)
        if banded_sums is not None:
            for j, (_, band, mean) in enumerate(self.banded):
                excess += max(0.0, abs(float(banded_sums[j]) - mean) / mean - band)
        return excess

    def _balance_one(self, load: float) -> float:
        return self.bal_scale * (load / self.mean - 1.0) ** 2

    def _dist(self, u: int, c: int) -> float:
        assert self.xy is not None
        return math.hypot(self.xy[u, 0] - self.xy[c, 0], self.xy[u, 1] - self.xy[c, 1])

    def _recompute(self) -> None:
        self.load = np.bincount(self.labels, weights=self.w, minlength=self.k)
        self.banded_sums = np.zeros((self.k, len(self.banded)))
        if self.banded:
            np.add.at(self.banded_sums, self.labels, self.p.s_figures[:, self.banded_cols])
        self.cut = int(self.edge_mult[self.labels[self.edge_u] != self.labels[self.edge_v]].sum())
        self.grid_dist = np.zeros(self.k)
        if self.dist_scale > 0:
            assert self.xy is not None
            c = self.xy[self.centres[self.labels]]
            self.grid_dist[:] = np.bincount(
                self.labels, weights=self.w * np.hypot(*(self.xy - c).T), minlength=self.k
            )

    def score(self) -> tuple[float, float]:
        excess = sum(
            self._excess_one(float(self.load[g]), self.banded_sums[g] if self.banded else None)
            for g in range(self.k)
        )
        compact = (
            self.cut_scale * self.cut
            + self.dist_scale * float(self.grid_dist.sum())
            + sum(self._balance_one(float(x)) for x in self.load)
        )
        return excess, compact

    @staticmethod
    def better(a: tuple[float, float], b: tuple[float, float]) -> bool:
        if a[0] < b[0] - 1e-9:
            return True
        if a[0] > b[0] + 1e-9:
            return False
        return a[1] < b[1] - 1e-12

    # ---------------------------------------------------------------- trees

    def _region(self, region: IntArray) -> _Region:
        """The adjacency of a set of units as a CSR structure, built once and reused for every
        spanning tree drawn on it (only the random weights change)."""
        in_region = np.zeros(self.m, dtype=bool)
        in_region[region] = True
        keep = in_region[self.edge_u] & in_region[self.edge_v]
        local = np.full(self.m, -1, dtype=np.int64)
        local[region] = np.arange(region.size)
        lu, lv = local[self.edge_u[keep]], local[self.edge_v[keep]]
        by_row = np.argsort(lu, kind="stable")
        indptr = np.zeros(region.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(lu, minlength=region.size), out=indptr[1:])
        return _Region(units=region, edges=keep, indptr=indptr, indices=lv[by_row])

    def _random_tree(self, reg: _Region) -> _Tree:
        # Random weights make scipy's minimum spanning tree a random spanning tree (not uniform,
        # but varied enough; uniform trees via Wilson's walk cost far more in Python).
        r = reg.units.size
        weights = self.rng.random(reg.indices.size) + 1e-9
        mst = minimum_spanning_tree(csr_matrix((weights, reg.indices, reg.indptr), shape=(r, r)))
        root = int(self.rng.integers(r))
        order, parent = depth_first_order(mst, root, directed=False, return_predecessors=True)
        where = np.empty(r, dtype=np.int64)
        where[order] = np.arange(r)
        parents = parent[order]
        parent_pos = np.where(parents >= 0, where[np.maximum(parents, 0)], -1).tolist()
        size_list = [1] * r
        for pos in range(r - 1, 0, -1):
            size_list[parent_pos[pos]] += size_list[pos]
        position = np.full(self.m, -1, dtype=np.int64)
        nodes = reg.units[order]
        position[nodes] = np.arange(r)
        return _Tree(nodes=nodes, size=np.array(size_list, dtype=np.int64), position=position)

    @staticmethod
    def _subtree_sums(tree: _Tree, values: FloatArray) -> FloatArray:
        """Sum of `values` (given per preorder position, 1-D or 2-D) over each subtree."""
        prefix = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])
        starts = np.arange(tree.nodes.size)
        return np.asarray(prefix[starts + tree.size] - prefix[starts], dtype=np.float64)

    def _lock_matrix(self, tree: _Tree, labels: list[int]) -> tuple[FloatArray, FloatArray]:
        """Per subtree, how many units locked to each of `labels` it holds; and region totals."""
        locks = self.lock[tree.nodes]
        onehot = np.stack([(locks == g).astype(np.float64) for g in labels], axis=1)
        return self._subtree_sums(tree, onehot), onehot.sum(axis=0)

    # ---------------------------------------------------------------- seed

    def seed(self) -> None:
        """Recursive balanced bipartition, grids shared out between disconnected parts first."""
        comps = self.p.component_of
        count = self.p.component_count
        comp_load = np.bincount(comps, weights=self.w, minlength=count)
        comp_size = np.bincount(comps, minlength=count)
        locked_by_comp: list[list[int]] = [[] for _ in range(count)]
        for g in range(self.k):
            holders = np.flatnonzero(self.lock == g)
            if holders.size:
                locked_by_comp[int(comps[holders[0]])].append(g)
        grids = np.array([max(1, len(ls)) for ls in locked_by_comp], dtype=np.int64)
        # Share the remaining grids by the highest workload per grid (D'Hondt).
        for _ in range(self.k - int(grids.sum())):
            room = grids < comp_size
            quotient = np.where(room, comp_load / grids, -1.0)
            grids[int(np.argmax(quotient))] += 1
        locked_anywhere = {g for ls in locked_by_comp for g in ls}
        free = [g for g in range(self.k) if g not in locked_anywhere]
        for c in range(count):
            extra = int(grids[c]) - len(locked_by_comp[c])
            labels = sorted(locked_by_comp[c] + free[:extra])
            free = free[extra:]
            self._split(np.flatnonzero(comps == c), labels)
        self._choose_all_centres()
        self._recompute()

    def _split(self, region: IntArray, labels: list[int]) -> None:
        stack: list[tuple[IntArray, list[int]]] = [(region, labels)]
        while stack:
            region, labels = stack.pop()
            if len(labels) == 1:
                self.labels[region] = labels[0]
                continue
            sub, sub_labels, rest_labels = self._best_seed_cut(region, labels)
            in_sub = np.zeros(self.m, dtype=bool)
            in_sub[sub] = True
            stack.append((sub, sub_labels))
            stack.append((region[~in_sub[region]], rest_labels))

    def _best_seed_cut(
        self, region: IntArray, labels: list[int]
    ) -> tuple[IntArray, list[int], list[int]]:
        k = len(labels)
        reg = self._region(region)
        total = float(self.w[region].sum())
        region_locks = sorted({int(g) for g in self.lock[region] if g >= 0})
        best: tuple[float, IntArray, list[int], list[int]] | None = None
        good_enough = self.tol / 2
        for attempt in range(_SEED_TREES * 4):
            if attempt >= _SEED_TREES and best is not None:
                break  # the best of the first trees stands, however far off (flips repair it)
            tree = self._random_tree(reg)
            sub_load = self._subtree_sums(tree, self.w[tree.nodes])
            if region_locks:
                sub_locks, all_locks = self._lock_matrix(tree, region_locks)
                in_sub_any = sub_locks > 0
                in_rest_any = (all_locks[None, :] - sub_locks) > 0
                separable = ~np.any(in_sub_any & in_rest_any, axis=1)
                n_sub_locked = in_sub_any.sum(axis=1)
                n_rest_locked = in_rest_any.sum(axis=1)
            else:
                separable = np.ones(tree.nodes.size, dtype=bool)
                n_sub_locked = n_rest_locked = np.zeros(tree.nodes.size, dtype=np.int64)
            # Halves first (shallow recursion, rounder grids); any other split as a fallback
            # for trees that have no edge near the middle (a star, say).
            for j in sorted(range(1, k), key=lambda j: (abs(2 * j - k) > 1, j)):
                if j not in (k // 2, k - k // 2) and best is not None and attempt < _SEED_TREES:
                    continue
                target = total * j / k
                ok = (
                    separable
                    & (tree.size >= j)
                    & (tree.nodes.size - tree.size >= k - j)
                    & (n_sub_locked <= j)
                    & (n_rest_locked <= k - j)
                )
                ok[0] = False  # the root's subtree is the whole region
                if not ok.any():
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    dev_sub = np.abs(sub_load / max(target, _EPS) - 1)
                    dev_rest = np.abs((total - sub_load) / max(total - target, _EPS) - 1)
                dev = np.where(ok, np.maximum(dev_sub, dev_rest), np.inf)
                pos = int(np.argmin(dev))
                if best is not None and dev[pos] >= best[0]:
                    continue
                sub = tree.nodes[pos : pos + int(tree.size[pos])]
                sub_set = {int(g) for g in self.lock[sub] if g >= 0}
                rest_set = set(region_locks) - sub_set
                free = [g for g in labels if g not in sub_set and g not in rest_set]
                need = j - len(sub_set)
                sub_labels = sorted(sub_set | set(free[:need]))
                rest_labels = sorted(rest_set | set(free[need:]))
                best = (float(dev[pos]), sub, sub_labels, rest_labels)
            if best is not None and best[0] <= good_enough and attempt >= 2:
                break
        if best is None:
            # No tree separated units locked to different grids: the locks most likely cannot
            # be met by contiguous grids (units locked to one grid walled off by another's).
            raise errors.locks_unsatisfiable([int(g) for g in region_locks])
        return best[1], best[2], best[3]

    # ---------------------------------------------------------------- centres

    def _choose_all_centres(self) -> None:
        for g in range(self.k):
            self._choose_centre(g)

    def _choose_centre(self, g: int) -> None:
        """The grid's 1-median: exact over every member for grids up to _EXACT_CENTRE_MAX
        units; in larger grids over the _CENTRE_CANDIDATES members nearest the continuous
        weighted median (Weiszfeld), plus the current centre, so a re-choice never gets worse
        and costs O(size) instead of O(size²)."""
        members = np.flatnonzero(self.labels == g)
        if self.dist_scale == 0 or members.size == 0:
            self.centres[g] = members[0] if members.size else 0
            return
        assert self.xy is not None
        candidates = members
        if members.size > _EXACT_CENTRE_MAX:
            xy, w = self.xy[members], self.w[members]
            point = (xy * w[:, None]).sum(axis=0) / max(float(w.sum()), _EPS)
            for _ in range(_WEISZFELD_STEPS):
                pull = w / np.maximum(np.hypot(*(xy - point).T), 1e-6)
                point = (xy * pull[:, None]).sum(axis=0) / max(float(pull.sum()), _EPS)
            near = np.argpartition(np.hypot(*(xy - point).T), _CENTRE_CANDIDATES)
            candidates = members[near[:_CENTRE_CANDIDATES]]
            current = int(self.centres[g])
            if self.labels[current] == g:
                candidates = np.append(candidates, current)
        self.centres[g], _ = weighted_median_centre(self.xy, self.w, candidates, members)

    # ---------------------------------------------------------------- flips

    def _connected_without(self, u: int, g: int) -> bool:
        """Does grid g stay connected when u leaves it? Searches from one of u's neighbours in g
        and stops once all of them are reached."""
        labels = self.labels
        targets = [v for v in self.nbrs[u] if labels[v] == g]
        if len(targets) <= 1:
            return True
        remaining = set(targets[1:])
        seen = {u, targets[0]}
        queue = deque([targets[0]])
        nbrs = self.nbrs
        while queue:
            x = queue.popleft()
            for y in nbrs[x]:
                if y not in seen and labels[y] == g:
                    if y in remaining:
                        remaining.discard(y)
                        if not remaining:
                            return True
                    seen.add(y)
                    queue.append(y)
        return False

    def flip_descent(
        self,
        candidates: IntArray | None = None,
        max_sweeps: int = 50,
        until: float = math.inf,
    ) -> int:
        """First-improvement flips until none helps (or the clock passes `until`, checked
        between sweeps). Returns the number of flips made."""
        flips = 0
        labels, load, w = self.labels, self.load, self.w
        use_dist = self.dist_scale > 0
        # Which units a sweep looks at. The whole descent: the units on a grid border when the
        # sweep starts. After a merge-split, a region of up to _LARGE_REGION units: all of them
        # in random order, so a unit that comes to a border during the sweep is looked at if it
        # comes later. A larger region: its border units, plus (a worklist) the neighbours of
        # every unit that moves — the same cascades without a Python pass over the interior.
        # (Border units alone left small instances measurably worse: 3 of 5 seeds at the 10×10
        # lattice's optimum instead of 5 of 5; with the worklist, 8 of 18 Validi county runs at
        # the optimum instead of 12. Measured with bench/districting.py's instances.)
        allowed: BoolArray | None = None
        cascade = candidates is not None and candidates.size > _LARGE_REGION
        if cascade:
            allowed = np.zeros(self.m, dtype=bool)
            allowed[candidates] = True
        for _ in range(max_sweeps):
            if time.monotonic() > until:
                break
            if candidates is not None and not cascade:
                pool = candidates
            else:
                boundary_mask = labels[self.edge_u] != labels[self.edge_v]
                on_border = np.zeros(self.m, dtype=bool)
                on_border[self.edge_u[boundary_mask]] = True
                on_border[self.edge_v[boundary_mask]] = True
                if allowed is not None:
                    on_border &= allowed
                pool = np.flatnonzero(on_border)
            order = pool[self.rng.permutation(pool.size)].tolist()
            pending = set(order)
            changed = 0
            touched: set[int] = set()
            counts = np.bincount(labels, minlength=self.k)
            for u in order:  # with `cascade`, a worklist: a flip queues its neighbours
                pending.discard(u)
                if self.lock[u] >= 0:
                    continue
                g = int(labels[u])
                if counts[g] <= 1 or (use_dist and self.centres[g] == u):
                    continue
                # Edge weight from u to each neighbouring grid.
                towards: dict[int, int] = {}
                for v, c in zip(self.nbrs[u], self.mult[u], strict=True):
                    h = int(labels[v])
                    towards[h] = towards.get(h, 0) + c
                if len(towards) == 1 and g in towards:
                    continue
                wu = float(w[u])
                own = towards.get(g, 0)
                fig_u = self.p.s_figures[u, self.banded_cols] if self.banded else None
                old_g = self._excess_one(
                    float(load[g]), self.banded_sums[g] if self.banded else None
                )
                new_g = self._excess_one(
                    float(load[g]) - wu,
                    self.banded_sums[g] - fig_u if fig_u is not None else None,
                )
                bal_g = self._balance_one(float(load[g]) - wu) - self._balance_one(float(load[g]))
                d_g = self._dist(u, int(self.centres[g])) if use_dist else 0.0
                best_h, best_delta = -1, (0.0, 0.0)
                for h, c in towards.items():
                    if h == g:
                        continue
                    old_h = self._excess_one(
                        float(load[h]), self.banded_sums[h] if self.banded else None
                    )
                    new_h = self._excess_one(
                        float(load[h]) + wu,
                        self.banded_sums[h] + fig_u if fig_u is not None else None,
                    )
                    d_excess = new_g + new_h - old_g - old_h
                    d_compact = (
                        self.cut_scale * (own - c)
                        + bal_g
                        + self._balance_one(float(load[h]) + wu)
                        - self._balance_one(float(load[h]))
                    )
                    if use_dist:
                        d_compact += (
                            self.dist_scale * wu * (self._dist(u, int(self.centres[h])) - d_g)
                        )
                    if self.better((d_excess, d_compact), best_delta):
                        best_h, best_delta = h, (d_excess, d_compact)
                if best_h < 0 or not self._connected_without(u, g):
                    continue
                h = best_h
                labels[u] = h
                load[g] -= wu
                load[h] += wu
                counts[g] -= 1
                counts[h] += 1
                if fig_u is not None:
                    self.banded_sums[g] -= fig_u
                    self.banded_sums[h] += fig_u
                self.cut += own - towards[h]
                if use_dist:
                    self.grid_dist[g] -= wu * d_g
                    self.grid_dist[h] += wu * self._dist(u, int(self.centres[h]))
                changed += 1
                touched.update((g, h))
                if allowed is not None:
                    # Its neighbours may now be on a border, or have a better move: look at them
                    # again in this sweep (moves only ever lower the objective, so this ends).
                    for v in self.nbrs[u]:
                        if v not in pending and allowed[v]:
                            pending.add(v)
                            order.append(v)
            flips += changed
            if use_dist:
                # Only grids that changed can have a better centre now.
                before = self.centres.copy()
                for grid in sorted(touched):
                    self._choose_centre(grid)
                if not np.array_equal(before, self.centres):
                    self._recompute()
                    if changed == 0:
                        continue
            if changed == 0:
                break
        return flips

    # ---------------------------------------------------------------- merge-split

    def merge_split(self, a: int, b: int, temperature: float) -> bool:
        """Re-split grids a and b along the best cut of a few random spanning trees of their
        union. Returns True if the plan changed."""
        region = np.flatnonzero((self.labels == a) | (self.labels == b))
        if region.size < 2:
            return False
        reg = self._region(region)
        keep = reg.edges
        eu, ev, emult = self.edge_u[keep], self.edge_v[keep], self.edge_mult[keep]
        total = float(self.w[region].sum())
        use_dist = self.dist_scale > 0
        if use_dist:
            assert self.xy is not None
            # Candidate centres: every unit of a small region; in a large one a random sample
            # plus the two current centres (the sides' costs are then upper bounds, exact
            # for the current split; the centres are re-chosen properly after a move).
            if region.size <= _MERGE_CENTRES:
                cand = region
            else:
                sample = self.rng.choice(region, _MERGE_CENTRES, replace=False)
                cand = np.unique(np.concatenate([sample, self.centres[[a, b]]]))
            # weighted[i, j]: workload of region unit i × distance to candidate centre j
            # (sqrt of squares in place: half the time of np.hypot).
            weighted = np.subtract.outer(self.xy[region, 0], self.xy[cand, 0])
            dy = np.subtract.outer(self.xy[region, 1], self.xy[cand, 1])
            weighted *= weighted
            dy *= dy
            weighted += dy
            np.sqrt(weighted, out=weighted)
            weighted *= self.w[region][:, None]
            local = np.full(self.m, -1, dtype=np.int64)
            local[region] = np.arange(region.size)
        current_cut = int(emult[self.labels[eu] != self.labels[ev]].sum())
        current = self._pair_score(a, b, current_cut)
        best: tuple[tuple[float, float], IntArray] | None = None
        lock_a = bool(np.any(self.lock[region] == a))
        lock_b = bool(np.any(self.lock[region] == b))
        trees = _SPLIT_TREES if region.size <= _LARGE_REGION else _SPLIT_TREES_LARGE
        for _ in range(trees):
            tree = self._random_tree(reg)
            sub_load = self._subtree_sums(tree, self.w[tree.nodes])
            rest_load = total - sub_load
            excess = np.maximum(0.0, np.abs(sub_load - self.mean) / self.mean - self.tol)
            excess += np.maximum(0.0, np.abs(rest_load - self.mean) / self.mean - self.tol)
            if self.banded:
                fig = self.p.s_figures[tree.nodes][:, self.banded_cols]
                sub_fig = self._subtree_sums(tree, fig)
                rest_fig = fig.sum(axis=0)[None, :] - sub_fig
                for j, (_, band, mean) in enumerate(self.banded):
                    excess += np.maximum(0, np.abs(sub_fig[:, j] - mean) / mean - band)
                    excess += np.maximum(0, np.abs(rest_fig[:, j] - mean) / mean - band)
            valid = np.ones(tree.nodes.size, dtype=bool)
            valid[0] = False
            if lock_a or lock_b:
                sub_locks, all_locks = self._lock_matrix(tree, [a, b])
                # The subtree must hold all of one grid's locks and none of the other's.
                sub_is_a = (sub_locks[:, 0] == all_locks[0]) & (sub_locks[:, 1] == 0)
                sub_is_b = (sub_locks[:, 1] == all_locks[1]) & (sub_locks[:, 0] == 0)
                valid &= sub_is_a | sub_is_b
            if not valid.any():
                continue
            floor = float(excess[valid].min())
            pick = np.flatnonzero(valid & (excess <= floor + 1e-9))
            if best is not None and floor > best[0][0] + 1e-9:
                continue
            # Cut edges inside the region for each candidate subtree.
            pu, pv = tree.position[eu], tree.position[ev]
            starts = pick[:, None]
            ends = starts + tree.size[pick][:, None]
            in_u = (pu[None, :] >= starts) & (pu[None, :] < ends)
            in_v = (pv[None, :] >= starts) & (pv[None, :] < ends)
            cuts = ((in_u != in_v) * emult[None, :]).sum(axis=1)
            compact = self.cut_scale * cuts
            compact += self.bal_scale * (
                (sub_load[pick] / self.mean - 1) ** 2 + (rest_load[pick] / self.mean - 1) ** 2
            )
            if use_dist:
                # Each candidate side's cost to every candidate centre from prefix sums over
                # the preorder (O(region × candidates) per tree, not per cut).
                prefix = np.zeros((region.size + 1, cand.size))
                np.cumsum(weighted[local[tree.nodes]], axis=0, out=prefix[1:])
                stops = pick + tree.size[pick]
                sub_cost = prefix[stops] - prefix[pick]
                rest_cost = prefix[-1][None, :] - sub_cost
                cand_pos = tree.position[cand][None, :]
                inside = (cand_pos >= pick[:, None]) & (cand_pos < stops[:, None])
                best_sub = np.where(inside, sub_cost, np.inf).min(axis=1)
                best_rest = np.where(~inside, rest_cost, np.inf).min(axis=1)
                compact += self.dist_scale * (best_sub + best_rest)
            row = int(np.argmin(compact))
            candidate = (float(excess[pick[row]]), float(compact[row]))
            if best is None or self.better(candidate, best[0]):
                p = int(pick[row])
                best = (candidate, tree.nodes[p : p + int(tree.size[p])])
        if best is None:
            return False
        (new_excess, new_compact), sub = best
        if not self.better((new_excess, new_compact), current):
            if new_excess > current[0] + 1e-9:
                return False
            worse = new_compact - current[1]
            if worse > 1e-12 and (
                temperature <= 0 or self.rng.random() >= math.exp(-worse / temperature)
            ):
                return False
        in_sub = np.zeros(self.m, dtype=bool)
        in_sub[sub] = True
        rest = region[~in_sub[region]]
        # Keep grid numbers stable: the side holding a's locks (or more of a's old units) is a.
        if np.any(self.lock[sub] == a) or np.any(self.lock[rest] == b):
            sub_label = a
        elif np.any(self.lock[sub] == b) or np.any(self.lock[rest] == a):
            sub_label = b
        else:
            sub_label = a if np.count_nonzero(self.labels[sub] == a) * 2 >= sub.size else b
        rest_label = b if sub_label == a else a
        if np.all(self.labels[sub] == sub_label) and np.all(self.labels[rest] == rest_label):
            return False
        self.labels[region] = rest_label
        self.labels[sub] = sub_label
        self._choose_centre(a)
        self._choose_centre(b)
        self._recompute()
        return True

    def _pair_score(self, a: int, b: int, cut_between: int) -> tuple[float, float]:
        excess = sum(
            self._excess_one(float(self.load[g]), self.banded_sums[g] if self.banded else None)
            for g in (a, b)
        )
        compact = self.cut_scale * cut_between + sum(
            self._balance_one(float(self.load[g])) for g in (a, b)
        )
        if self.dist_scale > 0:
            compact += self.dist_scale * float(self.grid_dist[a] + self.grid_dist[b])
        return excess, compact

    # ---------------------------------------------------------------- main loop

    def _stop_requested(self) -> bool:
        return (
            self.cancel is not None and self.cancel.is_set()
        ) or time.monotonic() > self.deadline

    def _report(self, phase: str, best: tuple[float, float]) -> None:
        if self.progress is not None:
            self.progress(
                Progress(
                    method="heuristic",
                    phase=phase,
                    iteration=self.rounds,
                    best_objective=best[1],
                    best_excess=best[0],
                    elapsed_s=time.monotonic() - self.started,
                )
            )

    def run(self) -> HeuristicResult:
        """Chains of merge-split + flips, each from a fresh seed, until the round budget, the
        clock, a cancel or _STALE_CHAINS fruitless chains end the run; a chain ends after
        `patience` rounds without improving on its own best. Restarting beats one long chain:
        measured on the Validi counties, single chains stall on different local optima from
        seed to seed."""
        opts = self.p.options
        best_score = (math.inf, math.inf)
        best_labels = self.labels.copy()
        best_centres = self.centres.copy()
        stopped = False
        stale_chains = 0
        longest_chain = 0.0
        while True:
            best_before = best_score
            chain_started = time.monotonic()
            self.seed()
            self.flip_descent()
            chain_best = self.score()
            if self.better(chain_best, best_score):
                best_score = chain_best
                best_labels, best_centres = self.labels.copy(), self.centres.copy()
            self._report("seed", best_score)
            if not np.any(self.labels[self.edge_u] != self.labels[self.edge_v]):
                # No two grids touch (one grid, or as many separate parts as grids): there is
                # nothing to merge and re-split, and the seed is the only contiguous plan.
                break
            start_temperature = (
                _T0_DISTANCE * chain_best[1] if self.dist_scale > 0 else _T0_CUT * self.cut_scale
            )
            since_best = 0
            chain_round = 0
            while self.rounds < opts.max_rounds and since_best < opts.patience:
                if self._stop_requested():
                    stopped = True
                    break
                self.rounds += 1
                chain_round += 1
                boundary = np.flatnonzero(self.labels[self.edge_u] != self.labels[self.edge_v])
                e = int(boundary[self.rng.integers(boundary.size)])
                a, b = int(self.labels[self.edge_u[e]]), int(self.labels[self.edge_v[e]])
                temperature = start_temperature * 0.5 ** (chain_round / _HALF_LIFE_ROUNDS)
                if self.merge_split(a, b, temperature):
                    region = np.flatnonzero((self.labels == a) | (self.labels == b))
                    self.flip_descent(region, max_sweeps=5)
                score = self.score()
                if self.better(score, chain_best):
                    chain_best = score
                    since_best = 0
                else:
                    since_best += 1
                if self.better(score, best_score):
                    best_score = score
                    best_labels, best_centres = self.labels.copy(), self.centres.copy()
                    self._report("improve", best_score)
                if self.rounds % _PROGRESS_EVERY == 0:
                    self._report("search", best_score)
            stale_chains = 0 if self.better(best_score, best_before) else stale_chains + 1
            now = time.monotonic()
            longest_chain = max(longest_chain, now - chain_started)
            if (
                stopped
                or self.rounds >= opts.max_rounds
                or opts.patience == 0
                or stale_chains >= _STALE_CHAINS
                # No time for another chain like the ones so far (large instances, where one
                # chain takes seconds): end now rather than run one the clock would cut short.
                or now + longest_chain > self.deadline
            ):
                break
        # Finish from the best plan with a full descent (it only improves).
        self.labels, self.centres = best_labels, best_centres
        self._recompute()
        if not stopped:
            self.flip_descent(until=self.deadline)
            final = self.score()
            if self.better(final, best_score):
                best_score = final
                best_labels = self.labels.copy()
        self._report("done", best_score)
        return HeuristicResult(best_labels, best_score[0], best_score[1], self.rounds, stopped)
