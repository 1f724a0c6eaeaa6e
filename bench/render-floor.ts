/**
 * The floor under the renders bench: a bare Node process runs the given designs through the peer's own
 * OpenSCAD executor (execa, setpriv, a fresh job folder each), two at a time, with no market, blob store or
 * job store. Prints one JSON line: wall seconds, this process's CPU and the tools' CPU per render.
 * Run by bench/renders.ts:  node dist/bench/render-floor.js DIR FILE...
 * `--smoke` renders two small designs of its own in a temporary folder: a check that the bench works.
 */
import { readFileSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { findExecutable } from '../src/capabilities/probe-cache.js'
import { defaultConfig, toolLimits } from '../src/config/node-config.js'
import { OpenscadNativeExecutor } from '../src/executors/openscad-native.js'
import { findConfinement } from '../src/executors/sandbox.js'

const smoke = process.argv.includes('--smoke')
const [dir, ...files] = smoke ? await smokeDesigns() : process.argv.slice(2)
const openscad = await findExecutable('openscad')
if (openscad == null) throw new Error('openscad is not installed')
const executor = new OpenscadNativeExecutor(openscad, 'bench', await findConfinement(true))

const statFields = (): number[] => readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ').map(Number)

async function render (file: string, index: number): Promise<void> {
  const workDir = join(dir, `floor-${index}`)
  await mkdir(workDir, { recursive: true })
  const name = basename(file)
  await copyFile(file, join(workDir, name))
  await executor.run({
    workDir,
    input: { path: join(workDir, name), name },
    extraFiles: [],
    params: {},
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    limits: toolLimits(defaultConfig()),
    onLog: () => {},
    onProgress: () => {}
  })
}

const before = statFields()
const started = performance.now()
let next = 0
async function worker (): Promise<void> {
  while (next < files.length) {
    const index = next++
    await render(files[index], index)
  }
}
await Promise.all([worker(), worker()])
const seconds = (performance.now() - started) / 1000
const after = statFields()
const perRender = (a: number, b: number): number => (after[a] + after[b] - before[a] - before[b]) * 10 / files.length
console.log(JSON.stringify({ seconds, selfCpuMs: perRender(11, 12), toolCpuMs: perRender(13, 14) }))
if (smoke) await rm(dir, { recursive: true, force: true })

async function smokeDesigns (): Promise<string[]> {
  const folder = await mkdtemp(join(tmpdir(), 'meshnode-bench-floor-'))
  const designs = [join(folder, 'a.scad'), join(folder, 'b.scad')]
  await writeFile(designs[0], 'cube([10, 10, 5]);\n')
  await writeFile(designs[1], 'cube([12, 10, 5]);\n')
  return [folder, ...designs]
}
