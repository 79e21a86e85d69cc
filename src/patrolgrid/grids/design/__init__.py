"""Automatic grid design (issue #7): partition a squadron's units into contiguous, balanced,
compact grids. Pure numpy/scipy, no database; see docs/grids.md for the model and the measured
comparison of the approaches."""

from patrolgrid.grids.design.engine import design_grids, evaluate_plan, validate_plan
from patrolgrid.grids.design.errors import DesignInputError
from patrolgrid.grids.design.model import (
    Adjacency,
    CancelToken,
    DesignOptions,
    EdgeKind,
    GridMetrics,
    Plan,
    PlanMetrics,
    Progress,
    ProgressCallback,
    Unit,
    UnitGraph,
    Violation,
    new_cancel_token,
)

__all__ = [
    "Adjacency",
    "CancelToken",
    "DesignInputError",
    "DesignOptions",
    "EdgeKind",
    "GridMetrics",
    "Plan",
    "PlanMetrics",
    "Progress",
    "ProgressCallback",
    "Unit",
    "UnitGraph",
    "Violation",
    "design_grids",
    "evaluate_plan",
    "new_cancel_token",
    "validate_plan",
]
