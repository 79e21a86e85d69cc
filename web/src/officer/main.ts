import { createPatrolgridApp } from '@/shared/setup'
import App from './App.vue'
import { router } from './router'
import './officer.css'

createPatrolgridApp({ root: App, router, appTitleKey: 'app.officerTitle' }).mount('#app')
