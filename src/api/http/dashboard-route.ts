import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import { packageRoot } from '../../paths.js'
import type { FastifyInstance } from 'fastify'

/** Where `npm run build` writes the dashboard (Vite's output). */
export function dashboardDir (): string {
  return join(packageRoot(), 'dist', 'web')
}

/** Vite names its bundles after their content: a changed file is a new URL, so a browser may keep one forever. */
const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.(?:js|css|svg|woff2?)$/

/**
 * GET /: the workshop dashboard, the built page and its assets, served from the package. Hashed assets are
 * cached for a year; index.html is revalidated each time, so a new build is picked up at the next load. The
 * files are listed once at start (no wildcard route), so an unknown path under /api/v1 still answers the
 * API's own 404. A package built without the dashboard serves the API alone.
 */
export async function dashboardRoute (app: FastifyInstance, root = dashboardDir()): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) return
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
  })
}
