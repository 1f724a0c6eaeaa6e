import { resolve } from 'node:path'
import { ConfigError } from '../config/config-error.js'
import { checkMeshChoice, checkMultiaddr, checkName, loadConfigFile, parseOffers, parseTrustList } from '../config/load-config.js'
import { defaultConfig, type NodeConfig } from '../config/node-config.js'
import { checkListenAddress } from '../config/listen-address.js'
import { parsePrinterFlag } from '../printer/printer-config.js'
import { dataDirOf } from './data-dir.js'

export interface StartFlags {
  config?: string
  dataDir?: string
  name?: string
  listen?: string[]
  noMdns?: boolean
  mdnsInterval?: string
  peer?: string[]
  offer?: string
  printer?: string[]
  meshKey?: string
  trustPrint?: string
  trustSubmit?: string
  open?: boolean
  http?: string
  octoprint?: string
  reprapcloud?: string
}

/** The node config `meshnode start` runs with: the config file (or the defaults), then the flags over it. */
export async function buildConfig (flags: StartFlags): Promise<NodeConfig> {
  const config = flags.config != null ? await loadConfigFile(flags.config) : defaultConfig()
  if (flags.dataDir != null || flags.config == null) config.dataDir = dataDirOf(flags)
  if (flags.name != null) config.name = checkName(flags.name, '--name')
  if (flags.listen != null) config.listen = flags.listen.map(a => checkMultiaddr(a, '--listen'))
  if (flags.noMdns === true) config.mdns.enabled = false
  if (flags.mdnsInterval != null) {
    const ms = Number(flags.mdnsInterval)
    if (!Number.isInteger(ms) || ms < 100) throw new ConfigError('--mdns-interval', 'must be a whole number of milliseconds, at least 100')
    config.mdns.intervalMs = ms
  }
  if (flags.peer != null) config.peers = [...config.peers, ...flags.peer.map(a => checkMultiaddr(a, '--peer'))]
  if (flags.offer != null) config.offers = parseOffers([flags.offer], '--offer')
  if (flags.printer != null) config.printers = [...config.printers, ...flags.printer.map(spec => parsePrinterFlag(spec))]
  if (flags.meshKey != null) config.meshKeyFile = resolve(flags.meshKey)
  if (flags.http != null) config.http = flags.http === 'off' ? {} : { listen: checkListenAddress(flags.http, '--http') }
  if (flags.octoprint != null) config.gateways.octoprint = flags.octoprint === 'off' ? undefined : { listen: checkListenAddress(flags.octoprint, '--octoprint'), keys: config.gateways.octoprint?.keys ?? {} }
  if (flags.reprapcloud != null) config.gateways.reprapcloud.listen = flags.reprapcloud === 'off' ? undefined : checkListenAddress(flags.reprapcloud, '--reprapcloud')
  if (flags.trustPrint != null) config.trust.print = parseTrustList(flags.trustPrint, '--trust-print')
  if (flags.trustSubmit != null) config.trust.submit = parseTrustList(flags.trustSubmit, '--trust-submit')
  if (flags.open === true) config.open = true
  checkMeshChoice(config, flags.open === true ? '--open' : '--mesh-key')
  return config
}
