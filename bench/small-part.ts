/**
 * One small part end to end: `meshnode submit part.scad --pipeline scad -o part.stl` on a 2-peer LAN (the
 * submitting peer offers nothing, so the render crosses the network), from the CLI's start to the file
 * written. The CLI runs as a user runs it, on the machine, not inside the namespace (its control socket is a
 * file). Median and p90 over N runs; each run a new design so the stage cache never answers.
 * Run as root after `npm run build`:  node dist/bench/small-part.js [--runs 15]
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLan, waitFor } from '../test/lan/harness.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } })
const runs = Number(values.runs)

async function main (): Promise<void> {
  const lan = await createLan(undefined, { size: 2 })
  try {
    const [requester, renderer] = await lan.startAll(i => ({ args: i === 0 ? ['--offer', 'none'] : ['--offer', 'scad'] }))
    await waitFor(async () => (await lan.peers(requester)).some(p => p.offers.includes('scad')), { timeoutMs: 30_000, what: 'the renderer to be listed' })
    const times: number[] = []
    const stages: number[] = []
    for (let run = 0; run < runs; run++) {
      const design = join(lan.dir, `part-${run}.scad`)
      await writeFile(design, `cube([${10 + run}, 10, 5]);\n`)
      const out = join(lan.dir, `part-${run}.stl`)
      const started = process.hrtime.bigint()
      const result = await lan.runCliOnHost(requester, ['submit', design, '--pipeline', 'scad', '-o', out])
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`)
      times.push(ms)
      const job = JSON.parse((await lan.runCli(requester, ['jobs', '--json'])).stdout).at(-1)
      stages.push(job.stages[0].finishedAt - job.stages[0].startedAt)
    }
    const sorted = [...times].sort((a, b) => a - b)
    const median = sorted[Math.floor(runs / 2)]
    const p90 = sorted[Math.floor(runs * 0.9)]
    const render = [...stages].sort((a, b) => a - b)[Math.floor(runs / 2)]
    console.log(`submit part.scad --pipeline scad -o part.stl on a 2-peer LAN, ${runs} runs: median ${(median / 1000).toFixed(3)} s, p90 ${(p90 / 1000).toFixed(3)} s (the render itself: median ${render} ms on ${renderer.name})`)
  } finally {
    await lan.close()
  }
}

await main()
