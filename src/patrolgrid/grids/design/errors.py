"""Bad input to the grid-design engine: one AppError subclass, one stable code per cause."""

from __future__ import annotations

from typing import Any

from patrolgrid.core.errors import AppError


class DesignInputError(AppError):
    """A unit graph or option set the engine cannot design grids from. Renders as HTTP 422.

    `code` is one of the `grids.design.*` codes below; `details` names the offending units, grids
    or figures where there are some, so a console can point at them.
    """

    def __init__(self, code: str, zh: str, en: str, details: Any = None) -> None:
        super().__init__(422, f"grids.design.{code}", zh, en, details)


def no_units() -> DesignInputError:
    return DesignInputError("no_units", "没有可划分的单元", "There are no units to divide")


def bad_grid_count(k: int) -> DesignInputError:
    return DesignInputError(
        "bad_grid_count", "网格数必须至少为 1", "The number of grids must be at least 1", {"k": k}
    )


def too_many_grids(k: int, units: int) -> DesignInputError:
    return DesignInputError(
        "too_many_grids",
        f"网格数 {k} 多于可划分的单元数 {units}（整体保留的镇街算作一个单元）",
        f"{k} grids requested but only {units} units can be placed "
        "(a group that stays whole counts as one unit)",
        {"k": k, "units": units},
    )


def duplicate_unit(unit_id: str) -> DesignInputError:
    return DesignInputError(
        "duplicate_unit", f"单元 {unit_id} 重复出现", f"Unit {unit_id} appears twice", [unit_id]
    )


def unknown_units(where: str, unit_ids: list[str]) -> DesignInputError:
    where_zh = {"edge": "邻接关系", "group": "整体保留组", "lock": "锁定", "plan": "方案"}[where]
    return DesignInputError(
        "unknown_unit",
        f"{where_zh}引用了不存在的单元：{', '.join(unit_ids[:5])}",
        f"The {where} refers to unknown units: {', '.join(unit_ids[:5])}",
        unit_ids,
    )


def self_loop(unit_id: str) -> DesignInputError:
    return DesignInputError(
        "self_loop",
        f"单元 {unit_id} 不能与自身相邻",
        f"Unit {unit_id} cannot be adjacent to itself",
        [unit_id],
    )


def no_figures() -> DesignInputError:
    return DesignInputError(
        "no_figures",
        "单元没有任何工作量指标（里程、驾驶人、事故等）",
        "The units carry no workload figures (road km, drivers, accidents...)",
    )


def inconsistent_figures(unit_id: str) -> DesignInputError:
    return DesignInputError(
        "inconsistent_figures",
        f"单元 {unit_id} 的指标与其他单元不一致",
        f"Unit {unit_id} does not carry the same figures as the others",
        [unit_id],
    )


def bad_figure_value(unit_id: str, figure: str, value: float) -> DesignInputError:
    return DesignInputError(
        "bad_figure_value",
        f"单元 {unit_id} 的指标 {figure} 为 {value}：指标必须是非负的有限数",
        f"Unit {unit_id} has {figure} = {value}: figures must be finite and not negative",
        {"unit": unit_id, "figure": figure, "value": value},
    )


def bad_weights(detail: str) -> DesignInputError:
    return DesignInputError(
        "bad_weights",
        f"指标权重无效：{detail}",
        f"Invalid figure weights: {detail}",
        {"reason": detail},
    )


def bad_option(name: str, value: object, rule_zh: str, rule_en: str) -> DesignInputError:
    return DesignInputError(
        "bad_option",
        f"参数 {name} = {value} 无效：{rule_zh}",
        f"Option {name} = {value} is invalid: {rule_en}",
        {"option": name, "value": str(value)},
    )


def incomplete_coordinates(unit_id: str) -> DesignInputError:
    return DesignInputError(
        "incomplete_coordinates",
        f"单元 {unit_id} 缺少坐标：要么所有单元都有坐标，要么都没有",
        f"Unit {unit_id} has no coordinates: give coordinates for every unit or for none",
        [unit_id],
    )


def group_not_contiguous(unit_ids: list[str]) -> DesignInputError:
    return DesignInputError(
        "group_not_contiguous",
        "整体保留组内的单元彼此不连通（经允许通行的邻接），无法放进同一个连片网格",
        "The units of a stay-whole group are not connected to each other through allowed "
        "adjacencies, so they cannot form part of one contiguous grid",
        unit_ids,
    )


def lock_out_of_range(unit_id: str, grid: int, k: int) -> DesignInputError:
    return DesignInputError(
        "lock_out_of_range",
        f"单元 {unit_id} 锁定在网格 {grid}，但网格编号只能是 0 到 {k - 1}",
        f"Unit {unit_id} is locked to grid {grid}, but grids are numbered 0 to {k - 1}",
        {"unit": unit_id, "grid": grid, "k": k},
    )


def lock_conflict(unit_ids: list[str], grids: list[int]) -> DesignInputError:
    return DesignInputError(
        "lock_conflict",
        "同一整体保留组内的单元被锁定到了不同网格",
        "Units of one stay-whole group are locked to different grids",
        {"units": unit_ids, "grids": grids},
    )


def disconnected(components: int, k: int) -> DesignInputError:
    return DesignInputError(
        "disconnected",
        f"单元分成 {components} 个互不相连的部分，多于网格数 {k}，无法划成连片网格",
        f"The units fall into {components} parts with no allowed adjacency between them, more "
        f"than the {k} grids: they cannot be divided into contiguous grids",
        {"components": components, "k": k},
    )


def locks_across_parts(grid: int) -> DesignInputError:
    return DesignInputError(
        "locks_across_parts",
        f"锁定到网格 {grid} 的单元位于互不相连的区域，该网格无法连片",
        f"The units locked to grid {grid} lie in parts with no allowed adjacency between them, "
        "so that grid cannot be contiguous",
        {"grid": grid},
    )


def too_many_locked_grids(part_units: int, grids: int) -> DesignInputError:
    return DesignInputError(
        "too_many_locked_grids",
        "锁定的网格数超过了所在区域能容纳的网格数",
        "More grids are locked inside one part of the area than that part can hold",
        {"part_units": part_units, "grids": grids},
    )


def locks_unsatisfiable(grids: list[int]) -> DesignInputError:
    return DesignInputError(
        "locks_unsatisfiable",
        "锁定的单元无法都放进连片的网格：某个网格的锁定单元被其他网格的锁定单元隔开了",
        "The locked units cannot all sit in contiguous grids: units locked to one grid are "
        "walled off from each other by units locked to another",
        {"grids": grids},
    )


def plan_incomplete(missing: list[str]) -> DesignInputError:
    return DesignInputError(
        "plan_incomplete",
        f"方案没有为 {len(missing)} 个单元指定网格",
        f"The plan gives no grid for {len(missing)} units",
        missing,
    )


def instance_too_large(units: int, limit: int) -> DesignInputError:
    return DesignInputError(
        "instance_too_large",
        f"精确求解最多支持 {limit} 个单元，本例有 {units} 个：请用启发式方法",
        f"The exact solver takes at most {limit} units and this instance has {units}: "
        "use the heuristic",
        {"units": units, "limit": limit},
    )
