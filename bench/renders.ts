/**
 * 100 OpenSCAD renders through a 2-peer mesh (each peer renders one at a time, so the mesh uses the same 2
 * cores; `--peers` makes it bigger, on the same cores: a job's mesh cost as the mesh grows) against `xargs -P2 openscad` on the same 100 distinct files, in the same run. Also the peers' peak RSS,
 * and the floor: the same files through the peer's own executor from a bare Node process (bench/render-floor.ts),
 * which is what running tools with execa from Node costs before any market, blob or job store.
 * `--design second` renders parts that take openscad about a second of CPU each, what a workshop renders,
 * instead of tiny ones; `--skip-floor` leaves the floor out (with second-long designs it is the longest step).
 * Run as root after `npm run build`:  node dist/bench/renders.js [--files 100] [--runs 3] [--peers 2] [--design tiny|second] [--skip-floor] [--smoke]
 * `--smoke` (4 files, 1 run unless given) checks that the bench works.
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createLan, waitFor } from '../test/lan/harness.js'
import type { Lan, MeshNode } from '../test/lan/harness.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, files: { type: 'string', default: smoke ? '4' : '100' }, runs: { type: 'string', default: smoke ? '1' : '3' }, peers: { type: 'string', default: '2' }, design: { type: 'string', default: 'tiny' }, 'skip-floor': { type: 'boolean', default: false } } })
const count = Number(values.files)
const runs = Number(values.runs)
const peers = Number(values.peers)
if (values.design !== 'tiny' && values.design !== 'second') throw new Error(`--design is tiny or second, not ${values.design}`)
const design = values.design

const here = dirname(fileURLToPath(import.meta.url))
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const statFields = (pid: number | 'self'): number[] => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number)
/** CPU seconds a process used itself (utime + stime, in 1/100 s), not counting the tools it ran. */
function cpuSeconds (pid: number | 'self'): number {
  const fields = statFields(pid)
  return (fields[11] + fields[12]) / 100
}
/** CPU seconds of the finished children a process waited for, and theirs (cutime + cstime): the tools. */
function toolCpuSeconds (pid: number | 'self'): number {
  const fields = statFields(pid)
  return (fields[13] + fields[14]) / 100
}

const peakRssMb = (pid: number): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

