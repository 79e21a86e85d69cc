"""Metrics and rule checks of a plan at unit level: what a user sees, whoever made the plan."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from patrolgrid.grids.design.model import GridMetrics, PlanMetrics, Violation
from patrolgrid.grids.design.problem import FloatArray, IntArray, Problem

# Candidate centres are priced this many at a time, so a grid of 10,000 units never builds a
# 10,000 × 10,000 matrix.
_CENTRE_CHUNK = 512


def weighted_median_centre(
    coords: FloatArray, weights: FloatArray, candidates: IntArray, points: IntArray
) -> tuple[int, float]:
    """The candidate minimising Σ weight × distance to `points` (a discrete 1-median)."""
    best_index, best_cost = int(candidates[0]), float("inf")
    xy, w = coords[points], weights[points]
    for start in range(0, candidates.size, _CENTRE_CHUNK):
        chunk = candidates[start : start + _CENTRE_CHUNK]
        d = np.hypot(
            xy[:, None, 0] - coords[None, chunk, 0], xy[:, None, 1] - coords[None, chunk, 1]
        )
        cost = w @ d
        i = int(np.argmin(cost))
        if cost[i] < best_cost:
            best_index, best_cost = int(chunk[i]), float(cost[i])
    return best_index, best_cost


def _components(problem: Problem, units: IntArray, with_barriers: bool) -> int:
    if units.size <= 1:
        return units.size
    pos = np.full(problem.n, -1, dtype=np.int64)
    pos[units] = np.arange(units.size)
    a, b = problem.edge_a, problem.edge_b
    if with_barriers:
        a, b = np.concatenate([a, problem.barrier_a]), np.concatenate([b, problem.barrier_b])
    keep = (pos[a] >= 0) & (pos[b] >= 0)
    matrix = coo_matrix(
        (np.ones(int(keep.sum())), (pos[a[keep]], pos[b[keep]])), shape=(units.size, units.size)
    )
    count, _ = connected_components(matrix, directed=False)
    return int(count)


def plan_metrics(problem: Problem, labels: IntArray) -> PlanMetrics:
    """Per-grid workload and figure balance, contiguity, cut edges and weighted distance.

    `labels[i]` is unit i's grid (0..k-1); every unit must have one.
    """
    k = problem.k
    workload = np.bincount(labels, weights=problem.workload, minlength=k)
    mean = 1.0 / k
    live_figures = [f for f in range(len(problem.figure_names)) if problem.figure_totals[f] > 0]
    figure_sums = np.zeros((k, len(problem.figure_names)))
    np.add.at(figure_sums, labels, problem.figures)
    figure_means = problem.figure_totals / k
    grids: list[GridMetrics] = []
    total_distance = 0.0
    all_contiguous = True
    for g in range(k):
        units = np.flatnonzero(labels == g)
        contiguous = units.size > 0 and _components(problem, units, with_barriers=False) == 1
        all_contiguous &= contiguous
        centre: str | None = None
        distance: float | None = None
        if problem.coords is not None and units.size:
            c, distance = weighted_median_centre(problem.coords, problem.workload, units, units)
            centre = problem.unit_ids[c]
            total_distance += distance
        grids.append(
            GridMetrics(
                grid=g,
                units=tuple(problem.unit_ids[int(i)] for i in units),
                workload=float(workload[g]),
                workload_ratio=float(workload[g] / mean),
                figures={
                    name: float(figure_sums[g, f]) for f, name in enumerate(problem.figure_names)
                },
                figure_ratios={
                    problem.figure_names[f]: float(figure_sums[g, f] / figure_means[f])
                    for f in live_figures
                },
                contiguous=bool(contiguous),
                centre=centre,
                weighted_distance=distance,
            )
        )
    ratios = workload / mean
    cut = int(np.count_nonzero(labels[problem.edge_a] != labels[problem.edge_b]))
    return PlanMetrics(
        grids=tuple(grids),
        workload_min_ratio=float(ratios.min()),
        workload_max_ratio=float(ratios.max()),
        max_deviation=float(np.abs(ratios - 1).max()),
        figure_min_ratio={
            problem.figure_names[f]: float((figure_sums[:, f] / figure_means[f]).min())
            for f in live_figures
        },
        figure_max_ratio={
            problem.figure_names[f]: float((figure_sums[:, f] / figure_means[f]).max())
            for f in live_figures
        },
        cut_edges=cut,
        total_edges=problem.total_edges,
        weighted_distance=total_distance if problem.coords is not None else None,
        contiguous=bool(all_contiguous),
    )


def plan_violations(problem: Problem, labels: IntArray) -> list[Violation]:
    """Rules a complete plan (every unit labelled 0..k-1) breaks, unit level."""
    out: list[Violation] = []
    ids = problem.unit_ids
    for g in range(problem.k):
        units = np.flatnonzero(labels == g)
        if units.size == 0:
            out.append(
                Violation("empty_grid", f"网格 {g} 没有单元", f"Grid {g} has no units", grid=g)
            )
            continue
        if _components(problem, units, with_barriers=False) == 1:
            continue
        names = tuple(ids[int(i)] for i in units)
        if _components(problem, units, with_barriers=True) == 1:
            out.append(
                Violation(
                    "crosses_barrier",
                    f"网格 {g} 只能跨越障碍（如河流）才能连通，须经桥梁等通道",
                    f"Grid {g} is connected only across a barrier (e.g. a river) without a bridge",
                    names,
                    g,
                )
            )
        else:
            out.append(
                Violation(
                    "not_contiguous",
                    f"网格 {g} 不连片",
                    f"Grid {g} is not contiguous",
                    names,
                    g,
                )
            )
    for unit, grid in sorted(problem.locked.items()):
        if labels[unit] != grid:
            out.append(
                Violation(
                    "lock_violated",
                    f"单元 {ids[unit]} 锁定在网格 {grid}，却被分到网格 {labels[unit]}",
                    f"Unit {ids[unit]} is locked to grid {grid} but placed in grid {labels[unit]}",
                    (ids[unit],),
                    grid,
                )
            )
    for members in problem.members:
        if members.size > 1 and np.unique(labels[members]).size > 1:
            out.append(
                Violation(
                    "group_split",
                    "整体保留的单元组被分到了多个网格",
                    "A group of units that must stay whole is split between grids",
                    tuple(ids[int(i)] for i in members),
                )
            )
    return out
