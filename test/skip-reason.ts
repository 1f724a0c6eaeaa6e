import type { TestContext } from 'node:test'

/**
 * Skips a test whose tool or privilege this machine lacks, with the reason printed; in CI, where .ci/run
 * installs every tool and runs as root, the same lack fails the test instead, so nothing skips there.
 */
export function skipOutsideCi (t: TestContext, reason: string): void {
  if (process.env.CI != null) throw new Error(`${reason}: CI must run this test (.ci/run installs what it needs)`)
  process.stderr.write(`skipping: ${reason}\n`)
  t.skip(reason)
}