async function json (lan: Lan, node: MeshNode, args: string[]): Promise<any> {
  const result = await lan.runCli(node, [...args, '--json'], 300_000)
  if (result.code !== 0) throw new Error(`meshnode ${args.join(' ')} failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

async function designs (dir: string, run: number): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const files: string[] = []
  for (let i = 0; i < count; i++) {
    const file = join(dir, `part-${run}-${i}.scad`)
    // Distinct parts, so no render is answered from the stage cache: the hole's place differs in every file. A
    // sphere cut by six holes takes OpenSCAD 2021.01 (CGAL) about a second of CPU at 32 facets.
    await writeFile(file, design === 'tiny'
      ? `$fn = 48;\ndifference() { cube([${20 + i % 7}, ${15 + run}, 8]); translate([${10 + i / 1000}, 7, -1]) cylinder(d = ${3 + (i % 5) / 2}, h = 10); }\n`
      : `$fn = 32;\ndifference() { sphere(${20 + run}); for (a = [0:5]) rotate([0, 0, a * 60]) translate([${12 + i / 1000}, 0, 0]) cylinder(d = ${5 + (i % 5) / 2}, h = 50, center = true); }\n`)
    files.push(file)
  }
  return files
}

async function main (): Promise<void> {
  const lan = await createLan(undefined, { size: peers })
  try {
    const config = join(lan.dir, 'render.json')
    await writeFile(config, JSON.stringify({ offers: ['scad'], market: { maxConcurrent: 1 }, tools: { embedded: { openscad: false } } }))
    // Three minutes to be ready, not the tests' 30 s: ten peers starting together on a loaded 2-core machine took longer.
    const nodes = Array.from({ length: peers }, (_, i) => lan.launch(i, { args: ['--config', config] }))
    await Promise.all(nodes.map(async node => lan.waitReady(node, 180_000)))
    await waitFor(async () => (await lan.peers(nodes[0])).length === peers - 1, { timeoutMs: 60_000, what: `the ${peers} peers to meet` })
    // What the idle mesh costs (heartbeats, capability records), so the per-render figure can be read without it.
    const idleMs = smoke ? 500 : 5000
    const idleRate = async (): Promise<number> => {
      const idleBefore = nodes.map(n => cpuSeconds(n.process.pid))
      await new Promise(resolve => setTimeout(resolve, idleMs))
      return nodes.reduce((sum, n, i) => sum + cpuSeconds(n.process.pid) - idleBefore[i], 0) * 1000 / (idleMs / 1000)
    }
    const idleBeforeMsPerS = await idleRate()
    console.log(`the ${peers} idle daemons: ${idleBeforeMsPerS.toFixed(0)} ms of CPU a second together`)
    const mesh: number[] = []
    const xargs: number[] = []
    const floor: number[] = []
    const daemonCpuMs: number[] = []
    const storedMs: number[] = []
    const firstMs: number[] = []
    const meshToolCpuMs: number[] = []
    const xargsToolCpuMs: number[] = []
    const cliCpuMs: number[] = []
    for (let run = 0; run < runs; run++) {
      const meshFiles = await designs(join(lan.dir, `mesh-${run}`), run)
      const cpuBefore = nodes.map(n => cpuSeconds(n.process.pid))
      const toolCpuBefore = nodes.map(n => toolCpuSeconds(n.process.pid))
      // The CLI is this process's child, so once it has exited its CPU counts among this process's children's.
      const cliCpuBefore = toolCpuSeconds('self')
      const started = Date.now()
      // As a user would: one submit that waits for the whole batch (a failed job makes it exit non-zero).
      const jobs = await json(lan, nodes[0], ['submit', ...meshFiles, '--pipeline', 'scad'])
      mesh.push((Date.now() - started) / 1000)
      cliCpuMs.push((toolCpuSeconds('self') - cliCpuBefore) * 1000 / count)
      storedMs.push(Math.max(...jobs.map((j: any) => j.createdAt)) - started)
      firstMs.push(Math.min(...jobs.map((j: any) => j.stages[0].startedAt)) - started)
      daemonCpuMs.push(nodes.reduce((sum, n, i) => sum + cpuSeconds(n.process.pid) - cpuBefore[i], 0) * 1000 / count)
      meshToolCpuMs.push(nodes.reduce((sum, n, i) => sum + toolCpuSeconds(n.process.pid) - toolCpuBefore[i], 0) * 1000 / count)
      if (jobs.length !== count || jobs.some((j: any) => j.state !== 'done')) throw new Error(`${jobs.filter((j: any) => j.state === 'done').length} of ${count} renders done`)

      const cached = jobs.filter((j: any) => j.stages[0].cached === true).length
      if (cached > 0) throw new Error(`${cached} of ${count} renders came from the stage cache: the designs are not distinct`)

      // The same files, as the target says.
      const t0 = Date.now()
      const xargsCpuBefore = toolCpuSeconds('self')
      execFileSync('sh', ['-c', 'printf "%s\\n" "$@" | xargs -P2 -I{} openscad -o {}.stl {} 2>/dev/null', 'sh', ...meshFiles])
      xargs.push((Date.now() - t0) / 1000)
      xargsToolCpuMs.push((toolCpuSeconds('self') - xargsCpuBefore) * 1000 / count)

      console.log(`run ${run + 1}: mesh ${mesh.at(-1)?.toFixed(2)} s (all ${count} jobs stored after ${storedMs.at(-1)} ms, the first render confirmed after ${firstMs.at(-1)} ms), xargs -P2 openscad ${xargs.at(-1)?.toFixed(2)} s; the ${peers} daemons' own CPU ${daemonCpuMs.at(-1)?.toFixed(0)} ms per render, submit's ${cliCpuMs.at(-1)?.toFixed(1)} ms; openscad's CPU per render ${meshToolCpuMs.at(-1)?.toFixed(0)} ms in the mesh, ${xargsToolCpuMs.at(-1)?.toFixed(0)} ms under xargs`)
      if (values['skip-floor'] === true) continue
      const floorDir = join(lan.dir, `floor-${run}`)
      const floorRun = JSON.parse(execFileSync(process.execPath, [join(here, 'render-floor.js'), floorDir, ...meshFiles], { encoding: 'utf8' }))
      floor.push(floorRun.seconds)
      console.log(`  floor: the executor alone from a bare Node process ${floorRun.seconds.toFixed(2)} s (${(floorRun.seconds / xargs[run]).toFixed(2)}x xargs); its own CPU ${floorRun.selfCpuMs.toFixed(1)} ms per render, openscad's ${floorRun.toolCpuMs.toFixed(0)} ms`)
    }
    const floorNote = floor.length > 0 ? `; floor ${median(floor).toFixed(2)} s, ${(median(floor) / median(xargs)).toFixed(2)}x` : ''
    console.log(`${count} ${design} renders on ${peers} peers (load ${loadavg()[0].toFixed(1)}), median of ${runs}: mesh ${median(mesh).toFixed(2)} s, xargs -P2 ${median(xargs).toFixed(2)} s, ratio ${(median(mesh) / median(xargs)).toFixed(2)}x${floorNote}`)
    // Measured again after the batches, the machine's load having changed meanwhile: the mean of the two is taken out.
    const idleAfterMsPerS = await idleRate()
    const idleCpuMsPerS = (idleBeforeMsPerS + idleAfterMsPerS) / 2
    console.log(`the ${peers} idle daemons after the batches: ${idleAfterMsPerS.toFixed(0)} ms of CPU a second together`)
    console.log(`daemons' own CPU per render, median: ${median(daemonCpuMs).toFixed(1)} ms, ${(median(daemonCpuMs) - idleCpuMsPerS * median(mesh) / count).toFixed(1)} ms without what the idle mesh costs over the batch`)
    console.log(`peak RSS: ${nodes.map(n => `${n.name} ${peakRssMb(n.process.pid).toFixed(0)} MB`).join(', ')}`)
  } finally {
    await lan.close()
  }
}

await main()
