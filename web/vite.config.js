import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The dashboard is built into dist/web, where the peer serves it from (src/api/http/dashboard-route.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200
  }
})
