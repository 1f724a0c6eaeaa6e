import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

/**
 * Every benchmark the build writes to dist/bench/*.js runs here with `--smoke`: a few iterations, no target
 * asserted, so a bench that no longer runs (a renamed function, a moved path) fails CI instead of the next
 * person who measures. A new bench joins by following BENCHMARKS.md's convention; there is no list to update.
 */
const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url))
const benches = readdirSync(benchDir).filter(name => name.endsWith('.js')).sort()
/** A smoke run takes seconds; this bounds one that hangs, on a busy machine. */
const SMOKE_TIMEOUT_MS = 90_000
const OUTPUT_CAP = 4 * 1024 * 1024

test('the build wrote the benchmarks', () => {
  assert.ok(benches.length > 0, `dist/bench has scripts: ${benches.join(', ')}`)
})

for (const bench of benches) {
  test(`bench/${bench} --smoke runs and exits 0`, async () => {
    const outcome = await new Promise<{ error: (Error & { code?: unknown, signal?: unknown }) | null, stdout: string, stderr: string }>(resolve => {
      // SIGTERM on timeout: the LAN benches remove their namespaces and daemons on it.
      execFile(process.execPath, [benchDir + bench, '--smoke'], { timeout: SMOKE_TIMEOUT_MS, killSignal: 'SIGTERM', maxBuffer: OUTPUT_CAP, encoding: 'utf8' }, (error, stdout, stderr) => {
        resolve({ error, stdout, stderr })
      })
    })
    const ended = outcome.error === null ? 'exit 0' : `code ${String(outcome.error.code)}, signal ${String(outcome.error.signal)}`
    assert.equal(outcome.error, null, `${bench} --smoke ended with ${ended}; stderr:\n${outcome.stderr.slice(-4000)}\nstdout:\n${outcome.stdout.slice(-2000)}`)
  })
}
