import { logger } from '@libp2p/logger'
import { SandboxUnavailableError } from '../executors/errors.js'
import { NoConfinement, type ToolConfinement } from '../executors/sandbox.js'
import type { Executor } from '../executors/executor.js'

const log = logger('meshnode:tools')

/**
 * The executors a node may keep given its confinement. Without a sandbox, a native tool the node offers
 * stops the start with the reason; one it does not offer is left out. Embedded engines see only the files
 * handed to them and need none.
 */
export function confinedExecutors (executors: Executor[], confinement: ToolConfinement, offered: (stage: string) => boolean): Executor[] {
  if (!(confinement instanceof NoConfinement)) return executors
  const native = executors.filter(e => !e.tool.embedded)
  const refused = native.filter(e => offered(e.tool.stage))
  if (refused.length > 0) throw new SandboxUnavailableError(refused.map(e => e.tool.path ?? e.tool.name), confinement.reason)
  for (const { tool } of native) log('%s: %s left out, no sandbox for it (%s)', tool.stage, tool.name, confinement.reason)
  return executors.filter(e => e.tool.embedded)
}
