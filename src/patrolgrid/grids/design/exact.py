"""The exact engine for small instances: a MILP solved by HiGHS (scipy.optimize.milp).

Model (on super-units, after stay-whole groups are contracted), after Hess et al. (1965) as used
for districting by Validi & Buchanan (2022):

- x[i, c] = 1 when unit i belongs to the grid represented by unit c; x[c, c] = 1 makes c a
  representative; Σ_c x[i, c] = 1; x[i, c] ≤ x[c, c]; Σ_c x[c, c] = k.
- The representative is the grid's centre when distance counts (the objective then picks the
  best centre, a balanced p-median), otherwise the grid's lowest-numbered unit (x[i, c] = 0 for
  i < c), which removes the k! relabellings that would otherwise slow the search.
- Balance: mean × (1 - tolerance) × x[c, c] ≤ Σ_i workload_i x[i, c] ≤ mean × (1 + tolerance) ×
  x[c, c], and the same for every figure band. The band is hard here.
- Cut edges: z[e, c] ≤ x[u, c], z[e, c] ≤ x[v, c] marks edge e = (u, v) as inside grid c; cut
  edges = Σ_e multiplicity_e × (1 - Σ_c z[e, c]).
- Contiguity by cuts (a, b-separators), added lazily: a solution whose grid c has a piece S
  that does not hold c gets, for each i in S, x[i, c] ≤ Σ_{v ∈ C} x[v, c] where C is the minimal
  part of S's boundary that separates S from c; then the MILP is solved again. The one-unit
  version (a non-centre unit needs a neighbour in its grid) is added from the start.

scipy's milp cannot be interrupted or warm-started, so the run is a loop of solves: cancel and
the clock are checked between solves, each solve gets the time that is left, and the progress
callback reports the lower bound after each. The objective is the linear part of the
heuristic's (no squared balance pull). A plan it returns is optimal for that objective when
`proven_optimal` is set.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from patrolgrid.grids.design.model import CancelToken, Progress, ProgressCallback
from patrolgrid.grids.design.problem import IntArray, Problem

EXACT_MAX_UNITS = 400  # past this the model (units² variables) is too large to be worth building
# With distance, units are only paired with candidate centres this many "typical grid radii"
# (√(bounding box area / k)) away; large enough not to cut off good plans on compact grids.
_PAIR_RADIUS_FACTOR = 1.5
_PAIR_RADIUS_FROM_UNITS = 150  # below this many units every pair is kept


@dataclass
class ExactResult:
    labels: IntArray | None  # None: no contiguous plan found in time (or none exists)
    objective: float
    excess: float
    iterations: int
    stopped_early: bool
    proven_optimal: bool
    lower_bound: float | None
    notes: tuple[str, ...] = ()


@dataclass
class _Rows:
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)

    def add(self, terms: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(self.lo)
        for col, val in terms:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)
        self.lo.append(lo)
        self.hi.append(hi)

    def constraint(self, width: int) -> LinearConstraint:
        matrix = coo_matrix(
            (self.vals, (self.rows, self.cols)), shape=(len(self.lo), width)
        ).tocsr()
        return LinearConstraint(matrix, np.array(self.lo), np.array(self.hi))


class ExactSearch:
    def __init__(
        self,
        problem: Problem,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        started: float,
        upper_bound: float | None = None,
    ) -> None:
        self.p = problem
        self.progress = progress
        self.cancel = cancel
        self.started = started
        self.deadline = started + problem.options.time_limit_s
        self.upper_bound = upper_bound
        opts = problem.options
        m, k = problem.m, problem.k
        self.cut_scale = opts.cut_edge_weight / max(problem.total_edges, 1)
        self.use_distance = problem.s_coords is not None and opts.distance_weight > 0
        self.dist_scale = 0.0
        xy = problem.s_coords
        w = problem.s_workload
        if self.use_distance:
            assert xy is not None
            centroid = (xy * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-12)
            reference = float(w @ np.hypot(*(xy - centroid).T))
            self.dist_scale = opts.distance_weight / reference if reference > 0 else 0.0
            self.use_distance = self.dist_scale > 0
        # Candidate (unit, representative) pairs.
        if self.use_distance:
            assert xy is not None
            dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
            allowed = np.ones((m, m), dtype=bool)
            if m >= _PAIR_RADIUS_FROM_UNITS:
                span = xy.max(axis=0) - xy.min(axis=0)
                radius = _PAIR_RADIUS_FACTOR * float(np.sqrt(max(span[0] * span[1], 1e-9) / k))
                allowed = dist <= radius
            self.dist = dist
        else:
            allowed = np.tril(np.ones((m, m), dtype=bool))  # i ≥ c: c is the lowest unit
        np.fill_diagonal(allowed, True)
        # A unit locked to grid g can only be represented by a unit free to join g.
        for i in np.flatnonzero(problem.s_lock >= 0).tolist():
            g = int(problem.s_lock[i])
            clash = (problem.s_lock >= 0) & (problem.s_lock != g)
            allowed[i, clash] = False
        self.pair_i, self.pair_c = np.nonzero(allowed)
        self.x_index = {
            (int(i), int(c)): n
            for n, (i, c) in enumerate(zip(self.pair_i, self.pair_c, strict=True))
        }
        self.n_x = len(self.x_index)
        # z variables: edge e inside grid c.
        self.z_pairs: list[tuple[int, int]] = []
        if self.cut_scale > 0:
            for e, (u, v) in enumerate(
                zip(problem.s_edge_u.tolist(), problem.s_edge_v.tolist(), strict=True)
            ):
                for c in range(m):
                    if (u, c) in self.x_index and (v, c) in self.x_index:
                        self.z_pairs.append((e, c))
        self.width = self.n_x + len(self.z_pairs)
        self.rows = _Rows()
        self._build()

    # ------------------------------------------------------------------ model

    def _build(self) -> None:
        p, rows, k = self.p, self.rows, self.p.k
        m = p.m
        xi = self.x_index
        by_unit: list[list[int]] = [[] for _ in range(m)]
        by_centre: list[list[tuple[int, int]]] = [[] for _ in range(m)]
        for (i, c), n in xi.items():
            by_unit[i].append(n)
            by_centre[c].append((i, n))
        for i in range(m):
            rows.add([(n, 1.0) for n in by_unit[i]], 1.0, 1.0)
        rows.add([(xi[(c, c)], 1.0) for c in range(m)], k, k)
        mean = 1.0 / k
        tol = p.options.tolerance
        bands = [(p.s_workload, mean, tol)]
        for name, band in sorted(p.options.figure_tolerances.items()):
            f = p.figure_names.index(name)
            if p.figure_totals[f] > 0:
                bands.append((p.s_figures[:, f], p.figure_totals[f] / k, band))
        for c in range(m):
            cc = xi[(c, c)]
            for i, n in by_centre[c]:
                if i != c:
                    rows.add([(n, 1.0), (cc, -1.0)], -np.inf, 0.0)
            for values, band_mean, band in bands:
                terms = [(n, float(values[i])) for i, n in by_centre[c]]
                hi = band_mean * (1 + band)
                lo = band_mean * (1 - band)
                rows.add([*terms, (cc, -hi)], -np.inf, 0.0)
                rows.add([*terms, (cc, -lo)], 0.0, np.inf)
            # One-unit separators: a unit that is not its grid's centre needs a neighbour in it.
            for i, n in by_centre[c]:
                if i == c:
                    continue
                terms = [(xi[(j, c)], -1.0) for j in p.s_neighbours[i] if (j, c) in xi]
                rows.add([(n, 1.0), *terms], -np.inf, 0.0)
        for z, (e, c) in enumerate(self.z_pairs):
            u, v = int(p.s_edge_u[e]), int(p.s_edge_v[e])
            rows.add([(self.n_x + z, 1.0), (xi[(u, c)], -1.0)], -np.inf, 0.0)
            rows.add([(self.n_x + z, 1.0), (xi[(v, c)], -1.0)], -np.inf, 0.0)
        self._lock_rows(by_centre)
        if self.upper_bound is not None:
            rows.add(self._objective_terms(), -np.inf, self.upper_bound - self._constant() - 1e-7)

    def _lock_rows(self, by_centre: list[list[tuple[int, int]]]) -> None:
        p, xi = self.p, self.x_index
        anchors: dict[int, int] = {}
        for i in np.flatnonzero(p.s_lock >= 0).tolist():
            g = int(p.s_lock[i])
            if g not in anchors:
                anchors[g] = i
                continue
            a = anchors[g]
            for c in range(p.m):
                terms = []
                if (i, c) in xi:
                    terms.append((xi[(i, c)], 1.0))
                if (a, c) in xi:
                    terms.append((xi[(a, c)], -1.0))
                if terms:
                    self.rows.add(terms, 0.0, 0.0)
        grids = sorted(anchors)
        for x, g in enumerate(grids):
            for h in grids[x + 1 :]:
                a, b = anchors[g], anchors[h]
                for c in range(p.m):
                    if (a, c) in xi and (b, c) in xi:
                        self.rows.add([(xi[(a, c)], 1.0), (xi[(b, c)], 1.0)], -np.inf, 1.0)

    def _objective_terms(self) -> list[tuple[int, float]]:
        terms: list[tuple[int, float]] = []
        if self.use_distance:
            w = self.p.s_workload
            for (i, c), n in self.x_index.items():
                terms.append((n, self.dist_scale * float(w[i] * self.dist[i, c])))
        for z, (e, _) in enumerate(self.z_pairs):
            terms.append((self.n_x + z, -self.cut_scale * float(self.p.s_edge_mult[e])))
        return terms

    def _constant(self) -> float:
        return self.cut_scale * float(self.p.s_edge_mult.sum())

    # ------------------------------------------------------------------ solve

    def _separators(self, labels_by_centre: dict[int, IntArray]) -> int:
        """Add a, b-separator rows for every grid piece cut off from its centre."""
        p, xi = self.p, self.x_index
        added = 0
        for c, members in labels_by_centre.items():
            inside = np.zeros(p.m, dtype=bool)
            inside[members] = True
            reached = self._reach(c, inside)
            for start in members.tolist():
                if reached[start]:
                    continue
                piece = self._reach(start, inside)
                reached |= piece
                boundary = np.zeros(p.m, dtype=bool)
                for v in np.flatnonzero(piece).tolist():
                    for y in p.s_neighbours[v]:
                        if not piece[y]:
                            boundary[y] = True
                # Keep only the boundary units next to what c can reach around the boundary.
                from_centre = self._reach(c, ~boundary & ~piece)
                minimal = [
                    v
                    for v in np.flatnonzero(boundary).tolist()
                    if any(from_centre[y] for y in p.s_neighbours[v])
                ]
                sep = [(xi[(v, c)], -1.0) for v in minimal if (v, c) in xi]
                for i in np.flatnonzero(piece).tolist():
                    if (i, c) in xi:
                        self.rows.add([(xi[(i, c)], 1.0), *sep], -np.inf, 0.0)
                        added += 1
        return added

    def _reach(self, start: int, allowed: np.ndarray) -> np.ndarray:
        seen = np.zeros(self.p.m, dtype=bool)
        seen[start] = True
        queue = deque([start])
        while queue:
            x = queue.popleft()
            for y in self.p.s_neighbours[x]:
                if allowed[y] and not seen[y]:
                    seen[y] = True
                    queue.append(y)
        return seen

    def run(self) -> ExactResult:
        c = np.zeros(self.width)
        for col, val in self._objective_terms():
            c[col] += val
        integrality = np.concatenate([np.ones(self.n_x), np.zeros(len(self.z_pairs))])
        bounds = Bounds(np.zeros(self.width), np.ones(self.width))
        iterations = 0
        bound: float | None = None
        while True:
            remaining = self.deadline - time.monotonic()
            if (self.cancel is not None and self.cancel.is_set()) or remaining <= 0:
                return self._give_up(iterations, bound, "stopped before a contiguous plan")
            res = milp(
                c,
                integrality=integrality,
                bounds=bounds,
                constraints=self.rows.constraint(self.width),
                options={"time_limit": max(remaining, 0.5), "presolve": True},
            )
            iterations += 1
            if res.x is None:
                if res.status == 2:
                    note = "infeasible: no plan meets the balance band with these units"
                    if self.upper_bound is not None:
                        note = "no plan beats the given upper bound: it is optimal"
                    return ExactResult(
                        None, float("inf"), float("inf"), iterations, False, False, bound, (note,)
                    )
                return self._give_up(iterations, bound, "no solution within the time limit")
            optimal = res.status == 0
            if optimal:
                bound = float(res.fun) + self._constant()
            self._report(iterations, float(res.fun) + self._constant(), bound)
            x = res.x[: self.n_x] > 0.5
            centre_of = np.full(self.p.m, -1, dtype=np.int64)
            centre_of[self.pair_i[x]] = self.pair_c[x]
            groups = {int(cc): np.flatnonzero(centre_of == cc) for cc in np.unique(centre_of)}
            if self._separators(groups) == 0:
                labels = self._label(groups)
                return ExactResult(
                    labels,
                    float(res.fun) + self._constant(),
                    0.0,
                    iterations,
                    not optimal,
                    optimal,
                    bound,
                    () if optimal else ("time limit reached: feasible, not proven optimal",),
                )
            if not optimal:
                return self._give_up(
                    iterations, bound, "time limit reached while contiguity cuts were still added"
                )

    def _label(self, groups: dict[int, IntArray]) -> IntArray:
        labels = np.full(self.p.m, -1, dtype=np.int64)
        used: set[int] = set()
        free_groups = []
        for members in groups.values():
            locks = {int(g) for g in self.p.s_lock[members] if g >= 0}
            if locks:
                g = locks.pop()
                labels[members] = g
                used.add(g)
            else:
                free_groups.append(members)
        free = iter(g for g in range(self.p.k) if g not in used)
        for members in sorted(free_groups, key=lambda ms: int(ms.min())):
            labels[members] = next(free)
        return labels

    def _give_up(self, iterations: int, bound: float | None, why: str) -> ExactResult:
        return ExactResult(None, float("inf"), float("inf"), iterations, True, False, bound, (why,))

    def _report(self, iteration: int, objective: float, bound: float | None) -> None:
        if self.progress is not None:
            self.progress(
                Progress(
                    method="exact",
                    phase="solve",
                    iteration=iteration,
                    best_objective=bound if bound is not None else objective,
                    best_excess=0.0,
                    elapsed_s=time.monotonic() - self.started,
                )
            )
