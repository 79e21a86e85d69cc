"""A generated, road-like network of units for benchmarks and tests: not real geography.

Units sit on a jittered square lattice (one every `spacing` metres) with a few holes (lakes,
parks) where there are none. Adjacency is planar: a Delaunay triangulation of the points, cut down
to the short edges, then thinned like a street grid (a random spanning tree of the short edges is
always kept, so the whole is connected; every other short edge survives with `keep` probability).
Figures vary the way a county's do: registered drivers follow a few towns (Gaussian bumps over a
thin rural base, times lognormal noise), road km is lognormal, accidents are Poisson around drivers
and road km. Everything comes from `seed`, so a size and seed always give the same instance.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay

from patrolgrid.grids.design.model import Adjacency, Unit, UnitGraph

GENERATED_LABEL = "generated network (not real geography)"


def generated_network(
    n: int, *, seed: int = 0, spacing: float = 200.0, keep: float = 0.6, towns: int = 6
) -> UnitGraph:
    """`n` units (ids `g0`…) in a connected planar road-like graph with varied figures
    `road_km`, `drivers` and `accidents` and coordinates in metres."""
    if n < 3:
        raise ValueError("a generated network needs at least 3 units")
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n * 1.12)) + 1  # room for the holes
    gx, gy = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float))
    points = np.column_stack([gx.ravel(), gy.ravel()])
    for _ in range(3):  # holes: lakes and parks without units
        centre = rng.uniform(0.2 * side, 0.8 * side, size=2)
        radius = rng.uniform(0.04, 0.09) * side
        points = points[np.hypot(*(points - centre).T) > radius]
    # The n points nearest the middle, so the area is compact and its border irregular.
    middle = points.mean(axis=0)
    rim = np.hypot(*(points - middle).T) + rng.uniform(0, 1.5, size=len(points))
    points = points[np.argsort(rim, kind="stable")[:n]]
    points = (points + rng.uniform(-0.3, 0.3, size=points.shape)) * spacing

    tri = Delaunay(points)
    simplices = tri.simplices
    pairs = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    length = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    short = pairs[length < 1.25 * spacing]  # lattice streets, no diagonals across blocks
    weights = rng.random(len(short)) + 1e-6
    tree = minimum_spanning_tree(
        coo_matrix((weights, (short[:, 0], short[:, 1])), shape=(n, n))
    ).tocoo()
    rows, cols = tree.row.tolist(), tree.col.tolist()
    in_tree = {(min(a, b), max(a, b)) for a, b in zip(rows, cols, strict=True)}
    chosen = [
        (a, b)
        for (a, b), r in zip(short.tolist(), rng.random(len(short)).tolist(), strict=True)
        if (a, b) in in_tree or r < keep
    ]
    # Points the short edges do not reach (across a hole) join through their shortest edge.
    graph = coo_matrix(
        (np.ones(len(chosen)), tuple(np.array(chosen, dtype=np.int64).T)), shape=(n, n)
    )
    count, comp = connected_components(graph, directed=False)
    if count > 1:
        order = np.argsort(length)
        for a, b in pairs[order].tolist():
            if comp[a] != comp[b]:
                chosen.append((a, b))
                comp[comp == comp[b]] = comp[a]
                count -= 1
                if count == 1:
                    break

    extent = points.max(axis=0) - points.min(axis=0)
    density = np.full(n, 0.05)
    for _ in range(towns):
        centre = points.min(axis=0) + rng.uniform(0.1, 0.9, size=2) * extent
        radius = rng.uniform(0.03, 0.12) * float(extent.max())
        density += rng.uniform(0.5, 2.0) * np.exp(
            -0.5 * (np.hypot(*(points - centre).T) / radius) ** 2
        )
    drivers = np.round(density * rng.lognormal(0.0, 0.5, size=n) * 400)
    road_km = np.round(rng.lognormal(-0.3, 0.5, size=n), 2) + 0.05
    accidents = rng.poisson(0.5 + 0.02 * np.sqrt(drivers) * road_km * 10)
    units = [
        Unit(
            f"g{i}",
            {
                "road_km": float(road_km[i]),
                "drivers": float(drivers[i]),
                "accidents": float(accidents[i]),
            },
            float(points[i, 0]),
            float(points[i, 1]),
        )
        for i in range(n)
    ]
    edges = [Adjacency(f"g{a}", f"g{b}") for a, b in chosen]
    return UnitGraph(units, edges)
