import { homedir } from 'node:os'
import { readFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'
import type { ControlClient } from '../api/control-client.js'
import type { AdminKind } from '../admin/admin-document.js'
import type { AdminTarget } from '../../protocols/admin.js'

const DEFAULT_KEY = resolve(homedir(), '.config', 'meshnode', 'admin.key')
export const KEY_FLAG = { spec: '--key <file>', help: `the admin key, made by "meshnode admin keygen" (default ${DEFAULT_KEY}); it stays on this machine` }
export const TO_FLAG = { spec: '--to <targets>', help: 'node names or tags, comma-separated, or "all"', required: true }
export const REVISION_FLAG = { spec: '--revision <n>', help: 'the document\'s revision; a node takes only a newer one than it holds (default: now, in ms)' }
const DAY_MS = 24 * 3600_000
const POLL_MS = 500

export const adminKeygen: Command = {
  args: [{ name: '<file>', help: 'where to write the private key (mode 0600; never overwrites)' }],
  run: async ([file]) => {
    const { writeAdminKey } = await import('../admin/admin-key.js')
    const publicKey = await writeAdminKey(resolve(file)).catch((err: any) => {
      throw new Error(err.code === 'EEXIST' ? `${file} exists: an admin key is never overwritten` : err.message)
    })
    process.stdout.write(`wrote an admin key to ${file} (mode 0600); keep it on this machine.\nIts public key, for each node's config under "trust": { "admin": [...] }:\n${publicKey}\n`)
  }
}

export interface PushFlags { to: string, key?: string, revision?: string, expiresDays?: string, wait?: string, json?: boolean, dataDir?: string }

export const adminConfigPush: Command = {
  args: [{ name: '<config>', help: 'a node config file (JSON), whole or partial: its fields are laid over each node\'s own' }],
  flags: [
    TO_FLAG,
    KEY_FLAG,
    REVISION_FLAG,
    { spec: '--expires-days <days>', help: 'after this, no node takes the document any more (default 30); a node keeps running a config it applied' },
    { spec: '--wait <seconds>', help: 'how long to wait for the targets to say applied or rejected (default 15; 0 to not wait)' },
    { spec: '--json', help: 'print JSON' },
    DATA_DIR_FLAG
  ],
  epilog: 'Example:\n  meshnode admin config push --to slicers --key ~/admin.key slicers.json',
  run: async ([file], flags: PushFlags) => {
    const body = await readJson(file)
    const signed = await signDocument('config', body, flags)
    return withDaemon(dataDirOf(flags), async client => {
      const taken: any = await client.call('admin.publish', { document: Buffer.from(signed.bytes).toString('base64') })
      if (taken.decision === 'refused') throw new Error(`the local node refused the document: ${String(taken.reason)}`)
      const waitMs = wholeNumber(flags.wait ?? '15', '--wait') * 1000
      const outcomes = waitMs > 0 ? await outcomesOf(client, signed, waitMs, configOutcome(signed.revision)) : undefined
      printPush(flags, 'config', signed.revision, outcomes)
      return outcomes == null || (outcomes.length > 0 && outcomes.every(o => o.outcome === 'applied')) ? 0 : 1
    })
  }
}

export const adminServicePush: Command = {
  args: [{ name: '<service>', help: 'a service definition (JSON, as in a config\'s services) whose command is one of the files' }, { name: '<files...>', help: 'the files it brings: its script and what the script reads' }],
  flags: [
    TO_FLAG,
    KEY_FLAG,
    REVISION_FLAG,
    { spec: '--expires-days <days>', help: 'after this, no node takes the document any more (default 30)' },
    { spec: '--wait <seconds>', help: 'how long to wait for the targets to say installed or rejected (default 30; 0 to not wait); a target whose fetch of the files fails tries again a few times' },
    { spec: '--json', help: 'print JSON' },
    DATA_DIR_FLAG
  ],
  epilog: 'Example:\n  meshnode admin service push --to render pov.json pov-render.sh scene.inc',
  run: async ([file, ...paths], flags: PushFlags) => {
    const service = await readJson(file)
    return withDaemon(dataDirOf(flags), async client => {
      const files = []
      for (const path of paths) files.push({ name: basename(path), ...await client.call('admin.share', { path: resolve(path) }) })
      const signed = await signDocument('service', { service, files }, flags)
      const taken: any = await client.call('admin.publish', { document: Buffer.from(signed.bytes).toString('base64') })
      if (taken.decision === 'refused') throw new Error(`the local node refused the document: ${String(taken.reason)}`)
      const waitMs = wholeNumber(flags.wait ?? '30', '--wait') * 1000
      const outcomes = waitMs > 0 ? await outcomesOf(client, signed, waitMs, serviceOutcome(String((service as { name?: unknown } | null)?.name), signed.revision)) : undefined
      printPush(flags, 'service', signed.revision, outcomes, `, with ${files.map(f => `${f.name} (sha256 ${String(f.hash).slice(0, 12)}…)`).join(', ')}, which each target pulls from this node`)
      return outcomes == null || (outcomes.length > 0 && outcomes.every(o => o.outcome === 'installed')) ? 0 : 1
    })
  }
}

const RUN_ACCEPT_MS = 5 * 60_000

export const adminRun: Command = {
  args: [{ name: '<name>', help: 'a command the nodes\' config declares (commands: [...]), or drain, undrain, restart, or for the nodes\' own printers printer-pause, printer-resume, printer-cancel, printer-clear PRINTER, printer-load PRINTER MATERIAL [NOZZLE_MM]' }, { name: '[args...]', help: 'its arguments, filling the {1}..{9} of its template' }],
  flags: [
    TO_FLAG,
    KEY_FLAG,
    { spec: '--json', help: 'print JSON: the output lines, then each node\'s end' },
    DATA_DIR_FLAG
  ],
  epilog: 'Examples:\n  meshnode admin run --to printers drain\n  meshnode admin run --to pi3 disk-free /var\n  meshnode admin run --to pi3 printer-load mk3 PETG 0.6',
  run: async ([name, ...args], flags: PushFlags) => {
    const signed = await signDocument('run', { name, args }, flags, Date.now() + RUN_ACCEPT_MS)
    const results: any[] = await withDaemon(dataDirOf(flags), async client => client.call('admin.run', { document: Buffer.from(signed.bytes).toString('base64') }, (output: any) => {
      if (flags.json === true) process.stdout.write(JSON.stringify(output) + '\n')
      else (output.stream === 'stderr' ? process.stderr : process.stdout).write(`${String(output.node)} | ${String(output.line)}\n`)
    }))
    if (flags.json === true) process.stdout.write(JSON.stringify(results) + '\n')
    else for (const r of results) process.stdout.write(`${String(r.node)}: ${r.error != null ? String(r.error) : `exit code ${String(r.exitCode)}`}\n`)
    return results.every(r => r.exitCode === 0) ? 0 : 1
  }
}

export const adminStatus: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const fleet: any[] = await withDaemon(dataDirOf(flags), async client => client.call('admin.status'))
    if (flags.json === true) return printJson(fleet)
    const now = Date.now()
    for (const node of fleet) {
      const config = node.configRevision > 0 ? `config ${node.configRevision}` : 'own config'
      const rejected = node.rejectedRevision > node.configRevision ? `, rejected ${node.rejectedRevision}: ${node.rejectedReason}` : ''
      const heard = node.self === true ? 'this node' : `heard ${Math.round((now - node.heardAt) / 1000)} s ago`
      process.stdout.write(`${node.name}  ${node.peerId}\n`)
      process.stdout.write(`  ${node.version}, up ${Math.round((now - node.startedAt) / 1000)} s, ${heard}${node.tags.length > 0 ? `, tags ${node.tags.join(', ')}` : ''}\n`)
      process.stdout.write(`  ${config}${rejected}${node.drained === true ? ', DRAINED' : ''}${node.pending > 0 ? `, ${node.pending} pending` : ''}\n`)
      if (node.services.length > 0) process.stdout.write(`  admin services: ${node.services.join(', ')}\n`)
      if (node.updateState != null && node.updateState !== '') process.stdout.write(`  update to ${String(node.updateVersion)} (revision ${String(node.updateRevision)}): ${String(node.updateState)}${node.updateReason !== '' ? `: ${String(node.updateReason)}` : ''}\n`)
    }
  }
}

