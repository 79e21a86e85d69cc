"""What goes into a grid design and what comes out: plain frozen dataclasses, no database.

A unit is a base unit of the squadron's area (a road segment in town, a township outside) with its
figures (road km, registered drivers, accidents, difficulty, police strength: any named numbers).
Grids are numbered 0..k-1; locks and plans use those numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol


class EdgeKind(StrEnum):
    """How two adjacent units touch.

    normal: a grid may run across it. barrier: a grid may not (a river bank, a motorway without a
    crossing): two units that only touch across barriers do not make a contiguous grid. bridge:
    crosses a barrier and may be used (a bridge, an underpass).
    """

    NORMAL = "normal"
    BARRIER = "barrier"
    BRIDGE = "bridge"


@dataclass(frozen=True, slots=True)
class Unit:
    """One base unit. `x`/`y` are planar coordinates in metres (project WGS-84 first), used for
    compactness by distance; give them for every unit or for none."""

    id: str
    figures: Mapping[str, float]
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True, slots=True)
class Adjacency:
    a: str
    b: str
    kind: EdgeKind = EdgeKind.NORMAL


@dataclass(frozen=True)
class UnitGraph:
    """The input: units, their adjacencies, groups that must stay whole, and hand-made locks.

    `stay_whole`: each group's units end in one grid (a town stays whole); groups that share a unit
    are merged. `locked`: unit id → grid number, fixed by hand.
    """

    units: Sequence[Unit]
    edges: Sequence[Adjacency]
    stay_whole: Sequence[Sequence[str]] = ()
    locked: Mapping[str, int] = field(default_factory=dict)


Method = Literal["auto", "heuristic", "exact"]


@dataclass(frozen=True)
class DesignOptions:
    """How to weigh balance against compactness, and how long to search.

    - `figure_weights`: weight of each figure's share in a unit's workload (missing figures weigh
      0; None = every figure weighs the same). Workload of a unit = Σ weight × (unit's figure /
      squadron total of that figure), with the weights scaled to sum to 1.
    - `tolerance`: each grid's workload should lie within mean × (1 ± tolerance). The search first
      brings every grid inside the band (or as close as the units allow), then improves
      compactness without leaving it.
    - `figure_tolerances`: optional bands for single figures (e.g. {"officers": 0.2}), held the
      same way as the workload band.
    - `cut_edge_weight`, `distance_weight`: compactness = cut_edge_weight × (cut adjacencies / all
      adjacencies) + distance_weight × (workload-weighted distance from each unit to its grid's
      centre unit / the same to the whole area's centre). Distance needs coordinates.
    - `balance_weight`: a small pull towards equal workloads inside the band (squared deviation).
    - `time_limit_s`: wall-clock budget; `max_rounds`/`patience`: the heuristic stops after that
      many improvement rounds, or that many in a row without improvement (deterministic with a
      seed when it stops by rounds, not by the clock).
    """

    figure_weights: Mapping[str, float] | None = None
    tolerance: float = 0.05
    figure_tolerances: Mapping[str, float] = field(default_factory=dict)
    cut_edge_weight: float = 1.0
    distance_weight: float = 1.0
    balance_weight: float = 0.05
    seed: int = 0
    time_limit_s: float = 30.0
    max_rounds: int = 4000
    patience: int = 300
    method: Method = "auto"


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported to the progress callback during a long run."""

    method: str
    phase: str
    iteration: int
    best_objective: float
    best_excess: float  # total workload outside the tolerance bands; 0 when all grids are inside
    elapsed_s: float


ProgressCallback = Callable[[Progress], None]


class CancelToken(Protocol):
    """Anything with `is_set()`: a `threading.Event` works. When set, the run stops and returns
    the best plan found so far."""

    def is_set(self) -> bool: ...


def new_cancel_token() -> threading.Event:
    return threading.Event()


@dataclass(frozen=True, slots=True)
class GridMetrics:
    grid: int
    units: tuple[str, ...]
    workload: float  # share of the squadron's total workload (all grids sum to 1)
    workload_ratio: float  # workload ÷ mean workload per grid
    figures: Mapping[str, float]  # each figure's total in this grid
    figure_ratios: Mapping[str, float]  # each figure's total ÷ that figure's mean per grid
    contiguous: bool
    centre: str | None  # the unit minimising workload-weighted distance (needs coordinates)
    weighted_distance: float | None  # Σ unit workload × metres to the centre


@dataclass(frozen=True, slots=True)
class PlanMetrics:
    grids: tuple[GridMetrics, ...]
    workload_min_ratio: float
    workload_max_ratio: float
    max_deviation: float  # max |workload ratio - 1| over the grids
    figure_min_ratio: Mapping[str, float]
    figure_max_ratio: Mapping[str, float]
    cut_edges: int  # adjacencies (normal or bridge) whose two units are in different grids
    total_edges: int  # adjacencies (normal or bridge)
    weighted_distance: float | None  # Σ over grids; metres × share of workload
    contiguous: bool


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule a plan breaks. `code`: unassigned_unit, unknown_unit, grid_out_of_range,
    empty_grid, not_contiguous, crosses_barrier, lock_violated, group_split."""

    code: str
    zh: str
    en: str
    units: tuple[str, ...] = ()
    grid: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A designed (or hand-edited and evaluated) plan."""

    k: int
    assignment: Mapping[str, int]  # unit id → grid number
    metrics: PlanMetrics
    violations: tuple[Violation, ...]
    method: str
    objective: float  # compactness + balance pull, as the search scored it (lower is better)
    excess: float  # workload outside the tolerance bands (0 = every grid inside)
    iterations: int
    elapsed_s: float
    stopped_early: bool  # cancelled or out of time before the search finished
    proven_optimal: bool = False
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.violations
