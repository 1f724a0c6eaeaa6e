import { keyOf } from './api-key.js'
import { PrinterNotOperationalError } from './errors.js'
import { jobShape, noJob } from './job-shape.js'
import { watchedPrinter, type MeshPrinter } from './mesh-printers.js'
import { printerShape } from './printer-shape.js'
import { OCTOPRINT_API_VERSION, OCTOPRINT_SERVER_VERSION } from './constants.js'
import type { GatewayRoutes } from './gateway-routes.js'
import type { JobRecord } from '../../jobs/job.js'
import type { FastifyInstance } from 'fastify'

/**
 * What clients read: the version and server (a slicer's "Test connection"), the key's last job and the printer
 * it watches, each through the node's methods (`job`, `printers`) with the key as the caller.
 */
export function statusRoutes (app: FastifyInstance, routes: GatewayRoutes): void {
  const { methods, lastJobs } = routes
  app.get('/api/version', async (request) => {
    keyOf(request)
    return { api: OCTOPRINT_API_VERSION, server: OCTOPRINT_SERVER_VERSION, text: `OctoPrint ${OCTOPRINT_SERVER_VERSION} (meshnode gateway)` }
  })
  app.get('/api/server', async (request) => {
    keyOf(request)
    return { version: OCTOPRINT_SERVER_VERSION, safemode: null }
  })

  app.get('/api/job', async (request) => {
    const key = keyOf(request)
    const id = lastJobs.of(key.caller.name)
    if (id == null) return noJob()
    try {
      const job = await methods.call('job', { id }, { caller: key.caller, signal: AbortSignal.timeout(30_000), emit: () => {} }) as JobRecord
      return jobShape(job, key.caller.name)
    } catch (err) {
      // A job the node no longer keeps is no current job.
      if ((err as Error).name === 'JobNotFoundError') return noJob()
      throw err
    }
  })

  app.get('/api/printer', async (request) => {
    const key = keyOf(request)
    const printers = await methods.call('printers', {}, { caller: key.caller, signal: AbortSignal.timeout(30_000), emit: () => {} }) as MeshPrinter[]
    const printer = watchedPrinter(printers, key.defaults, lastJobs.of(key.caller.name))
    if (printer == null) {
      throw new PrinterNotOperationalError(key.defaults.printer != null
        ? `Printer is not operational: the mesh has no printer named ${key.defaults.printer}`
        : `Printer is not operational: this key names no printer (gateways.octoprint.keys.${key.caller.name}.printer) and the mesh has ${printers.length}`)
    }
    if (printer.state === 'offline') throw new PrinterNotOperationalError(`Printer is not operational: ${printer.name} is offline`)
    return printerShape(printer)
  })
}
