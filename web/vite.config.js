import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The stylesheet (a few KB) goes into index.html: a linked one is a second request that holds the first
 * paint and the app's start, where it costs most on a loaded Pi.
 */
function inlineStylesheets () {
  return {
    name: 'meshnode-inline-stylesheets',
    enforce: 'post',
    generateBundle (_options, bundle) {
      const page = bundle['index.html']
      for (const [file, asset] of Object.entries(bundle)) {
        if (!file.endsWith('.css')) continue
        const link = new RegExp(`<link rel="stylesheet"[^>]*href="\\./${file.replace(/[.]/g, '\\.')}"[^>]*>`)
        if (!link.test(page.source)) throw new Error(`index.html does not link ${file}: it cannot be inlined`)
        page.source = page.source.replace(link, () => `<style>${asset.source}</style>`)
        delete bundle[file]
      }
    }
  }
}

// The dashboard is built into dist/web, where the peer serves it from (src/api/http/dashboard-route.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [inlineStylesheets()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200
  }
})
