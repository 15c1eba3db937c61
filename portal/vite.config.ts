import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` serves the portal with hot reload and sends the APIs to a running
// `kangyun serve --auth` (KANGYUN, default http://127.0.0.1:8080).
const server = process.env.KANGYUN ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [vue()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // The framework changes rarely: cached apart from the screens.
        manualChunks: { vue: ['vue', 'vue-router', 'vue-i18n'] },
      },
    },
  },
  server: {
    proxy: { '/fhir': server, '/auth': server },
  },
})
