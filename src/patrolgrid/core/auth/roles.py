"""Roles and what each may do. Every endpoint names one permission; a role grants a set.

Domains add their permissions here as they arrive, so the whole policy reads in one place.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    commander = "commander"
    operator = "operator"
    officer = "officer"  # 路警 (民警)
    auxiliary = "auxiliary"  # 路员 (辅警/公益岗位)
    legal = "legal"  # 法制员
    supervisor = "supervisor"  # 督察
    leader = "leader"  # 领导


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("系统管理员", "Administrator"),
    Role.commander: ("指挥长", "Commander"),
    Role.operator: ("值班员", "Operator"),
    Role.officer: ("路警", "Officer"),
    Role.auxiliary: ("路员", "Auxiliary"),
    Role.legal: ("法制员", "Legal officer"),
    Role.supervisor: ("督察", "Supervisor"),
    Role.leader: ("领导", "Leader"),
}


class Perm(StrEnum):
    people_read = "people:read"
    people_write = "people:write"
    users_manage = "users:manage"
    audit_read = "audit:read"
    settings_read = "settings:read"
    settings_write = "settings:write"
    realtime = "realtime:connect"
    self_read = "self:read"  # one's own account and person card
    map_read = "map:read"  # road network, areas, routing
    tracking_read = "tracking:read"  # everyone's live position, status and history
    devices_manage = "devices:manage"  # register and bind tracking devices
    cameras_read = "cameras:read"  # the camera registry, its streams, the camera wall
    cameras_manage = "cameras:manage"  # add, edit, import and delete cameras
    incidents_read = "incidents:read"  # every incident, its timeline and the response metrics
    incidents_dispatch = "incidents:dispatch"  # receive incidents, dispatch, reassign, close
    incidents_respond = "incidents:respond"  # report from the field, answer one's own dispatches
    sos_raise = "sos:raise"  # press SOS in the officer app, answer a colleague's SOS
    sos_handle = "sos:handle"  # acknowledge and resolve an SOS
    groups_command = "groups:command"  # form, run and close any command group
    grids_read = "grids:read"  # grid plans, units, figures, design jobs
    grids_manage = "grids:manage"  # territories, figures, design, edit and activate grid plans
    duty_read = "duty:read"  # posts, shifts, rosters, presence and alone alerts
    duty_manage = "duty:manage"  # post people to grids, edit shifts and rosters


_EVERYONE = {Perm.self_read, Perm.realtime, Perm.settings_read, Perm.map_read}
_DESK = _EVERYONE | {
    Perm.people_read,
    Perm.tracking_read,
    Perm.cameras_read,
    Perm.incidents_read,
    Perm.grids_read,
    Perm.duty_read,
}
_FIELD = _EVERYONE | {Perm.incidents_respond, Perm.sos_raise}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.admin: frozenset(Perm),
    Role.commander: frozenset(
        _DESK
        | {
            Perm.people_write,
            Perm.audit_read,
            Perm.devices_manage,
            Perm.cameras_manage,
            Perm.incidents_dispatch,
            Perm.sos_handle,
            Perm.groups_command,
            Perm.grids_manage,
            Perm.duty_manage,
        }
    ),
    Role.operator: frozenset(
        _DESK | {Perm.incidents_dispatch, Perm.sos_handle, Perm.groups_command}
    ),
    Role.officer: frozenset(_FIELD),
    Role.auxiliary: frozenset(_FIELD),
    Role.legal: frozenset(_EVERYONE | {Perm.people_read}),
    Role.supervisor: frozenset(_DESK | {Perm.audit_read}),
    Role.leader: frozenset(_DESK | {Perm.audit_read, Perm.sos_handle}),
}
