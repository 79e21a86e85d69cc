import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuthStore } from '@/shared/stores/auth'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import { NAV_ITEMS } from './nav'

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { public: true, titleKey: 'login.title' },
  },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      {
        path: '',
        name: 'home',
        // Sends the user to the first page they may open. This runs after the global session
        // guard (a `redirect` would run before it, when the user is not known yet).
        component: () => import('./views/ForbiddenView.vue'),
        beforeEnter: () => {
          const auth = useAuthStore()
          const first = NAV_ITEMS.find((item) => auth.canAny(...item.anyPermission))
          return { name: first ? first.route : 'forbidden' }
        },
      },
      {
        path: 'map',
        name: 'map',
        // Lazy: MapLibre (about 1 MB) loads only with this page.
        component: () => import('./views/MapView.vue'),
        meta: { titleKey: 'nav.map', anyPermission: ['map:read'] },
      },
      {
        // 警情: the list, and with an id the incident's detail beside it.
        path: 'incidents/:id(\\d+)?',
        name: 'incidents',
        component: () => import('./views/IncidentsView.vue'),
        meta: { titleKey: 'incidents.title', anyPermission: ['incidents:read'] },
      },
      {
        // 指挥集群: the list, and with an id the group's detail beside it.
        path: 'groups/:id(\\d+)?',
        name: 'command-groups',
        component: () => import('./views/CommandGroupsView.vue'),
        meta: { titleKey: 'command.nav', anyPermission: ['tracking:read'] },
      },
      {
        // 网格: a squadron's grid plans on the map (lazy: MapLibre loads with the page).
        path: 'grids',
        name: 'grids',
        component: () => import('./views/GridsView.vue'),
        meta: { titleKey: 'grids.nav', anyPermission: ['grids:read'] },
      },
      {
        // 勤务: posts, roster, presence and alone alerts (?squadron=&tab=&week=).
        path: 'duty',
        name: 'duty',
        component: () => import('./views/DutyView.vue'),
        meta: { titleKey: 'gridDuty.nav', anyPermission: ['duty:read'] },
      },
      {
        path: 'wall',
        name: 'camera-wall',
        // Lazy: hls.js loads with the first HLS tile, not with the console.
        component: () => import('./views/CameraWallView.vue'),
        meta: { titleKey: 'video.nav.wall', anyPermission: ['cameras:read'] },
      },
      {
        path: 'cameras',
        name: 'cameras',
        component: () => import('./views/CamerasView.vue'),
        meta: { titleKey: 'video.nav.admin', anyPermission: ['cameras:manage'] },
      },
      {
        path: 'people',
        name: 'people',
        component: () => import('./views/PeopleView.vue'),
        meta: { titleKey: 'nav.people', anyPermission: ['people:read'] },
      },
      {
        path: 'settings',
        name: 'settings',
        component: () => import('./views/SettingsView.vue'),
        meta: {
          titleKey: 'nav.settings',
          anyPermission: ['users:manage', 'audit:read', 'settings:read'],
        },
      },
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('./views/ForbiddenView.vue'),
        meta: { titleKey: 'errors.noAccess' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/NotFoundView.vue'),
        meta: { titleKey: 'errors.notFound' },
      },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})
