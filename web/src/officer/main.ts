import { createPatrolgridApp } from '@/shared/setup'
import App from './App.vue'
import { registerOfficerServiceWorker } from './pwa/register'
import { router } from './router'
import { primeOfficerSession } from './session'
import './officer.css'

const app = createPatrolgridApp({ root: App, router, appTitleKey: 'app.officerTitle' })
// The router's first guard waits for this (it may use the remembered user when offline).
void primeOfficerSession()
app.mount('#app')
registerOfficerServiceWorker()
