import { createRouter, createWebHistory } from 'vue-router'
import { homeOf, session } from './auth/session'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => homeOf(session.user) },
    { path: '/login', component: () => import('./views/LoginView.vue') },
    { path: '/callback', component: () => import('./views/CallbackView.vue') },
    { path: '/resident', component: () => import('./views/ResidentView.vue'), meta: { roles: ['resident'] } },
    {
      path: '/clinician',
      component: () => import('./views/ClinicianView.vue'),
      meta: { roles: ['clinician', 'family-doctor', 'elder-care', 'admin'] },
    },
    { path: '/registry', component: () => import('./views/RegistryView.vue'), meta: { roles: ['admin'] } },
    { path: '/admin', component: () => import('./views/AdminView.vue'), meta: { roles: ['admin'] } },
    { path: '/audit', component: () => import('./views/AuditView.vue'), meta: { roles: ['admin'] } },
    { path: '/dashboard', component: () => import('./views/DashboardView.vue'), meta: { roles: ['regulator'] } },
    { path: '/none', component: () => import('./views/NoScreenView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

// Screens other than sign-in need a session; the user's place is kept for after it.
router.beforeEach((to) => {
  if (to.path === '/login' || to.path === '/callback') return true
  if (!session.user) return { path: '/login', query: { returnTo: to.fullPath } }
  const roles = to.meta.roles as string[] | undefined
  if (roles && !roles.includes(session.user.role)) return homeOf(session.user)
  return true
})
