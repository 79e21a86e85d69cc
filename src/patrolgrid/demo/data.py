"""The demo organisation. Every name and number here is generated: it describes no real
person. The brigade is named after Yunyang because the product is modelled on its reform."""

from __future__ import annotations

from patrolgrid.core.auth.roles import Role
from patrolgrid.org.models import PersonKind

BRIGADE_NAME = "云阳县公安局交巡警大队(演示)"
BRIGADE_CODE = "YY-DEMO"

SQUADRONS: list[tuple[str, str]] = [
    ("城区一中队", "SQ01"),
    ("城区二中队", "SQ02"),
    ("滨江中队", "SQ03"),
    ("高速公路中队", "SQ04"),
    ("农村片区中队", "SQ05"),
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "晓东",
    "海燕",
    "德明",
    "永红",
    "国庆",
    "文斌",
    "春梅",
    "小龙",
    "思远",
    "子豪",
    "雨涵",
    "俊杰",
    "嘉怡",
    "浩然",
    "晨曦",
]

POSTS: dict[PersonKind, list[str]] = {
    PersonKind.police: ["网格路警", "网格路警", "网格路警", "中队长", "副中队长", "执法岗"],
    PersonKind.auxiliary: ["巡逻", "巡逻", "纠违", "纠违", "岗位", "高峰岗", "夜巡"],
    PersonKind.public_welfare: ["文明劝导", "路口协勤"],
}

# Which demo areas each squadron works in (by squadron code): its territory for grid design,
# and where the simulator's patrols go. Towns joined by a road share a squadron where they can
# (黄石–龙角), so that their grids can be contiguous; the expressway squadron has the towns at
# the ends of the riverside expressway (江口, 红狮) and the road south-east (故陵).
SQUADRON_AREAS: dict[str, tuple[str, ...]] = {
    "SQ01": ("青龙街道",),
    "SQ02": ("双江街道",),
    "SQ03": ("人和街道", "盘龙街道"),
    "SQ04": ("江口镇", "红狮镇", "故陵镇"),
    "SQ05": ("黄石镇", "龙角镇", "凤鸣镇", "南溪镇", "清水土家族乡"),
}
# Grids per squadron in the demo's designed plan (at most one per police officer: one 路警 each).
DEMO_GRIDS: dict[str, int] = {"SQ01": 4, "SQ02": 4, "SQ03": 3, "SQ04": 3, "SQ05": 4}

# Per squadron: police, auxiliaries, public-welfare staff.
STRENGTH: list[tuple[int, int, int]] = [(5, 10, 3), (5, 10, 3), (4, 8, 2), (3, 6, 0), (4, 6, 4)]

DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed at start and in the README, demo only


def generated_name(index: int) -> str:
    return _SURNAMES[(index * 7) % len(_SURNAMES)] + _GIVEN[(index * 11) % len(_GIVEN)]


def generated_mobile(index: int) -> str:
    return f"1390000{index:04d}"


# username, display name, role, badge number of the person the account belongs to (if any)
USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin", "系统管理员", Role.admin, None),
    ("commander", "指挥长 周建华", Role.commander, None),
    ("operator", "值班员 林晓东", Role.operator, None),
    ("officer", "路警", Role.officer, "P01001"),
    ("auxiliary", "路员", Role.auxiliary, "A01001"),
    ("legal", "法制员 许文斌", Role.legal, None),
    ("supervisor", "督察 郑海燕", Role.supervisor, None),
    ("leader", "大队长 曾国庆", Role.leader, None),
]
