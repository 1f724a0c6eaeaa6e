import { BwrapSandbox, findConfinement } from '../../src/executors/sandbox.js'
import type { ToolLimits } from '../../src/config/node-config.js'

/** The sandbox a node on this machine gives its tools; the tests need bubblewrap (CI installs it) and say so. */
export async function sandbox (): Promise<BwrapSandbox> {
  const found = await findConfinement(true)
  if (!(found instanceof BwrapSandbox)) throw new Error(`these tests run native tools in bubblewrap, and there is none: ${(found as { reason?: string }).reason ?? 'unknown'}`)
  return found
}

/** Roomy limits for tests that are not about limits. */
export const TEST_LIMITS: ToolLimits = { memoryMiB: 4096, outputMiB: 256 }
