"""Checks a UnitGraph and compiles it into arrays the solvers share.

Stay-whole groups are contracted into super-units (one node each, carrying the sums of their
members), so every solver keeps a town whole by construction instead of by constraint. Adjacency
between super-units keeps its multiplicity (how many unit adjacencies it stands for) so that cut
edges are counted at unit level. Barrier adjacencies are dropped from the graph the solvers see;
they only matter for telling a user why a hand-edited grid is not contiguous.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from patrolgrid.grids.design import errors
from patrolgrid.grids.design.model import DesignOptions, EdgeKind, UnitGraph

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Problem:
    """A checked instance. Unit-level arrays are indexed 0..n-1, super-unit arrays 0..m-1."""

    k: int
    unit_ids: tuple[str, ...]
    index: Mapping[str, int]
    figure_names: tuple[str, ...]
    figures: FloatArray  # n × F
    figure_totals: FloatArray  # F
    figure_weights: FloatArray  # F, sums to 1 over figures with a non-zero total
    workload: FloatArray  # n, sums to 1
    coords: FloatArray | None  # n × 2, metres
    edge_a: IntArray  # allowed (normal or bridge) unit adjacencies, a < b, no duplicates
    edge_b: IntArray
    barrier_a: IntArray  # barrier-only unit adjacencies
    barrier_b: IntArray
    locked: Mapping[int, int]  # unit index → grid
    # super-units (stay-whole groups contracted; every other unit is its own super-unit)
    super_of: IntArray  # n → m
    members: tuple[IntArray, ...]
    s_workload: FloatArray  # m
    s_figures: FloatArray  # m × F
    s_coords: FloatArray | None  # m × 2: workload-weighted centroid of the members
    s_neighbours: tuple[tuple[int, ...], ...]
    s_multiplicity: tuple[tuple[int, ...], ...]  # unit adjacencies behind each neighbour link
    s_edge_u: IntArray  # super-edges, u < v
    s_edge_v: IntArray
    s_edge_mult: IntArray
    s_lock: IntArray  # m → grid, or -1
    component_of: IntArray  # m → connected component (allowed adjacencies)
    component_count: int
    options: DesignOptions

    @property
    def n(self) -> int:
        return len(self.unit_ids)

    @property
    def m(self) -> int:
        return len(self.members)

    @property
    def total_edges(self) -> int:
        return int(self.edge_a.size)


def _check_options(options: DesignOptions, figure_names: tuple[str, ...]) -> None:
    if not (math.isfinite(options.tolerance) and 0 <= options.tolerance < 1):
        raise errors.bad_option(
            "tolerance", options.tolerance, "应在 0 到 1 之间", "must be in [0, 1)"
        )
    for name, band in options.figure_tolerances.items():
        if name not in figure_names:
            raise errors.bad_weights(f"unknown figure {name!r} in figure_tolerances")
        if not (math.isfinite(band) and band >= 0):
            raise errors.bad_option(
                f"figure_tolerances[{name}]", band, "应为非负数", "must not be negative"
            )
    for name in ("cut_edge_weight", "distance_weight", "balance_weight", "time_limit_s"):
        value = float(getattr(options, name))
        if not (math.isfinite(value) and value >= 0):
            raise errors.bad_option(name, value, "应为非负数", "must not be negative")
    for name in ("max_rounds", "patience"):
        if int(getattr(options, name)) < 0:
            raise errors.bad_option(name, getattr(options, name), "应为非负整数", "must be >= 0")


def _figure_weights(
    options: DesignOptions, figure_names: tuple[str, ...], totals: FloatArray
) -> FloatArray:
    if options.figure_weights is None:
        raw = np.ones(len(figure_names))
    else:
        unknown = sorted(set(options.figure_weights) - set(figure_names))
        if unknown:
            raise errors.bad_weights(f"unknown figures {unknown}")
        raw = np.array([float(options.figure_weights.get(f, 0.0)) for f in figure_names])
        if not np.all(np.isfinite(raw)) or np.any(raw < 0):
            raise errors.bad_weights("weights must be finite and not negative")
    # A figure that is zero everywhere has no shares to weigh; it drops out.
    raw = np.where(totals > 0, raw, 0.0)
    if raw.sum() <= 0:
        raise errors.bad_weights("every weighted figure is zero in every unit")
    return np.asarray(raw / raw.sum(), dtype=np.float64)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def compile_problem(
    graph: UnitGraph, k: int, options: DesignOptions, *, check_feasibility: bool = True
) -> Problem:
    """Check the graph against `k` and the options; raise DesignInputError on bad input.

    With `check_feasibility` (for designing) it also refuses instances no contiguous plan can
    satisfy; without it (for checking a given plan) those become plan violations instead.
    """
    if not graph.units:
        raise errors.no_units()
    if k < 1:
        raise errors.bad_grid_count(k)
    index: dict[str, int] = {}
    for i, unit in enumerate(graph.units):
        if unit.id in index:
            raise errors.duplicate_unit(unit.id)
        index[unit.id] = i
    n = len(graph.units)

    figure_names = tuple(graph.units[0].figures)
    if not figure_names:
        raise errors.no_figures()
    figures = np.zeros((n, len(figure_names)))
    for i, unit in enumerate(graph.units):
        if set(unit.figures) != set(figure_names):
            raise errors.inconsistent_figures(unit.id)
        for f, name in enumerate(figure_names):
            value = float(unit.figures[name])
            if not math.isfinite(value) or value < 0:
                raise errors.bad_figure_value(unit.id, name, value)
            figures[i, f] = value
    _check_options(options, figure_names)
    totals = figures.sum(axis=0)
    weights = _figure_weights(options, figure_names, totals)
    shares = np.divide(figures, totals, out=np.zeros_like(figures), where=totals > 0)
    workload = np.asarray(shares @ weights, dtype=np.float64)

    with_xy = [u.x is not None and u.y is not None for u in graph.units]
    coords: FloatArray | None = None
    if any(with_xy):
        if not all(with_xy):
            raise errors.incomplete_coordinates(graph.units[with_xy.index(False)].id)
        coords = np.array([[float(u.x or 0.0), float(u.y or 0.0)] for u in graph.units])
        if not np.all(np.isfinite(coords)):
            raise errors.incomplete_coordinates(graph.units[0].id)

    # Edges: a pair listed several times is allowed if any listing allows it.
    unknown = sorted(({e.a for e in graph.edges} | {e.b for e in graph.edges}) - set(index))
    if unknown:
        raise errors.unknown_units("edge", unknown)
    allowed: set[tuple[int, int]] = set()
    barrier: set[tuple[int, int]] = set()
    for edge in graph.edges:
        a, b = index[edge.a], index[edge.b]
        if a == b:
            raise errors.self_loop(edge.a)
        pair = (min(a, b), max(a, b))
        if EdgeKind(edge.kind) is EdgeKind.BARRIER:
            barrier.add(pair)
        else:
            allowed.add(pair)
    barrier -= allowed
    allowed_sorted = sorted(allowed)
    edge_a = np.array([p[0] for p in allowed_sorted], dtype=np.int64)
    edge_b = np.array([p[1] for p in allowed_sorted], dtype=np.int64)
    barrier_sorted = sorted(barrier)
    barrier_a = np.array([p[0] for p in barrier_sorted], dtype=np.int64)
    barrier_b = np.array([p[1] for p in barrier_sorted], dtype=np.int64)

    # Stay-whole groups → super-units.
    groups = _UnionFind(n)
    for group in graph.stay_whole:
        missing = [u for u in group if u not in index]
        if missing:
            raise errors.unknown_units("group", missing)
        ids = [index[u] for u in group]
        for other in ids[1:]:
            groups.union(ids[0], other)
    roots = [groups.find(i) for i in range(n)]
    root_to_super: dict[int, int] = {}
    super_of = np.empty(n, dtype=np.int64)
    for i, root in enumerate(roots):
        super_of[i] = root_to_super.setdefault(root, len(root_to_super))
    m = len(root_to_super)
    member_lists: list[list[int]] = [[] for _ in range(m)]
    for i in range(n):
        member_lists[int(super_of[i])].append(i)
    members = tuple(np.array(ms, dtype=np.int64) for ms in member_lists)
    _check_groups_contiguous(members, edge_a, edge_b, n, graph)

    # Locks.
    unknown_locks = [u for u in graph.locked if u not in index]
    if unknown_locks:
        raise errors.unknown_units("lock", unknown_locks)
    locked: dict[int, int] = {}
    s_lock = np.full(m, -1, dtype=np.int64)
    lock_source: dict[int, str] = {}
    for unit_id, grid in graph.locked.items():
        grid = int(grid)
        if not 0 <= grid < k:
            raise errors.lock_out_of_range(unit_id, grid, k)
        i = index[unit_id]
        locked[i] = grid
        s = int(super_of[i])
        if s_lock[s] not in (-1, grid):
            raise errors.lock_conflict([lock_source[s], unit_id], [int(s_lock[s]), grid])
        s_lock[s] = grid
        lock_source[s] = unit_id

    # Super-unit sums and adjacency.
    s_workload = np.zeros(m)
    np.add.at(s_workload, super_of, workload)
    s_figures = np.zeros((m, len(figure_names)))
    np.add.at(s_figures, super_of, figures)
    s_coords: FloatArray | None = None
    if coords is not None:
        s_coords = np.zeros((m, 2))
        for s, ms in enumerate(members):
            w = workload[ms]
            s_coords[s] = (
                (coords[ms] * w[:, None]).sum(axis=0) / w.sum()
                if w.sum() > 0
                else coords[ms].mean(axis=0)
            )
    su, sv = super_of[edge_a], super_of[edge_b]
    between = su != sv
    lo, hi = np.minimum(su, sv)[between], np.maximum(su, sv)[between]
    keys, mult = np.unique(lo * m + hi, return_counts=True)
    s_edge_u = np.asarray(keys // m, dtype=np.int64)
    s_edge_v = np.asarray(keys % m, dtype=np.int64)
    s_edge_mult = np.asarray(mult, dtype=np.int64)
    neighbours: list[list[int]] = [[] for _ in range(m)]
    multiplicity: list[list[int]] = [[] for _ in range(m)]
    for u, v, c in zip(s_edge_u.tolist(), s_edge_v.tolist(), s_edge_mult.tolist(), strict=True):
        neighbours[u].append(v)
        neighbours[v].append(u)
        multiplicity[u].append(c)
        multiplicity[v].append(c)

    if check_feasibility and k > m:
        raise errors.too_many_grids(k, m)
    adjacency = coo_matrix((np.ones(s_edge_u.size), (s_edge_u, s_edge_v)), shape=(m, m)).tocsr()
    component_count, component_of = connected_components(adjacency, directed=False)
    if check_feasibility:
        if component_count > k:
            raise errors.disconnected(int(component_count), k)
        _check_locks_by_component(s_lock, component_of, int(component_count), k)

    return Problem(
        k=k,
        unit_ids=tuple(u.id for u in graph.units),
        index=index,
        figure_names=figure_names,
        figures=figures,
        figure_totals=totals,
        figure_weights=weights,
        workload=workload,
        coords=coords,
        edge_a=edge_a,
        edge_b=edge_b,
        barrier_a=barrier_a,
        barrier_b=barrier_b,
        locked=locked,
        super_of=super_of,
        members=members,
        s_workload=s_workload,
        s_figures=s_figures,
        s_coords=s_coords,
        s_neighbours=tuple(tuple(ns) for ns in neighbours),
        s_multiplicity=tuple(tuple(cs) for cs in multiplicity),
        s_edge_u=s_edge_u,
        s_edge_v=s_edge_v,
        s_edge_mult=s_edge_mult,
        s_lock=s_lock,
        component_of=np.asarray(component_of, dtype=np.int64),
        component_count=int(component_count),
        options=options,
    )


def _check_groups_contiguous(
    members: tuple[IntArray, ...], edge_a: IntArray, edge_b: IntArray, n: int, graph: UnitGraph
) -> None:
    big = [ms for ms in members if ms.size > 1]
    if not big:
        return
    graph_matrix = coo_matrix((np.ones(edge_a.size), (edge_a, edge_b)), shape=(n, n)).tocsr()
    for ms in big:
        sub = graph_matrix[ms][:, ms]
        count, _ = connected_components(sub, directed=False)
        if count > 1:
            raise errors.group_not_contiguous([graph.units[int(i)].id for i in ms])


def _check_locks_by_component(
    s_lock: IntArray, component_of: IntArray, component_count: int, k: int
) -> None:
    grid_component: dict[int, int] = {}
    for s in np.flatnonzero(s_lock >= 0).tolist():
        grid, comp = int(s_lock[s]), int(component_of[s])
        if grid_component.setdefault(grid, comp) != comp:
            raise errors.locks_across_parts(grid)
    sizes = np.bincount(component_of, minlength=component_count)
    locked_per_component = np.zeros(component_count, dtype=np.int64)
    for comp in grid_component.values():
        locked_per_component[comp] += 1
    for comp in range(component_count):
        if locked_per_component[comp] > sizes[comp]:
            raise errors.too_many_locked_grids(int(sizes[comp]), int(locked_per_component[comp]))
    # Every component needs a grid of its own; locked grids elsewhere cannot serve it.
    need = int(np.maximum(locked_per_component, 1).sum())
    if need > k:
        raise errors.disconnected(component_count, k)
