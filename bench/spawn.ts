/**
 * How long `child_process.spawn()` holds the event loop, against the process's resident memory: every stage a
 * peer runs spawns its tool from the daemon. Each size runs in a fresh Node process that first fills that
 * many MiB, then spawns `true` 20 times and prints the median time spent inside spawn() itself.
 * Run after `npm run build`:  node dist/bench/spawn.js [--sizes 0,60,100,400] [--smoke]
 * `--smoke` (sizes 0,10 unless given) checks that the bench works.
 */
import { execFileSync, spawn } from 'node:child_process'
import { parseArgs } from 'node:util'

const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, sizes: { type: 'string', default: smoke ? '0,10' : '0,60,100,400' }, child: { type: 'string' } } })

async function measure (mib: number): Promise<void> {
  const held: Buffer[] = []
  for (let i = 0; i < mib; i++) held.push(Buffer.alloc(1024 * 1024, 1))
  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const child = spawn('true')
    times.push(performance.now() - started)
    await new Promise(resolve => child.once('exit', resolve))
  }
  times.sort((a, b) => a - b)
  console.log(`${held.length} MiB filled, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB: spawn() held the event loop for a median of ${times[10].toFixed(2)} ms (min ${times[0].toFixed(2)}, max ${times[19].toFixed(2)}) over ${times.length} spawns`)
}

if (values.child != null) {
  await measure(Number(values.child))
} else {
  for (const size of values.sizes.split(',').map(Number)) {
    process.stdout.write(execFileSync(process.execPath, [process.argv[1], '--child', String(size)], { encoding: 'utf8' }))
  }
}
