import { typePath } from './file-types.js'
import type { KeptFile } from './kept-files.js'

/** A kept file as OctoPrint lists it; `base` is the URL the client reached the gateway at. */
export function fileEntry (file: KeptFile, base: string): Record<string, unknown> {
  const types = typePath(file.name)
  return {
    name: file.name,
    display: file.name,
    path: file.name,
    type: types[0],
    typePath: types,
    hash: file.hash,
    size: file.size,
    date: file.date,
    origin: 'local',
    refs: { resource: resourceUrl(base, file.name) }
  }
}

export function resourceUrl (base: string, name: string): string {
  return `${base}/api/files/local/${encodeURIComponent(name)}`
}

const HOST = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$/

/** The base URL for links back to the gateway: the Host the client used, when it is a plain host[:port]. */
export function baseUrl (host: string | undefined, fallback: string): string {
  return host != null && HOST.test(host) ? `http://${host}` : fallback
}
