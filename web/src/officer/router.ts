import { createRouter, createWebHistory } from 'vue-router'
import { sessionPrimed } from './session'

export const router = createRouter({
  history: createWebHistory('/m/'),
  routes: [
    {
      path: '/login',
      name: 'login',
      component: () => import('./views/LoginView.vue'),
      meta: { public: true, titleKey: 'login.title' },
    },
    {
      path: '/',
      name: 'home',
      component: () => import('./views/HomeView.vue'),
      meta: { titleKey: 'officer.homeTitle' },
    },
    { path: '/:pathMatch(.*)*', redirect: { name: 'home' } },
  ],
})

// Registered before the shared guard (src/shared/setup.ts): let the session probe finish first,
// so that the app also opens offline with the remembered user (see session.ts).
router.beforeEach(async () => {
  await sessionPrimed
  return true
})
