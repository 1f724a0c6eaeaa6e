import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { packageRoot } from '../paths.js'
import type { Command } from './command.js'
import type { JobRecord } from '../jobs/job.js'
import type { DemoMesh } from '../demo/demo-mesh.js'

export const demo: Command = {
  args: [{ name: '[file]', help: 'an OpenSCAD design (default: examples/bracket.scad)' }],
  flags: [
    { spec: '-D, --define <name=value>', help: 'an OpenSCAD parameter, repeatable', repeatable: true },
    { spec: '--dir <dir>', help: 'where the peers\' data dirs, logs and outputs go (default: a new temp dir)' },
    { spec: '--keep', help: 'leave the demo mesh up after the job, to look around in the dashboard; Ctrl-C stops it' }
  ],
  epilog: 'The peers are real meshnode processes: a workstation (scad), a build server (slice) and a\nprinter Pi with a virtual printer. Each serves the dashboard; the demo prints its address.\nCtrl-C stops all three.',
  run: async ([file], flags: DemoFlags) => runDemoMesh(file, flags)
}

interface DemoFlags {
  define?: string[]
  dir?: string
  keep?: boolean
}

async function runDemoMesh (file: string | undefined, flags: DemoFlags): Promise<number> {
  const design = resolve(file ?? join(packageRoot(), 'examples', 'bracket.scad'))
  const baseDir = flags.dir != null ? resolve(flags.dir) : await mkdtemp(join(tmpdir(), 'meshnode-demo-'))
  process.stdout.write(`starting three peers on loopback (data dirs and logs in ${baseDir})\n`)
  // Loaded here, not at the top: it pulls in child_process and its streams, which every other command would pay for.
  const { DemoMesh } = await import('../demo/demo-mesh.js')
  const mesh = await DemoMesh.plan(baseDir)
  // Ctrl-C stops the peers whenever it comes, also while they are starting: none may outlive the demo.
  let interrupted = false
  let onInterrupt = (): void => {}
  const stopped = new Promise<void>(resolve => { onInterrupt = resolve })
  const onSigint = (): void => {
    interrupted = true
    process.stdout.write('\nstopping the demo peers\n')
    onInterrupt()
    mesh.stop().catch(() => {})
  }
  process.once('SIGINT', onSigint)
  try {
    const code = await runDemo(mesh, design, flags, baseDir)
    if (flags.keep === true && !interrupted) {
      process.stdout.write(`\nthe demo mesh stays up (--keep): look around in the dashboard at ${await dashboardOf(mesh)}; Ctrl-C stops it\n`)
      await stopped
      return code
    }
    return interrupted ? 130 : code
  } catch (err) {
    // Stopping the peers fails whatever the demo was waiting on: after Ctrl-C that is no error.
    if (interrupted) return 130
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    await mesh.stop()
  }
}

async function runDemo (mesh: DemoMesh, design: string, flags: { define?: string[] }, baseDir: string): Promise<number> {
  await mesh.start()
  const [workstation] = mesh.peers
  for (const peer of mesh.peers) {
    const status = await mesh.call(peer, 'status')
    const tools = status.tools.map((t: any) => `${t.name} ${t.version}${t.embedded === true ? ' (embedded WebAssembly)' : ' (native)'}`)
    const printers = status.printers.map((p: any) => `printer ${p.name} (${p.state}, ${p.material})`)
    process.stdout.write(`  ${peer.name.padEnd(13)} offers ${status.offers.join(', ').padEnd(6)} ${[...tools, ...printers].join(', ')}\n`)
  }
  process.stdout.write(`\ndashboard: ${await dashboardOf(mesh)} (the workstation, which submits the job; every peer serves one)\n`)
  const params = Object.fromEntries((flags.define ?? []).map(d => d.split('=', 2) as [string, string]))
  const [submitted]: JobRecord[] = await mesh.call(workstation, 'submit', { files: [design], pipeline: ['scad', 'slice', 'print'], options: { params } })
  process.stdout.write(`\nsubmitted ${submitted.input.name} as job ${submitted.id}\n`)
  const progress = await (await import('./stage-progress.js')).stageProgress(1)
  let job: JobRecord
  try {
    [job] = await mesh.call(workstation, 'watch', { ids: [submitted.id] }, (event: { jobs: JobRecord[] }) => { progress.update(event.jobs) })
  } finally {
    progress.stop()
  }
  if (job.state !== 'done') {
    process.stderr.write(`meshnode: the demo job ${job.state}: ${job.error ?? job.stages.find(s => s.error != null)?.error ?? ''}\n`)
    return 1
  }
  const files = []
  for (const stage of job.stages) {
    const name = stage.output?.name ?? `stage-${stage.index}`
    files.push(await mesh.call(workstation, 'get', { id: job.id, stage: stage.index, out: join(baseDir, name) }))
  }
  await printSummary(job, files.map(f => f.path), mesh)
  return 0
}

/** The workstation's dashboard: it submits the demo job, so its Jobs view holds it. */
async function dashboardOf (mesh: DemoMesh): Promise<string> {
  const status = await mesh.call(mesh.peers[0], 'status')
  return `${String(status.http)}/`
}

async function printSummary (job: JobRecord, paths: string[], mesh: DemoMesh): Promise<void> {
  const total = ((job.updatedAt - job.createdAt) / 1000).toFixed(1)
  process.stdout.write(`\nsummary: job ${job.id} done in ${total} s\n`)
  job.stages.forEach((stage, i) => {
    const seconds = stage.startedAt != null && stage.finishedAt != null ? `${((stage.finishedAt - stage.startedAt) / 1000).toFixed(1)} s` : ''
    process.stdout.write(`  ${stage.kind.padEnd(6)} on ${(stage.peerName ?? '').padEnd(13)} ${seconds.padStart(7)}  ${stage.tool ?? ''}  -> ${paths[i]}\n`)
  })
  const report = JSON.parse(await readFile(paths[paths.length - 1], 'utf8'))
  process.stdout.write(`  printed ${String(report.linesAcked)} G-code lines (${String(report.layers)} layers) on ${String(report.printer)}; the printer's record of every command: ${String(report.recordFile)}\n`)
  process.stdout.write(`  peer logs: ${mesh.peers.map(p => p.log).join(', ')}\n`)
}
