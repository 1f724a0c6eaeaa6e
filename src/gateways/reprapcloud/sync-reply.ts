import type { FastifyReply } from 'fastify'
import type { RelayTasks } from './relay-tasks.js'
import type { TaskRecord } from './task-record.js'

/**
 * The submit's reply, held until the task ends. The relay's synchronous clients read it only then: its CGI's
 * child kept the connection open while the tool ran, and its client's poll loop breaks on a `busy` answer. The
 * hold ends at the relay's timeout, or when the client hangs up (the task goes on either way).
 */
export async function heldUntilEnded (tasks: Pick<RelayTasks, 'ended'>, task: TaskRecord, timeoutSec: number, reply: FastifyReply): Promise<TaskRecord> {
  if (task.status !== 'busy') return task
  const gone = new AbortController()
  const hangUp = (): void => { gone.abort() }
  reply.raw.once('close', hangUp)
  try {
    return (await tasks.ended(task.id, AbortSignal.any([gone.signal, AbortSignal.timeout(timeoutSec * 1000)]))) ?? task
  } finally {
    reply.raw.off('close', hangUp)
  }
}
