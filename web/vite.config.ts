import { fileURLToPath, URL } from 'node:url'
import type { Connect, Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'
import { officerPwa } from './build/officerPwa.ts'

const webRoot = fileURLToPath(new URL('.', import.meta.url))
const backend = 'http://127.0.0.1:8000'

/**
 * Two single-page apps live side by side: the console at `/` and the officer app at `/m/`.
 * Vite's built-in history fallback only knows the root `index.html`, so deep links such as
 * `/m/login` are rewritten to `/m/index.html` here (dev and preview servers). In production the
 * Python backend does the same fallback.
 */
function officerAppFallback(): Plugin {
  const rewrite: Connect.NextHandleFunction = (req, _res, next) => {
    const url = req.url ?? ''
    const path = url.split('?')[0] ?? ''
    const accepts = req.headers.accept ?? ''
    const isPageRequest = req.method === 'GET' && accepts.includes('text/html')
    if (isPageRequest && (path === '/m' || (path.startsWith('/m/') && !path.slice(3).includes('.')))) {
      req.url = '/m/index.html'
    }
    next()
  }
  return {
    name: 'patrolgrid-officer-app-fallback',
    configureServer(server) {
      server.middlewares.use(rewrite)
    },
    configurePreviewServer(server) {
      server.middlewares.use(rewrite)
    },
  }
}

export default defineConfig({
  // officerPwa: the officer app's icons and service worker (m/sw.js), see build/officerPwa.ts.
  plugins: [vue(), officerAppFallback(), officerPwa({ root: webRoot })],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  // MapLibre's worker is an ES module (emitted through `?worker&url` in src/console/map/maplibre.ts).
  worker: { format: 'es' },
  build: {
    outDir: '../src/patrolgrid/static',
    emptyOutDir: true,
    // Element Plus is imported in full and shared by both apps; its chunk is ~0.9 MB before gzip.
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: {
        console: `${webRoot}index.html`,
        officer: `${webRoot}m/index.html`,
      },
      output: {
        // Stable, cacheable vendor chunks shared by both apps. MapLibre gets its own chunk, loaded
        // only by the lazy map page (the catch-all vendor group would otherwise pull it into
        // every page's first load).
        codeSplitting: {
          groups: [
            {
              name: 'maplibre',
              test: /[\\/]node_modules[\\/](maplibre-gl|@maplibre)[\\/]/,
              priority: 30,
            },
            // hls.js, loaded by the first HLS camera tile (camera wall, map camera card).
            { name: 'hls', test: /[\\/]node_modules[\\/]hls\.js[\\/]/, priority: 30 },
            {
              name: 'vue',
              test: /[\\/]node_modules[\\/](vue|@vue|vue-router|pinia|vue-i18n|@intlify)[\\/]/,
              priority: 20,
            },
            { name: 'vendor', test: /[\\/]node_modules[\\/]/, priority: 10 },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend, ws: true, changeOrigin: false },
      '/media': { target: backend, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend, ws: true, changeOrigin: false },
      '/media': { target: backend, changeOrigin: false },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    restoreMocks: true,
  },
})
