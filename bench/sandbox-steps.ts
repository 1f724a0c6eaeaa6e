/**
 * Where a sandboxed tool run's time goes: a no-op (`/usr/bin/true`) run bare, in a bwrap with only its mount
 * namespace, with each namespace and each other step of the peer's sandbox added alone, and as the peer runs
 * it. One process; every round runs each variant once, in turns, so a change of the machine's speed hits all
 * alike. Prints each variant's median and p90, and the median of its paired differences (same round) over
 * the bare no-op, and, for a step added alone, over bwrap with its mount namespace only.
 * Run as root (bwrap then needs no user namespace, so each one can be added alone), after `npm run build`:
 *   node dist/bench/sandbox-steps.js [--runs 60] [--smoke]
 * `--smoke` (3 runs unless given) checks that the bench works.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BwrapSandbox, findConfinement } from '../src/executors/sandbox.js'
import { networkFilter } from '../src/executors/seccomp-filter.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, runs: { type: 'string', default: smoke ? '3' : '60' } } })
const runs = Number(values.runs)
const TRUE = '/usr/bin/true'

const sandbox = await findConfinement(true)
if (!(sandbox instanceof BwrapSandbox)) throw new Error('bubblewrap is needed for this bench')
const filter = networkFilter()
if (filter == null) throw new Error(`no seccomp filter for ${process.arch}`)
const root = mkdtempSync(join(tmpdir(), 'meshnode-bench-sandbox-steps-'))
const filterFile = join(root, 'filter.bpf')
writeFileSync(filterFile, filter)

// The peer's command for a no-op, as it runs it today: prlimit, then bwrap with its whole view.
const peer = sandbox.command(TRUE, [], { workDir: root, inputs: [], readOnly: [] }, { memoryMiB: 256, outputMiB: 16 }, {})
const peerBwrap = peer.args.slice(peer.args.indexOf('--') + 1)
const bwrap = peerBwrap[0]
const peerView = peerBwrap.slice(1, peerBwrap.indexOf('--', 1))
const view = without(peerView, { '--die-with-parent': 0, '--unshare-all': 0, '--share-net': 0, '--unshare-net': 0, '--cap-drop': 1, '--seccomp': 1 })
const mountOnly = ['--dev-bind', '/', '/']

/** A variant's command; `filtered` passes the network filter on fd 3, as `--seccomp 3` expects. */
interface Variant { name: string, file: string, args: string[], filtered?: boolean }
const inBwrap = (name: string, args: string[], filtered = false): Variant => ({ name, file: bwrap, args: [...args, '--', TRUE], filtered })
const MOUNT_ONLY = 2
const variants: Variant[] = [
  { name: 'bare no-op (anchor)', file: TRUE, args: [] },
  { name: 'prlimit, no-op', file: peer.file, args: [...peer.args.slice(0, peer.args.indexOf('--')), '--', TRUE] },
  inBwrap('bwrap: mount namespace only', mountOnly),
  ...['user', 'pid', 'ipc', 'uts', 'cgroup', 'net'].map(ns => inBwrap(`  + --unshare-${ns}`, [...mountOnly, `--unshare-${ns}`])),
  inBwrap('  + --die-with-parent', [...mountOnly, '--die-with-parent']),
  inBwrap('  + --cap-drop ALL', [...mountOnly, '--cap-drop', 'ALL']),
  inBwrap('  + --seccomp (the network filter)', [...mountOnly, '--seccomp', '3'], true),
  inBwrap('  + --proc /proc', [...mountOnly, '--proc', '/proc']),
  inBwrap('  + --dev /dev', [...mountOnly, '--dev', '/dev']),
  inBwrap('  + --tmpfs /tmp', [...mountOnly, '--tmpfs', '/tmp']),
  inBwrap('  + /dev as a tmpfs with 5 nodes bound', [...mountOnly, '--tmpfs', '/dev', ...['null', 'zero', 'full', 'random', 'urandom'].flatMap(node => ['--dev-bind', `/dev/${node}`, `/dev/${node}`])]),
  inBwrap('bwrap: the peer\'s view, no other step', view),
  inBwrap('bwrap: the same without the /etc files', without(view, { '--ro-bind-try': 2 })),
  inBwrap('bwrap: the view, --unshare-all (the old way)', [...view, '--die-with-parent', '--unshare-all', '--cap-drop', 'ALL']),
  inBwrap('bwrap: the view, --unshare-all --share-net', [...view, '--die-with-parent', '--unshare-all', '--share-net', '--cap-drop', 'ALL']),
  { name: 'as the peer runs it (prlimit, bwrap)', file: peer.file, args: peer.args, filtered: peer.fd3 != null }
]

/** `args` without each of these flags and the given count of values after it. */
function without (args: string[], flags: Record<string, number>): string[] {
  const kept: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] in flags) i += flags[args[i]]
    else kept.push(args[i])
  }
  return kept
}

function timeRun (variant: Variant): number {
  const fd = variant.filtered === true ? openSync(filterFile, 'r') : undefined
  const started = process.hrtime.bigint()
  const result = spawnSync(variant.file, variant.args, { stdio: ['ignore', 'ignore', 'pipe', ...(fd == null ? [] : [fd])] })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (fd != null) closeSync(fd)
  if (result.status !== 0) throw new Error(`${variant.name} failed: ${String(result.stderr)}`)
  return ms
}

const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * q)]
try {
  // Warm-up: the page cache and bwrap's first run.
  for (const variant of variants) timeRun(variant)
  const times = variants.map(() => [] as number[])
  for (let run = 0; run < runs; run++) variants.forEach((variant, v) => times[v].push(timeRun(variant)))
  const over = (v: number, base: number): string => quantile(times[v].map((ms, i) => ms - times[base][i]), 0.5).toFixed(2).padStart(6)
  console.log(`a no-op, ${runs} runs of each variant, taking turns; medians, and medians of the paired differences:`)
  variants.forEach(({ name }, v) => {
    const step = name.startsWith('  +') ? `, ${over(v, MOUNT_ONLY)} ms over the mount namespace only` : ''
    console.log(`  ${name.padEnd(46)} median ${quantile(times[v], 0.5).toFixed(2).padStart(6)} ms, p90 ${quantile(times[v], 0.9).toFixed(2).padStart(6)} ms, ${over(v, 0)} ms over the bare no-op${step}`)
  })
} finally {
  rmSync(root, { recursive: true, force: true })
}
