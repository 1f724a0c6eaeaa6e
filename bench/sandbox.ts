/**
 * What the sandbox costs per tool run. One process, the peer's own executors, runs taking turns so a change of
 * the machine's speed hits every variant alike:
 *   - a no-op tool (`cp` as a custom service) and the small part (`cube([10, 10, 5])` in native OpenSCAD),
 *   - each run as before the sandbox (setpriv, the tool), with the limits only (setpriv, prlimit, the tool:
 *     what `tools.sandbox: false` does), in the sandbox with its network namespace alone (as the first
 *     sandbox did, and still does where there is no seccomp filter for the architecture) and in the sandbox
 *     as it is (prlimit, bwrap with the namespace and the seccomp filter: bwrap dies with the peer by itself).
 * Prints the median and p90 wall time of each, and each sandbox's median cost over the run without it.
 * Run after `npm run build`:  node dist/bench/sandbox.js [--runs 60] [--smoke]
 * `--smoke` (3 runs unless given) checks that the bench works.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { findExecutable } from '../src/capabilities/probe-cache.js'
import { defaultConfig, toolLimits } from '../src/config/node-config.js'
import { CustomServiceExecutor } from '../src/executors/custom-service.js'
import { OpenscadNativeExecutor } from '../src/executors/openscad-native.js'
import { BwrapSandbox, findConfinement, type ToolConfinement } from '../src/executors/sandbox.js'
import { parseServiceConfig } from '../src/config/service-config.js'
import type { Executor } from '../src/executors/executor.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, runs: { type: 'string', default: smoke ? '3' : '60' } } })
const runs = Number(values.runs)

/** The tool as it ran before this change: no limits, no sandbox (setpriv is added by runTool for all). */
const asBefore: ToolConfinement = {
  command: (file, args, _view, _limits, env) => ({ file, args, env: env ?? {}, extendEnv: env == null, diesWithParent: false })
}
const limitsOnly = await findConfinement(false)
const sandbox = await findConfinement(true)
const withNetworkNamespace = await findConfinement(true, null)
if (!(sandbox instanceof BwrapSandbox) || !(withNetworkNamespace instanceof BwrapSandbox)) throw new Error('bubblewrap is needed for this bench')
const openscad = await findExecutable('openscad')
if (openscad == null) throw new Error('openscad is not installed')
const variants: Array<[string, ToolConfinement]> = [
  ['before (setpriv)', asBefore],
  ['limits only (+ prlimit)', limitsOnly],
  ['sandbox, network namespace alone', withNetworkNamespace],
  ['sandbox, namespace + seccomp filter', sandbox]
]
const noop = parseServiceConfig({ name: 'noop', command: '/usr/bin/cp', args: ['{input}', '{output}'], outputExtension: 'out', timeoutSec: 60 }, 'services[0]')
const tools: Array<{ name: string, file: string, text: string, make: (c: ToolConfinement) => Executor }> = [
  { name: 'no-op tool (cp)', file: 'part.txt', text: 'a part\n', make: c => new CustomServiceExecutor(noop, c) },
  { name: 'small part (openscad)', file: 'part.scad', text: 'cube([10, 10, 5]);\n', make: c => new OpenscadNativeExecutor(openscad, 'bench', c) }
]
const limits = toolLimits(defaultConfig())
const root = await mkdtemp(join(tmpdir(), 'meshnode-bench-sandbox-'))

async function timeRun (executor: Executor, file: string, text: string, index: number): Promise<number> {
  const workDir = await mkdtemp(join(root, `run-${index}-`))
  await writeFile(join(workDir, file), text)
  const started = process.hrtime.bigint()
  await executor.run({
    workDir,
    input: { path: join(workDir, file), name: file },
    extraFiles: [],
    params: {},
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    limits,
    onLog: () => {},
    onProgress: () => {}
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  await rm(workDir, { recursive: true, force: true })
  return ms
}

const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * q)]
try {
  let index = 0
  for (const tool of tools) {
    const times = variants.map(() => [] as number[])
    const executors = variants.map(([, c]) => tool.make(c))
    // Warm-up: the first runs load execa and fill the page cache.
    for (const executor of executors) await timeRun(executor, tool.file, tool.text, index++)
    for (let run = 0; run < runs; run++) {
      for (let v = 0; v < variants.length; v++) times[v].push(await timeRun(executors[v], tool.file, tool.text, index++))
    }
    console.log(`${tool.name}, ${runs} runs each, taking turns:`)
    variants.forEach(([name], v) => console.log(`  ${name.padEnd(28)} median ${quantile(times[v], 0.5).toFixed(2)} ms, p90 ${quantile(times[v], 0.9).toFixed(2)} ms`))
    for (const v of [2, 3]) {
      const paired = times[v].map((ms, i) => ms - times[0][i])
      console.log(`  ${variants[v][0]} - before, median of the paired differences: ${quantile(paired, 0.5).toFixed(2)} ms`)
    }
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
