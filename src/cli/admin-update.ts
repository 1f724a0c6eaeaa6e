import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { KEY_FLAG, REVISION_FLAG, signDocument, TO_FLAG, wholeNumber, type PushFlags } from './admin.js'
import { withDaemon } from './run-action.js'

const POLL_MS = 1000
const DONE = ['updated', 'rolled-back', 'halted', 'failed']

interface UpdateFlags extends PushFlags { parallel?: string, deadline?: string }

export const adminUpdate: Command = {
  args: [{ name: '<package>', help: 'a meshnode package made by "npm pack" (meshnode-X.Y.Z.tgz) with its dist built' }],
  flags: [
    TO_FLAG,
    KEY_FLAG,
    { spec: '--parallel <n>', help: 'how many nodes update at a time (default 2)' },
    { spec: '--deadline <seconds>', help: 'how long a node gives the new version to come up healthy before it goes back (default 120)' },
    { spec: '--wait <seconds>', help: 'follow the rollout this long, printing each node\'s steps (default 0: send it and return)' },
    { spec: '--expires-days <days>', help: 'after this, no node takes the document any more (default 7)' },
    REVISION_FLAG,
    DATA_DIR_FLAG
  ],
  epilog: 'Example:\n  meshnode admin update --to printers --wait 600 meshnode-0.2.0.tgz\n' +
    'Each target fetches the package from this node, checks its hash, unpacks it beside its version, and waits its turn;\n' +
    'a printer that is printing waits for its print. "meshnode admin status" shows each node\'s step.',
  run: async ([file], flags: UpdateFlags) => {
    const path = resolve(file)
    const { readManifest } = await import('../admin/update-package.js')
    const { VERSION } = await import('../admin/update-slot.js')
    const { DEFAULT_DEADLINE_SEC, DEFAULT_PARALLEL } = await import('../admin/update-rollout.js')
    const manifest = await readManifest(createReadStream(path))
    if (manifest.name !== 'meshnode' || typeof manifest.version !== 'string' || !VERSION.test(manifest.version)) throw new Error(`${file} is not a meshnode package (its package.json says ${String(manifest.name)} ${String(manifest.version)})`)
    const version = manifest.version
    const rollout = {
      parallel: wholeNumber(flags.parallel ?? String(DEFAULT_PARALLEL), '--parallel'),
      deadlineSec: wholeNumber(flags.deadline ?? String(DEFAULT_DEADLINE_SEC), '--deadline')
    }
    const dataDir = dataDirOf(flags)
    const signed = await withDaemon(dataDir, async client => {
      const pkg: any = await client.call('admin.share', { path })
      const signed = await signDocument('update', { package: pkg, version, rollout }, { ...flags, expiresDays: flags.expiresDays ?? '7' })
      const taken: any = await client.call('admin.publish', { document: Buffer.from(signed.bytes).toString('base64') })
      if (taken.decision === 'refused') throw new Error(`the local node refused the document: ${String(taken.reason)}`)
      process.stdout.write(`sent update to ${version} (revision ${signed.revision}, package sha256 ${String(pkg.hash).slice(0, 12)}…) to ${flags.to}, ${rollout.parallel} at a time\n`)
      return signed
    })
    const waitMs = wholeNumber(flags.wait ?? '0', '--wait') * 1000
    if (waitMs === 0) {
      process.stdout.write('Follow it with "npx meshnode admin status"; keep this node up until every target has fetched the package.\n')
      return
    }
    return follow(dataDir, signed, waitMs)
  }
}

/** Prints each target's steps as the local node hears them, until all are done or time is up; 0 when all updated. */
async function follow (dataDir: string, signed: { revision: number, target: any }, waitMs: number): Promise<number> {
  const { targets } = await import('../admin/admin-document.js')
  const said = new Map<string, string>()
  const deadline = Date.now() + waitMs
  let nodes: any[] = []
  while (Date.now() < deadline) {
    // The local node may itself be a target, away while it restarts.
    const fleet: any[] | undefined = await withDaemon(dataDir, async client => client.call('admin.status')).catch(() => undefined)
    if (fleet != null) {
      nodes = fleet.filter(node => targets(signed.target, node) && node.updateRevision === signed.revision)
      for (const node of nodes) {
        const line = `${String(node.updateState)}${node.updateReason !== '' ? `: ${String(node.updateReason)}` : ''}`
        if (said.get(node.name) !== line) process.stdout.write(`  ${String(node.name).padEnd(16)} ${line}\n`)
        said.set(node.name, line)
      }
      if (nodes.length > 0 && nodes.every(node => DONE.includes(node.updateState))) break
    }
    await sleep(POLL_MS)
  }
  return nodes.length > 0 && nodes.every(node => node.updateState === 'updated') ? 0 : 1
}
