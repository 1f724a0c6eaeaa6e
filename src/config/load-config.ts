import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { parseServiceConfig, parseToolsConfig } from './service-config.js'
import { parsePrinterConfig } from '../printer/printer-config.js'
import { checkListenAddress } from './listen-address.js'
import { parseOctoPrintConfig } from './octoprint-config.js'
import { parseRepRapCloudConfig } from './reprapcloud-config.js'
import { parseCommandConfig } from '../executors/admin-command.js'
import { parsePowerConfig } from '../printer/power-config.js'
import { checkAdminEntry } from './admin-keys.js'
import { ConfigError } from './config-error.js'
import { expectObject, join, optArray, optBoolean, optInteger, optNumber, optString, optStringArray, rejectUnknown } from './fields.js'
import { ANY_PEER, defaultConfig, MIN_TOOL_MEMORY_MIB, type HttpConfig, type NodeConfig, type WatchConfig } from './node-config.js'

const TOP_LEVEL = ['name', 'dataDir', 'listen', 'mdns', 'meshKeyFile', 'open', 'peers', 'offers', 'tags', 'printers', 'power', 'tools', 'services', 'commands', 'trust', 'blobs', 'market', 'http', 'gateways', 'library', 'watch'] as const
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

/** Reads a node config file: JSON, every field checked, unknown fields refused. Paths resolve against the file. */
export async function loadConfigFile (file: string): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new ConfigError('(file)', `cannot read ${file}: ${err.code ?? err.message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err: any) {
    throw new ConfigError('(file)', `${file} is not valid JSON: ${err.message}`)
  }
  return parseConfig(raw, resolve(file, '..'))
}

/** A config file's fields over `base` (the defaults unless given: an admin's partial config lays over the node's own). */
export function parseConfig (raw: unknown, baseDir: string, base: NodeConfig = defaultConfig()): NodeConfig {
  const obj = expectObject(raw, '(top level)')
  rejectUnknown(obj, TOP_LEVEL, '')
  const config = structuredClone(base)

  const name = optString(obj, 'name', '', 63)
  if (name !== undefined) config.name = checkName(name, 'name')
  const dataDir = optString(obj, 'dataDir', '')
  if (dataDir !== undefined) config.dataDir = resolve(baseDir, dataDir)
  const listen = optStringArray(obj, 'listen', '', 16)
  if (listen !== undefined) config.listen = listen.map((a, i) => checkMultiaddr(a, `listen[${i}]`))
  const meshKeyFile = optString(obj, 'meshKeyFile', '')
  if (meshKeyFile !== undefined) config.meshKeyFile = resolve(baseDir, meshKeyFile)
  config.open = optBoolean(obj, 'open', '') ?? config.open
  checkMeshChoice(config, 'open')
  const peers = optStringArray(obj, 'peers', '', 256)
  if (peers !== undefined) config.peers = peers.map((a, i) => checkMultiaddr(a, `peers[${i}]`))
  const offers = optStringArray(obj, 'offers', '', 64)
  if (offers !== undefined) config.offers = parseOffers(offers, 'offers')
  const tags = optStringArray(obj, 'tags', '', 64)
  if (tags !== undefined) config.tags = tags.map((tag, i) => checkName(tag, `tags[${i}]`))

  if (obj.mdns !== undefined) {
    const mdns = expectObject(obj.mdns, 'mdns')
    rejectUnknown(mdns, ['enabled', 'intervalMs'], 'mdns')
    config.mdns.enabled = optBoolean(mdns, 'enabled', 'mdns') ?? config.mdns.enabled
    config.mdns.intervalMs = optNumber(mdns, 'intervalMs', 'mdns', 100, 3_600_000) ?? config.mdns.intervalMs
  }
  const printers = optArray(obj, 'printers', '', 32)
  if (printers !== undefined) config.printers = printers.map((p, i) => parsePrinterConfig(p, `printers[${i}]`))
  checkUnique(config.printers.map(p => p.name), 'printers', 'name')
  if (obj.power !== undefined) config.power = parsePowerConfig(obj.power, 'power')
  if (obj.tools !== undefined) config.tools = parseToolsConfig(obj.tools, 'tools')
  const services = optArray(obj, 'services', '', 64)
  if (services !== undefined) config.services = services.map((s, i) => parseServiceConfig(s, `services[${i}]`))
  checkUnique(config.services.map(s => s.name), 'services', 'name')
  const commands = optArray(obj, 'commands', '', 64)
  if (commands !== undefined) config.commands = commands.map((c, i) => parseCommandConfig(c, `commands[${i}]`))
  checkUnique(config.commands.map(c => c.name), 'commands', 'name')

  if (obj.trust !== undefined) {
    const trust = expectObject(obj.trust, 'trust')
    rejectUnknown(trust, ['submit', 'print', 'admin'], 'trust')
    for (const key of ['submit', 'print', 'admin'] as const) {
      const list = optStringArray(trust, key, 'trust', 1024)
      if (list !== undefined) config.trust[key] = list
    }
    config.trust.admin.forEach((entry, i) => checkAdminEntry(entry, `trust.admin[${i}]`))
  }
  if (obj.blobs !== undefined) {
    const blobs = expectObject(obj.blobs, 'blobs')
    rejectUnknown(blobs, ['maxBlobMiB', 'maxAgeHours', 'maxTotalMiB'], 'blobs')
    const mib = 1024 * 1024
    config.blobs.maxBlobBytes = (optNumber(blobs, 'maxBlobMiB', 'blobs', 1, 1024 * 1024) ?? config.blobs.maxBlobBytes / mib) * mib
    config.blobs.maxAgeMs = (optNumber(blobs, 'maxAgeHours', 'blobs', 0.01, 24 * 3650) ?? config.blobs.maxAgeMs / 3600_000) * 3600_000
    config.blobs.maxTotalBytes = (optNumber(blobs, 'maxTotalMiB', 'blobs', 1, 1024 * 1024 * 1024) ?? config.blobs.maxTotalBytes / mib) * mib
  }
  if (obj.http !== undefined) config.http = parseHttpConfig(obj.http)
  if (obj.gateways !== undefined) {
    const gateways = expectObject(obj.gateways, 'gateways')
    rejectUnknown(gateways, ['octoprint', 'reprapcloud'], 'gateways')
    if (gateways.octoprint !== undefined) config.gateways.octoprint = parseOctoPrintConfig(gateways.octoprint, 'gateways.octoprint')
    if (gateways.reprapcloud !== undefined) config.gateways.reprapcloud = parseRepRapCloudConfig(gateways.reprapcloud, 'gateways.reprapcloud')
  }
  if (obj.library !== undefined) {
    const library = expectObject(obj.library, 'library')
    rejectUnknown(library, ['replicas', 'graceSec', 'checkSec', 'classifyUrl'], 'library')
    const classifyUrl = optString(library, 'classifyUrl', 'library', 2048)
    if (classifyUrl !== undefined && !/^https?:\/\//.test(classifyUrl)) throw new ConfigError('library.classifyUrl', 'must be an http(s) URL')
    config.library.classifyUrl = classifyUrl
    config.library.replicas = optInteger(library, 'replicas', 'library', 1, 64) ?? config.library.replicas
    config.library.graceMs = (optNumber(library, 'graceSec', 'library', 1, 30 * 24 * 3600) ?? config.library.graceMs / 1000) * 1000
    config.library.checkMs = (optNumber(library, 'checkSec', 'library', 0.1, 3600) ?? config.library.checkMs / 1000) * 1000
  }
  const watches = optArray(obj, 'watch', '', 64)
  if (watches !== undefined) config.watch = watches.map((w, i) => parseWatch(w, `watch[${i}]`, baseDir))
  if (obj.market !== undefined) {
    const market = expectObject(obj.market, 'market')
    rejectUnknown(market, ['maxConcurrent', 'bidWindowMs', 'leaseMs', 'maxAttempts', 'minFreeDiskMiB', 'toolMemoryMiB', 'toolCpuSec', 'maxOutputMiB', 'toolTimeoutSec'], 'market')
    config.market.maxConcurrent = optNumber(market, 'maxConcurrent', 'market', 1, 256) ?? config.market.maxConcurrent
    config.market.bidWindowMs = optNumber(market, 'bidWindowMs', 'market', 20, 60_000) ?? config.market.bidWindowMs
    config.market.leaseMs = optNumber(market, 'leaseMs', 'market', 1000, 3_600_000) ?? config.market.leaseMs
    config.market.maxAttempts = optNumber(market, 'maxAttempts', 'market', 1, 100) ?? config.market.maxAttempts
    const minFreeMiB = optNumber(market, 'minFreeDiskMiB', 'market', 0, 1024 * 1024 * 1024)
    if (minFreeMiB !== undefined) config.market.minFreeDiskBytes = minFreeMiB * 1024 * 1024
    config.market.toolMemoryMiB = optInteger(market, 'toolMemoryMiB', 'market', MIN_TOOL_MEMORY_MIB, 1024 * 1024) ?? config.market.toolMemoryMiB
    config.market.toolCpuSec = optInteger(market, 'toolCpuSec', 'market', 1, 7 * 24 * 3600) ?? config.market.toolCpuSec
    config.market.maxOutputMiB = optInteger(market, 'maxOutputMiB', 'market', 1, 1024 * 1024) ?? config.market.maxOutputMiB
    config.market.toolTimeoutSec = optNumber(market, 'toolTimeoutSec', 'market', 1, 7 * 24 * 3600) ?? config.market.toolTimeoutSec
  }
  return config
}

/** A mesh is either open or keyed: a config that names a key and asks for an open mesh is a mistake. */
export function checkMeshChoice (config: NodeConfig, field: string): void {
  if (config.open && config.meshKeyFile != null) throw new ConfigError(field, 'an open mesh has no key: leave out either the mesh key file or the open mesh')
}

/** `--offer scad,slice`, `--offer none`. Capability names are stage names. */
export function parseOffers (offers: string[], field: string): string[] {
  const names = offers.flatMap(o => o.split(',')).map(o => o.trim()).filter(o => o !== '')
  if (names.length === 1 && names[0] === 'none') return []
  return names.map((n, i) => checkName(n, `${field}[${i}]`))
}

/** `--trust-print '*'`, `--trust-print ws1,12D3KooW...`, `--trust-print none` (only this node). */
export function parseTrustList (value: string, field: string): string[] {
  const entries = value.split(',').map(e => e.trim()).filter(e => e !== '')
  if (entries.length === 0) throw new ConfigError(field, 'takes peer ids or names separated by commas, "*" for any mesh member, or "none"')
  if (entries.length === 1 && entries[0] === 'none') return []
  return entries.map((e, i) => e === ANY_PEER ? e : checkName(e, `${field}[${i}]`))
}

export function checkName (value: string, field: string): string {
  if (!NAME.test(value)) throw new ConfigError(field, `"${value}" is not a name: use letters, digits, ".", "_" or "-", at most 63 characters`)
  return value
}

export function checkMultiaddr (value: string, field: string): string {
  try {
    multiaddr(value)
  } catch {
    throw new ConfigError(field, `"${value}" is not a multiaddr (e.g. /ip4/192.168.1.20/tcp/4001)`)
  }
  return value
}

function checkUnique (names: string[], field: string, key: string): void {
  const seen = new Set<string>()
  names.forEach((n, i) => {
    if (seen.has(n)) throw new ConfigError(join(`${field}[${i}]`, key), `"${n}" is used twice`)
    seen.add(n)
  })
}

/** `http: { listen: "HOST:PORT" }`, or `listen: null` for no HTTP API. */
function parseHttpConfig (raw: unknown): HttpConfig {
  const http = expectObject(raw, 'http')
  rejectUnknown(http, ['listen'], 'http')
  if (http.listen === null) return {}
  const listen = optString(http, 'listen', 'http', 64)
  if (listen === undefined) return {}
  return { listen: checkListenAddress(listen, 'http.listen') }
}

function parseWatch (raw: unknown, field: string, baseDir: string): WatchConfig {
  const obj = expectObject(raw, field)
  rejectUnknown(obj, ['dir', 'pipeline', 'tags', 'profile'], field)
  const dir = optString(obj, 'dir', field)
  if (dir === undefined) throw new ConfigError(join(field, 'dir'), 'is required: the folder to watch')
  return { dir: resolve(baseDir, dir), pipeline: optStringArray(obj, 'pipeline', field, 16), tags: optStringArray(obj, 'tags', field, 64), profile: optString(obj, 'profile', field, 200) }
}
