import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../../lan/harness.js'
import type { Lan, MeshNode } from '../../lan/harness.js'

/**
 * What the host sends on its own, outside any file: line-number resets before each print, and the
 * firmware query and temperature auto-report of the connection handshake.
 */
const HOUSEKEEPING = /^(M110 N0|M115|M155 S\d+|M105)$/

/** The commands a G-code file asks for: `;` comments, surrounding blanks and empty lines dropped. */
export function gcodeCommands (text: string): string[] {
  return text.split(/\r?\n/).map(line => {
    const semicolon = line.indexOf(';')
    return (semicolon >= 0 ? line.slice(0, semicolon) : line).trim()
  }).filter(command => command !== '')
}

/** Every command the virtual printer accepted, in order. */
export function readRecord (recordFile: string): string[] {
  return readFileSync(recordFile, 'utf8').split('\n').filter(line => line !== '')
}

/**
 * The record holds exactly these prints, one after the other, each exactly once and in order, with
 * nothing between or before them but the host's housekeeping (handshake, line-number resets).
 */
export function assertRecordHolds (record: string[], prints: Array<{ label: string, commands: string[] }>): void {
  let end = record.length
  for (const print of [...prints].reverse()) {
    const start = end - print.commands.length
    assert.ok(start >= 0, `the printer's record (${record.length} commands) is too short to hold ${print.label} (${print.commands.length} commands)`)
    const got = record.slice(start, end)
    const firstDiff = print.commands.findIndex((command, i) => command !== got[i])
    assert.equal(firstDiff, -1, `${print.label}: command ${firstDiff + 1} of ${print.commands.length} should be "${print.commands[firstDiff]}", the printer ran "${got[firstDiff]}"`)
    end = start
    while (end > 0 && HOUSEKEEPING.test(record[end - 1])) end--
  }
  assert.equal(end, 0, `the printer ran ${end} commands before the first print that no print asked for: ${record.slice(0, Math.min(end, 5)).join(' | ')}`)
}

export interface VirtualPrinterNode {
  /** The node config to pass with --config. */
  configFile: string
  recordFile: string
  printerName: string
}

export interface VirtualPrinterOptions {
  name?: string
  material?: string
  bedClearsItself?: boolean
  faults?: string[]
  seed?: number
  baud?: number
  speedUp?: number
  /** `trust.print` of the node config; null leaves it out (the default, or a --trust-print flag, decides). */
  trustPrint?: string[] | null
  /** The printer logs each heater target set and reached to `<name>.heat.log` in `dir`. */
  heatLog?: boolean
}

/** A node config with one virtual printer that takes prints from any peer unless told, written into `dir`. */
export function writePrinterConfig (dir: string, options: VirtualPrinterOptions = {}): VirtualPrinterNode {
  const printerName = options.name ?? 'mk3'
  const recordFile = join(dir, `${printerName}.record.gcode`)
  const configFile = join(dir, `${printerName}.node.json`)
  const config = {
    printers: [{
      name: printerName,
      port: 'virtual',
      baud: options.baud ?? 250000,
      bed: { x: 250, y: 210, z: 210 },
      nozzleMm: 0.4,
      material: options.material ?? 'PLA',
      bedClearsItself: options.bedClearsItself ?? false,
      virtual: {
        speedUp: options.speedUp ?? 50,
        faults: options.faults ?? [],
        recordFile,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.heatLog === true ? { heatLogFile: join(dir, `${printerName}.heat.log`) } : {})
      }
    }],
    ...(options.trustPrint === null ? {} : { trust: { print: options.trustPrint ?? ['*'] } })
  }
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n')
  return { configFile, recordFile, printerName }
}

/**
 * A small print with what real files have: a header comment, blank lines, trailing comments, heat-up,
 * homing and `layers` layers of moves. `tag` goes into the moves so two parts never look alike.
 */
export function sampleGcode (layers: number, tag: number): string {
  const lines = ['; generated for a meshnode test', '', 'M140 S60 ; bed', 'M104 S205', 'M190 S60', 'M109 S205', 'G28 ; home', 'G90', 'M82', 'G92 E0', '']
  let e = 0
  for (let layer = 1; layer <= layers; layer++) {
    lines.push(`;LAYER:${layer}`, `G1 Z${(0.2 * layer).toFixed(2)} F600`)
    for (let i = 0; i < 20; i++) {
      e += 0.05
      lines.push(`G1 X${(10 + tag + i).toFixed(1)} Y${(10 + ((i * 7 + layer) % 50)).toFixed(1)} E${e.toFixed(4)} F1800`)
    }
    lines.push('')
  }
  lines.push('M104 S0', 'M140 S0', 'G28 X0 ; park', 'M84', '')
  return lines.join('\n')
}

/**
 * `--peer` flags naming every other namespace's node: the peers dial each other directly as well as
 * finding each other over mDNS, so a lost multicast packet cannot leave the mesh split.
 */
export function peerArgs (lan: Lan, index: number): string[] {
  return lan.namespaces.filter(ns => ns.index !== index).flatMap(ns => ['--peer', `/ip4/${ns.address}/tcp/4001`])
}

/** Resolves once every node lists every other node: the mesh is whole and jobs can find their peers. */
export async function waitForMesh (lan: Lan, nodes: MeshNode[], timeoutMs = 30_000): Promise<void> {
  try {
    for (const observer of nodes) {
      const want = nodes.filter(n => n !== observer).map(n => n.peerId)
      await waitFor(async () => {
        const got = (await lan.peers(observer)).map(p => p.peerId)
        return want.every(id => id !== undefined && got.includes(id))
      }, { timeoutMs, intervalMs: 250, what: `${observer.name} to list the ${want.length} other peers` })
    }
  } catch (err) {
    // A `before` hook that fails gets no afterEach report: say here what the peers logged.
    process.stderr.write(`the mesh did not form; logs of the LAN's processes:\n${lan.logTails()}\n`)
    throw err
  }
}

/** `meshnode <args> --json` on a node: fails naming the command and its stderr if it does not exit 0. */
export async function cliJson<T> (lan: Lan, node: MeshNode, args: string[], timeoutMs?: number): Promise<T> {
  const result = await lan.runCli(node, [...args, '--json'], timeoutMs)
  assert.equal(result.code, 0, `meshnode ${args.join(' ')} on ${node.name} exited ${String(result.code)}: ${result.stderr.trim()}\n${result.stdout.slice(-2000)}`)
  return JSON.parse(result.stdout) as T
}
