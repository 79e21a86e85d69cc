"""The real districting instances of ../shared/data/districting/ and the measures the README
scores them by, shared by bench/districting.py and bench/grids.py.

- Carrollton, Texas: 325 police reporting areas, calls for service per area; contiguity from
  RA_ContMat.dbf (queen), where area 1333 has no pair although its polygon touches 1326, so that
  one pair is added. Coordinates are NAD83 Texas North Central in US survey feet (the .prj),
  converted to metres. Compactness = call-weighted straight-line km (each area's calls × km from
  its centroid to the centroid of its grid's centre area, the centre being the grid's area that
  minimises that sum), computed here independently of the engine. The city's current beats are
  scored the same way (beat 0's five areas go to the nearest beat centre), which reproduces the
  README's 148,743.
- Validi & Buchanan's county graphs: TOTPOP within ±0.5%, fewest cut edges, proven optima.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapefile  # pyshp, a dev dependency: the product never reads these files

from patrolgrid.grids.design import Adjacency, Plan, Unit, UnitGraph

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "districting"
FOOT_US = 0.3048006096012192  # metres per US survey foot
VALIDI = [  # file, state, grids, proven optimal cut edges
    ("county05", "Arkansas", 4, 33),
    ("county19", "Iowa", 4, 33),
    ("county20", "Kansas", 4, 32),
    ("county31", "Nebraska", 3, 19),
]


@dataclass
class Carrollton:
    graph: UnitGraph
    calls: np.ndarray
    xy_km: np.ndarray
    index: dict[str, int]
    beats: np.ndarray


def load_carrollton() -> Carrollton:
    folder = DATA / "carrollton"
    with open(folder / "RA_Centroids.dbf", "rb") as dbf:
        records = [r.as_dict() for r in shapefile.Reader(dbf=dbf).records()]
    with open(folder / "RA_ContMat.dbf", "rb") as dbf:
        pairs = [r.as_dict() for r in shapefile.Reader(dbf=dbf).records()]
    units = [
        Unit(
            str(int(r["NumberId"])),
            {"calls": float(r["Cnt_ra"])},
            r["XFeet"] * FOOT_US,
            r["YFeet"] * FOOT_US,
        )
        for r in records
    ]
    edges = [Adjacency(str(int(p["NUMBERID"])), str(int(p["NID"]))) for p in pairs]
    edges.append(Adjacency("1333", "1326"))
    return Carrollton(
        graph=UnitGraph(units, edges),
        calls=np.array([u.figures["calls"] for u in units]),
        xy_km=np.array([[u.x, u.y] for u in units], dtype=float) / 1000,
        index={u.id: i for i, u in enumerate(units)},
        beats=np.array([int(r["BEATNUMBER"]) for r in records]),
    )


def call_weighted_km(
    data: Carrollton, labels: np.ndarray, unplaced: np.ndarray | None = None
) -> float:
    """The README's measure, computed here independently of the engine's metrics."""
    xy, calls = data.xy_km, data.calls
    total, centres = 0.0, []
    for g in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == g)
        d = np.hypot(*(xy[members][:, None, :] - xy[members][None, :, :]).transpose(2, 0, 1))
        cost = calls[members] @ d
        total += float(cost.min())
        centres.append(members[int(np.argmin(cost))])
    if unplaced is not None and unplaced.size:
        d = np.hypot(*(xy[unplaced][:, None, :] - xy[centres][None, :, :]).transpose(2, 0, 1))
        total += float(calls[unplaced] @ d.min(axis=1))
    return total


def load_ratios(weights: np.ndarray, labels: np.ndarray, k: int) -> tuple[float, float]:
    loads = np.bincount(labels, weights=weights, minlength=k)
    return float(loads.min() / loads.mean()), float(loads.max() / loads.mean())


def load_validi(name: str) -> UnitGraph:
    data = json.loads((DATA / "validi" / f"{name}.json").read_text())
    nodes = data["nodes"]
    units = [Unit(str(n["id"]), {"population": float(n["TOTPOP"])}) for n in nodes]
    edges = [
        Adjacency(str(node["id"]), str(nb["id"]))
        for node, nbs in zip(nodes, data["adjacency"], strict=True)
        for nb in nbs
        if node["id"] < nb["id"]
    ]
    return UnitGraph(units, edges)


def city_beats(data: Carrollton) -> tuple[float, float, float]:
    """The city's current beats scored by the README's measures: (min, max) load × mean and
    call-weighted km."""
    labelled = data.beats > 0
    current = np.where(labelled, data.beats - 1, -1)
    km = call_weighted_km(data, current, np.flatnonzero(~labelled))
    lo, hi = load_ratios(data.calls[labelled], current[labelled], 12)
    return lo, hi, km


def labels_of(plan: Plan, graph: UnitGraph) -> np.ndarray:
    """A plan's grid per unit, in the graph's unit order."""
    return np.array([plan.assignment[u.id] for u in graph.units])
