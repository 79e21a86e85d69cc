"""Entry points: design a plan, evaluate or validate any plan (for hand edits)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from patrolgrid.grids.design import errors
from patrolgrid.grids.design.exact import EXACT_MAX_UNITS, ExactSearch
from patrolgrid.grids.design.heuristic import HeuristicSearch
from patrolgrid.grids.design.metrics import plan_metrics, plan_violations
from patrolgrid.grids.design.model import (
    CancelToken,
    DesignOptions,
    Plan,
    ProgressCallback,
    UnitGraph,
    Violation,
)
from patrolgrid.grids.design.problem import IntArray, Problem, compile_problem


def design_grids(
    graph: UnitGraph,
    k: int,
    options: DesignOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Plan:
    """Partition the units into k contiguous, balanced, compact grids.

    Raises DesignInputError (an AppError, HTTP 422) on bad input. A run stopped through `cancel`
    or by `options.time_limit_s` returns the best plan found so far with `stopped_early` set.
    """
    options = options or DesignOptions()
    started = time.monotonic()
    problem = compile_problem(graph, k, options)
    # `auto` is the heuristic: measured on every real instance it matched or beat the exact
    # model, which only finishes on small ones (docs/grids.md). `exact` is there to prove a
    # small plan optimal.
    if options.method == "exact":
        if problem.m > EXACT_MAX_UNITS:
            raise errors.instance_too_large(problem.m, EXACT_MAX_UNITS)
        exact = ExactSearch(problem, progress, cancel, started).run()
        if exact.labels is not None:
            return _plan(
                problem,
                exact.labels,
                method="exact",
                objective=exact.objective,
                excess=exact.excess,
                iterations=exact.iterations,
                started=started,
                stopped_early=exact.stopped_early,
                proven_optimal=exact.proven_optimal,
                notes=exact.notes,
            )
        # No contiguous plan from the model (out of time, cancelled, or the band is infeasible
        # with these units): the heuristic still gives the user a plan, and says so.
        notes = (*exact.notes, "the plan is the heuristic's")
        if cancel is not None and cancel.is_set():
            problem = replace(problem, options=replace(options, max_rounds=0))
        else:
            spare = max(options.time_limit_s - (time.monotonic() - started), 5.0)
            problem = replace(problem, options=replace(options, time_limit_s=spare))
        fallback = HeuristicSearch(problem, progress, None, time.monotonic()).run()
        return _plan(
            problem,
            fallback.labels,
            method="heuristic",
            objective=fallback.objective,
            excess=fallback.excess,
            iterations=exact.iterations + fallback.rounds,
            started=started,
            stopped_early=True,
            notes=notes,
        )
    result = HeuristicSearch(problem, progress, cancel, started).run()
    return _plan(
        problem,
        result.labels,
        method="heuristic",
        objective=result.objective,
        excess=result.excess,
        iterations=result.rounds,
        started=started,
        stopped_early=result.stopped_early,
    )


def _plan(
    problem: Problem,
    super_labels: IntArray,
    *,
    method: str,
    objective: float,
    excess: float,
    iterations: int,
    started: float,
    stopped_early: bool,
    proven_optimal: bool = False,
    notes: tuple[str, ...] = (),
) -> Plan:
    labels = super_labels[problem.super_of]
    return Plan(
        k=problem.k,
        assignment={uid: int(g) for uid, g in zip(problem.unit_ids, labels.tolist(), strict=True)},
        metrics=plan_metrics(problem, labels),
        violations=tuple(plan_violations(problem, labels)),
        method=method,
        objective=objective,
        excess=excess,
        iterations=iterations,
        elapsed_s=time.monotonic() - started,
        stopped_early=stopped_early,
        proven_optimal=proven_optimal,
        notes=notes,
    )


def _labels_from(
    problem: Problem, assignment: Mapping[str, int]
) -> tuple[IntArray, list[Violation]]:
    unknown = sorted(u for u in assignment if u not in problem.index)
    if unknown:
        raise errors.unknown_units("plan", unknown)
    labels = np.full(problem.n, -1, dtype=np.int64)
    out: list[Violation] = []
    for uid, grid in assignment.items():
        if not 0 <= int(grid) < problem.k:
            out.append(
                Violation(
                    "grid_out_of_range",
                    f"单元 {uid} 的网格编号 {grid} 超出 0 到 {problem.k - 1}",
                    f"Unit {uid} has grid {grid}, outside 0 to {problem.k - 1}",
                    (uid,),
                    int(grid),
                )
            )
            continue
        labels[problem.index[uid]] = int(grid)
    missing = [problem.unit_ids[int(i)] for i in np.flatnonzero(labels < 0)]
    if missing:
        out.append(
            Violation(
                "unassigned_unit",
                f"{len(missing)} 个单元未分配网格",
                f"{len(missing)} units have no grid",
                tuple(missing),
            )
        )
    return labels, out


def validate_plan(graph: UnitGraph, assignment: Mapping[str, int], k: int) -> list[Violation]:
    """Every rule a plan breaks (for hand-edited plans): units without a grid or with a grid
    number out of range, empty grids, grids not contiguous or only contiguous across a barrier,
    locks not respected, stay-whole groups split. An empty list means the plan is valid."""
    problem = compile_problem(graph, k, DesignOptions(), check_feasibility=False)
    labels, out = _labels_from(problem, assignment)
    if out:
        return out
    return plan_violations(problem, labels)


def evaluate_plan(
    graph: UnitGraph,
    assignment: Mapping[str, int],
    k: int,
    options: DesignOptions | None = None,
) -> Plan:
    """Metrics and violations of any complete plan (for live recomputation while editing).

    Raises DesignInputError if a unit has no grid (metrics need every unit placed)."""
    options = options or DesignOptions()
    started = time.monotonic()
    problem = compile_problem(graph, k, options, check_feasibility=False)
    labels, out = _labels_from(problem, assignment)
    if out:
        missing = [u for v in out for u in v.units]
        raise errors.plan_incomplete(missing)
    return Plan(
        k=k,
        assignment={uid: int(g) for uid, g in zip(problem.unit_ids, labels.tolist(), strict=True)},
        metrics=plan_metrics(problem, labels),
        violations=tuple(plan_violations(problem, labels)),
        method="manual",
        objective=float("nan"),
        excess=_excess(problem, labels),
        iterations=0,
        elapsed_s=time.monotonic() - started,
        stopped_early=False,
    )


def _excess(problem: Problem, labels: IntArray) -> float:
    k = problem.k
    load = np.bincount(labels, weights=problem.workload, minlength=k) * k
    excess = float(np.maximum(0, np.abs(load - 1) - problem.options.tolerance).sum())
    for name, band in problem.options.figure_tolerances.items():
        f = problem.figure_names.index(name)
        if problem.figure_totals[f] > 0:
            sums = np.bincount(labels, weights=problem.figures[:, f], minlength=k)
            ratio = sums / (problem.figure_totals[f] / k)
            excess += float(np.maximum(0, np.abs(ratio - 1) - band).sum())
    return excess
