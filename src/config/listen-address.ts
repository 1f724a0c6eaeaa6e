import { isIP } from 'node:net'
import { ConfigError } from './config-error.js'

/** Where the HTTP API listens by default: this machine only. */
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:8450'

export interface HttpListen {
  host: string
  port: number
}

export class BadHttpAddressError extends Error {
  constructor (address: string) {
    super(`"${address}" is not an HTTP listen address: give HOST:PORT, e.g. 127.0.0.1:8450, [::1]:8450, or 127.0.0.1:0 for any free port`)
    this.name = 'BadHttpAddressError'
  }
}

/** HOST:PORT with an IP address (IPv6 in brackets); names are refused, so what is bound is what was read. */
export function parseHttpListen (address: string): HttpListen {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(address)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (host == null || isIP(host) === 0 || !Number.isInteger(port) || port > 65535) throw new BadHttpAddressError(address)
  return { host, port }
}

/** 127.0.0.0/8 and ::1: only processes on this machine can connect. */
export function isLoopback (host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '::ffff:127.0.0.1'
}

export function formatHttpUrl ({ host, port }: HttpListen): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`
}

/** A configured HOST:PORT, checked as `parseHttpListen` reads it; the error names the field. */
export function checkListenAddress (address: string, field: string): string {
  try {
    parseHttpListen(address)
  } catch (err: any) {
    throw new ConfigError(field, err.message)
  }
  return address
}
