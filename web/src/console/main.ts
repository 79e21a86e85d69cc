import { createPatrolgridApp } from '@/shared/setup'
import App from './App.vue'
import { router } from './router'
import './console.css'

createPatrolgridApp({
  root: App,
  router,
  appTitleKey: 'app.title',
  forbiddenRoute: 'forbidden',
}).mount('#app')
