import { Bell, Camera, ChatDotRound, MapLocation, Monitor, Setting, UserFilled } from '@element-plus/icons-vue'
import { Grid } from '@element-plus/icons-vue'
import { Calendar } from '@element-plus/icons-vue'
import type { Component } from 'vue'
import type { Permission } from '@/shared/types'

export interface NavItem {
  route: string
  path: string
  labelKey: string
  icon: Component
  testId: string
  /** Shown when the user has at least one of these. */
  anyPermission: Permission[]
}

/**
 * The console's navigation. The first item a user may open is their landing page after login
 * (the map for everyone with `map:read`). Later issues add incidents, grids, duty and more.
 */
export const NAV_ITEMS: NavItem[] = [
  {
    route: 'map',
    path: '/map',
    labelKey: 'nav.map',
    icon: MapLocation,
    testId: 'nav-map',
    anyPermission: ['map:read'],
  },
  {
    route: 'incidents',
    path: '/incidents',
    labelKey: 'incidents.title',
    icon: Bell,
    testId: 'nav-incidents',
    anyPermission: ['incidents:read'],
  },
  {
    // 指挥集群: on-scene command groups (docs/command.md).
    route: 'command-groups',
    path: '/groups',
    labelKey: 'command.nav',
    icon: ChatDotRound,
    testId: 'nav-groups',
    anyPermission: ['tracking:read'],
  },
  {
    // 网格: grid plans, their design, hand edits and activation (docs/grids.md).
    route: 'grids',
    path: '/grids',
    labelKey: 'grids.nav',
    icon: Grid,
    testId: 'nav-grids',
    anyPermission: ['grids:read'],
  },
  {
    // 勤务: posts, the weekly roster, 见警率/管事率 and alone alerts (docs/duty.md).
    route: 'duty',
    path: '/duty',
    labelKey: 'gridDuty.nav',
    icon: Calendar,
    testId: 'nav-duty',
    anyPermission: ['duty:read'],
  },
  {
    route: 'camera-wall',
    path: '/wall',
    labelKey: 'video.nav.wall',
    icon: Monitor,
    testId: 'nav-wall',
    anyPermission: ['cameras:read'],
  },
  {
    route: 'people',
    path: '/people',
    labelKey: 'nav.people',
    icon: UserFilled,
    testId: 'nav-people',
    anyPermission: ['people:read'],
  },
  {
    route: 'cameras',
    path: '/cameras',
    labelKey: 'video.nav.admin',
    icon: Camera,
    testId: 'nav-cameras',
    anyPermission: ['cameras:manage'],
  },
  {
    route: 'settings',
    path: '/settings',
    labelKey: 'nav.settings',
    icon: Setting,
    testId: 'nav-settings',
    anyPermission: ['users:manage', 'audit:read', 'settings:read'],
  },
]