export const adminLog: Command = {
  flags: [{ spec: '--limit <n>', help: 'the newest N entries (default 100)' }, { spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { limit?: string, json?: boolean, dataDir?: string }) => {
    const limit = flags.limit != null ? wholeNumber(flags.limit, '--limit') : undefined
    const entries: any[] = await withDaemon(dataDirOf(flags), async client => client.call('admin.log', limit != null ? { limit } : {}))
    if (flags.json === true) return printJson(entries)
    if (entries.length === 0) process.stdout.write('no admin documents yet\n')
    for (const e of entries) {
      const what = e.key != null ? ` ${String(e.key)} revision ${String(e.revision)}` : ''
      process.stdout.write(`${new Date(e.at).toISOString()}  ${String(e.decision).padEnd(8)}${what} from ${String(e.from)}${e.reason != null ? `: ${String(e.reason)}` : ''}\n`)
    }
  }
}

export interface Signed { bytes: Uint8Array, revision: number, target: AdminTarget }

export async function signDocument (kind: AdminKind, body: unknown, flags: Omit<PushFlags, 'wait' | 'json'>, expiresAt?: number): Promise<Signed> {
  const { readAdminKey } = await import('../admin/admin-key.js')
  const { parseTarget, sealDocument } = await import('../admin/admin-document.js')
  const signer = await readAdminKey(resolve(flags.key ?? DEFAULT_KEY))
  const target = parseTarget(flags.to)
  const revision = flags.revision != null ? wholeNumber(flags.revision, '--revision') : Date.now()
  const until = expiresAt ?? Date.now() + wholeNumber(flags.expiresDays ?? '30', '--expires-days') * DAY_MS
  return { bytes: sealDocument({ kind, target, revision, expiresAt: until, body }, signer), revision, target }
}

interface Outcome { name: string, outcome: 'applied' | 'installed' | 'rejected' | 'no answer yet', reason?: string }

/** What a node's report says of a config revision. */
function configOutcome (revision: number): (node: any) => Omit<Outcome, 'name'> {
  return node => {
    if (node.configRevision >= revision) return { outcome: 'applied' }
    if (node.rejectedRevision === revision) return { outcome: 'rejected', reason: node.rejectedReason }
    return { outcome: 'no answer yet' }
  }
}

/** What a node's report says of a service revision; while it fetches the files, why the last try failed. */
function serviceOutcome (service: string, revision: number): (node: any) => Omit<Outcome, 'name'> {
  return node => {
    // A node of an older version reports no outcomes.
    const got = (node.serviceOutcomes as any[] | undefined ?? []).find(o => o.name === service && o.revision === revision)
    if (got?.outcome === 'installed' || got?.outcome === 'rejected') return { outcome: got.outcome, ...(got.reason !== '' ? { reason: got.reason } : {}) }
    return { outcome: 'no answer yet', ...(got != null && got.reason !== '' ? { reason: got.reason } : {}) }
  }
}

/** What each target node the local one has heard of made of the document, once all have answered or time is up. */
async function outcomesOf (client: ControlClient, signed: Signed, waitMs: number, judge: (node: any) => Omit<Outcome, 'name'>): Promise<Outcome[]> {
  const { targets } = await import('../admin/admin-document.js')
  const deadline = Date.now() + waitMs
  let outcomes: Outcome[] = []
  for (let poll = 0; poll <= waitMs / POLL_MS; poll++) {
    const fleet: any[] = await client.call('admin.status')
    outcomes = fleet.filter(node => targets(signed.target, node)).map(node => ({ name: node.name, ...judge(node) }))
    // Until every target heard of has answered; a node not heard of yet may still be one.
    if ((outcomes.length > 0 && outcomes.every(o => o.outcome !== 'no answer yet')) || Date.now() > deadline) break
    await sleep(POLL_MS)
  }
  return outcomes
}

/** What became of a push: each target's answer, or only that it was sent (--wait 0). */
function printPush (flags: PushFlags, kind: AdminKind, revision: number, outcomes: Outcome[] | undefined, what = ''): void {
  if (flags.json === true) return printJson({ revision, outcomes })
  process.stdout.write(`sent ${kind} revision ${revision} to ${flags.to}${what}\n`)
  if (outcomes?.length === 0) process.stdout.write(`  no node this one has heard of is one of ${flags.to} yet; see "meshnode admin status"\n`)
  for (const o of outcomes ?? []) process.stdout.write(`  ${o.name.padEnd(16)} ${o.outcome}${o.reason != null ? `: ${o.reason}` : ''}\n`)
}

async function readJson (file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'))
  } catch (err: any) {
    throw new Error(`cannot read ${file} as JSON: ${err.code ?? err.message}`)
  }
}

export function wholeNumber (value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not "${value}"`)
  return n
}
