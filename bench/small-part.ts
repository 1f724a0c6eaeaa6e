/**
 * One small part end to end: `meshnode submit part.scad --pipeline scad -o part.stl` on a 2-peer LAN (the
 * submitting peer offers nothing, so the render crosses the network), from the CLI's start to the file
 * written. The CLI runs as a user runs it, on the machine, not inside the namespace (its control socket is a
 * file). Median and p90 over N runs; each run a new design so the stage cache never answers.
 * Run as root after `npm run build`:  node dist/bench/small-part.js [--runs 15] [--other-cli PATH] [--smoke]
 * `--smoke` (2 runs unless given) checks that the bench works.
 *
 * `--other-cli PATH` (another build's dist/src/bin/meshnode.js) compares two CLIs against the same daemons:
 * runs alternate between this build's CLI and that one, so a change of the machine's speed hits both, and
 * the figure that counts is the median of the paired differences.
 */
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createLan, waitFor } from '../test/lan/harness.js'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, runs: { type: 'string', default: smoke ? '2' : '15' }, 'other-cli': { type: 'string' } } })
const runs = Number(values.runs)
const otherCli = values['other-cli'] != null ? resolve(values['other-cli']) : undefined

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const seconds = (ms: number): string => (ms / 1000).toFixed(3)

async function main (): Promise<void> {
  const lan = await createLan(undefined, { size: 2 })
  try {
    const [requester, renderer] = await lan.startAll(i => ({ args: i === 0 ? ['--offer', 'none'] : ['--offer', 'scad'] }))
    await waitFor(async () => (await lan.peers(requester)).some(p => p.offers.includes('scad')), { timeoutMs: 30_000, what: 'the renderer to be listed' })
    let part = 0
    const steps = new Map<string, number[]>()
    const submit = async (cli?: string): Promise<{ ms: number, render: number }> => {
      const design = join(lan.dir, `part-${part}.scad`)
      await writeFile(design, `cube([${10 + part}, 10, 5]);\n`)
      const out = join(lan.dir, `part-${part++}.stl`)
      const startedAt = Date.now()
      const started = process.hrtime.bigint()
      const result = await lan.runCliOnHost(requester, ['submit', design, '--pipeline', 'scad', '-o', out], undefined, cli)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`)
      const { id } = JSON.parse((await lan.runCli(requester, ['jobs', '--json'])).stdout).at(-1)
      const job = JSON.parse((await lan.runCli(requester, ['job', id, '--json'])).stdout)
      if (cli == null) {
        for (const event of job.events as Array<{ at: number, type: string }>) steps.set(event.type, [...steps.get(event.type) ?? [], event.at - startedAt])
        steps.set('file written, CLI gone', [...steps.get('file written, CLI gone') ?? [], ms])
      }
      return { ms, render: job.stages[0].finishedAt - job.stages[0].startedAt }
    }
    const mine: Array<{ ms: number, render: number }> = []
    const other: Array<{ ms: number, render: number }> = []
    for (let run = 0; run < runs; run++) {
      mine.push(await submit())
      if (otherCli != null) other.push(await submit(otherCli))
    }
    const times = mine.map(r => r.ms)
    const p90 = [...times].sort((a, b) => a - b)[Math.floor(runs * 0.9)]
    console.log(`submit part.scad --pipeline scad -o part.stl on a 2-peer LAN, ${runs} runs: median ${seconds(median(times))} s, p90 ${seconds(p90)} s (the render itself: median ${median(mine.map(r => r.render))} ms on ${renderer.name})`)
    console.log('when each of the job\'s events happened, ms from the CLI\'s start (median, this build\'s CLI):')
    for (const [step, at] of steps) console.log(`  ${step.padEnd(24)} ${median(at).toFixed(0).padStart(5)}`)
    if (otherCli != null) {
      const differences = mine.map((r, i) => other[i].ms - r.ms)
      console.log(`the other CLI (${otherCli}), alternating: median ${seconds(median(other.map(r => r.ms)))} s (render ${median(other.map(r => r.render))} ms); it took ${median(differences).toFixed(1)} ms longer than this build's, median of ${runs} pairs`)
    }
  } finally {
    await lan.close()
  }
}

await main()
