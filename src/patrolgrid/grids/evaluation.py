"""Live figures of a plan against the squadron's current units: per-grid workload and each
figure's balance, contiguity, and the rules it breaks (the design engine's `evaluate_plan`), plus
what a re-import changed (units the plan no longer finds, units it gives no grid)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from patrolgrid.grids.design import DesignInputError, DesignOptions, Violation, evaluate_plan
from patrolgrid.grids.models import (
    Evaluation,
    EvaluationSummary,
    GridComparison,
    GridEvaluation,
    Label,
    Transfer,
    UnitMove,
    ViolationOut,
)
from patrolgrid.grids.units import FIGURES, UnitSet

# What stops a plan from being activated.
BLOCKING = frozenset({"not_contiguous", "crosses_barrier", "empty_grid"})


@dataclass(frozen=True)
class PlanState:
    """A plan as stored: its grids (number, name, colour), units and design parameters."""

    plan_id: int
    k: int
    grids: Sequence[tuple[int, str, str]]
    assignment: Mapping[str, int]  # unit key → grid number (1..k)
    locks: Mapping[str, int]  # unit key → the grid it is locked to
    weights: Mapping[str, float]
    tolerance: float
    barriers: Sequence[Sequence[Sequence[float]]]
    town_whole: bool

    @classmethod
    def of(
        cls,
        plan_id: int,
        k: int,
        grids: Sequence[tuple[int, str, str]],
        units: Sequence[tuple[str, int, int | None]],
        params: Mapping[str, Any],
    ) -> PlanState:
        return cls(
            plan_id=plan_id,
            k=k,
            grids=grids,
            assignment={key: grid for key, grid, _ in units},
            locks={key: locked for key, _, locked in units if locked is not None},
            weights=dict(params.get("weights") or {}),
            tolerance=float(params.get("tolerance", 0.05)),
            barriers=list(params.get("barriers") or []),
            town_whole=bool(params.get("town_whole", False)),
        )


def _message(v: Violation, names: Mapping[int, str]) -> Label:
    name = names.get(v.grid + 1, str(v.grid + 1)) if v.grid is not None else ""
    if v.code == "empty_grid":
        return Label(zh=f"网格「{name}」没有单元", en=f"Grid {name} has no units")
    if v.code == "not_contiguous":
        return Label(zh=f"网格「{name}」不连片", en=f"Grid {name} is not contiguous")
    if v.code == "crosses_barrier":
        return Label(
            zh=f"网格「{name}」只有跨越障碍(如河流)才连通,不经桥梁",
            en=f"Grid {name} is connected only across a barrier (e.g. a river), not by a bridge",
        )
    if v.code == "group_split":
        return Label(
            zh="整体保留的镇(乡)被分到了多个网格",
            en="A town that stays whole is split between grids",
        )
    return Label(zh=v.zh, en=v.en)


def evaluate(units: UnitSet, state: PlanState) -> Evaluation:
    names = {number: name for number, name, _ in state.grids}
    assignment = {
        key: grid
        for key, grid in state.assignment.items()
        if key in units.index and 1 <= grid <= state.k
    }
    vanished = sorted(key for key in state.assignment if key not in units.index)
    unassigned = [uid for uid in units.ids if uid not in assignment]
    counts = Counter(assignment.values())
    empty = _empty_evaluation(units, state, counts, vanished, unassigned)
    if not assignment:
        return empty
    subset = [units.index[key] for key in assignment]
    graph = units.graph(subset, barriers=state.barriers, town_whole=state.town_whole)
    zero_based = {key: grid - 1 for key, grid in assignment.items()}
    weights = {f: float(state.weights.get(f, 0.0)) for f in FIGURES} if state.weights else None
    try:
        plan = evaluate_plan(
            graph,
            zero_based,
            state.k,
            DesignOptions(figure_weights=weights, tolerance=state.tolerance),
        )
    except DesignInputError as exc:
        if exc.code != "grids.design.bad_weights":
            raise
        try:  # the weighted figures are all zero here: weigh every figure equally instead
            plan = evaluate_plan(
                graph, zero_based, state.k, DesignOptions(tolerance=state.tolerance)
            )
        except DesignInputError:
            return empty
    colours = {number: colour for number, _, colour in state.grids}
    grids = []
    for metrics in plan.metrics.grids:
        number = metrics.grid + 1
        grids.append(
            GridEvaluation(
                number=number,
                name=names.get(number, str(number)),
                colour=colours.get(number, "#888888"),
                units=len(metrics.units),
                workload=metrics.workload,
                workload_ratio=metrics.workload_ratio,
                deviation=metrics.workload_ratio - 1,
                figures=dict(metrics.figures),
                figure_ratios=dict(metrics.figure_ratios),
                figure_deviations={f: r - 1 for f, r in metrics.figure_ratios.items()},
                contiguous=metrics.contiguous,
                centre=metrics.centre,
            )
        )
    m = plan.metrics
    summary = EvaluationSummary(
        workload_min_ratio=m.workload_min_ratio,
        workload_max_ratio=m.workload_max_ratio,
        max_deviation=m.max_deviation,
        figure_min_ratio=dict(m.figure_min_ratio),
        figure_max_ratio=dict(m.figure_max_ratio),
        cut_edges=m.cut_edges,
        total_edges=m.total_edges,
        contiguous=m.contiguous,
        within_tolerance=m.max_deviation <= state.tolerance + 1e-9,
    )
    violations = [
        ViolationOut(
            code=v.code,
            message=_message(v, names),
            grid=None if v.grid is None else v.grid + 1,
            units=list(v.units),
        )
        for v in plan.violations
    ]
    for key, locked_to in sorted(state.locks.items()):
        placed = assignment.get(key)
        if placed is not None and placed != locked_to:
            name = names.get(locked_to, str(locked_to))
            now = names.get(placed, str(placed))
            violations.append(
                ViolationOut(
                    code="lock_violated",
                    message=Label(
                        zh=f"单元锁定在网格「{name}」,却被移到了网格「{now}」",
                        en=f"The unit is locked to grid {name} but placed in grid {now}",
                    ),
                    grid=locked_to,
                    units=[key],
                )
            )
    return empty.model_copy(update={"grids": grids, "summary": summary, "violations": violations})


def _empty_evaluation(
    units: UnitSet,
    state: PlanState,
    counts: Mapping[int, int],
    vanished: list[str],
    unassigned: list[str],
) -> Evaluation:
    zero = dict.fromkeys(FIGURES, 0.0)
    return Evaluation(
        plan_id=state.plan_id,
        k=state.k,
        tolerance=state.tolerance,
        weights=dict(state.weights),
        grids=[
            GridEvaluation(
                number=number,
                name=name,
                colour=colour,
                units=counts.get(number, 0),
                workload=0.0,
                workload_ratio=0.0,
                deviation=-1.0,
                figures=zero,
                figure_ratios={},
                figure_deviations={},
                contiguous=False,
                centre=None,
            )
            for number, name, colour in state.grids
        ],
        summary=None,
        violations=[],
        unassigned_units=unassigned,
        vanished_units=vanished,
        network_version=units.network.version,
    )


def blocking(evaluation: Evaluation) -> list[ViolationOut]:
    return [v for v in evaluation.violations if v.code in BLOCKING]


def compare(
    units: UnitSet, a: PlanState, b: PlanState, eval_a: Evaluation, eval_b: Evaluation
) -> tuple[list[UnitMove], list[Transfer], list[GridComparison]]:
    moved = []
    transfers: Counter[tuple[int | None, int | None]] = Counter()
    for key in sorted(set(a.assignment) | set(b.assignment)):
        before, after = a.assignment.get(key), b.assignment.get(key)
        if before != after:
            at = units.index.get(key)
            moved.append(
                UnitMove(
                    unit=key,
                    name=None if at is None else units.names[at],
                    from_grid=before,
                    to_grid=after,
                )
            )
            transfers[(before, after)] += 1
    grids_a = {g.number: g for g in eval_a.grids}
    grids_b = {g.number: g for g in eval_b.grids}
    rows = []
    for number in sorted(set(grids_a) | set(grids_b)):
        ga, gb = grids_a.get(number), grids_b.get(number)
        rows.append(
            GridComparison(
                number=number,
                name_a=ga.name if ga else None,
                name_b=gb.name if gb else None,
                units_a=ga.units if ga else 0,
                units_b=gb.units if gb else 0,
                workload_ratio_a=ga.workload_ratio if ga and eval_a.summary else None,
                workload_ratio_b=gb.workload_ratio if gb and eval_b.summary else None,
                figure_ratios_a=ga.figure_ratios if ga else {},
                figure_ratios_b=gb.figure_ratios if gb else {},
            )
        )
    order = sorted(transfers.items(), key=lambda item: (-item[1], str(item[0])))
    return (
        moved,
        [Transfer(from_grid=f, to_grid=t, units=n) for (f, t), n in order],
        rows,
    )
