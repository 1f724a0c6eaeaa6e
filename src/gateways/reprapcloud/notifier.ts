import { logger } from '@libp2p/logger'

const log = logger('meshnode:reprapcloud')

/** The relay's curl ran without a limit; a notifier that hangs must not hold anything here for long. */
const NOTIFY_TIMEOUT_MS = 10_000

export class BadNotifierError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BadNotifierError'
  }
}

/**
 * The notifier as the task records it: `$id` and `$myip` (the submitter's address) replaced, as the relay did at
 * submit. Only http(s) URLs: the gateway will GET it, and a file: or other scheme has nothing to do here.
 */
export function notifierUrl (template: string, id: string, clientIp: string): string {
  const url = template.replaceAll('$id', id).replaceAll('$myip', clientIp.includes(':') ? `[${clientIp}]` : clientIp)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new BadNotifierError(`notifier "${template.slice(0, 80)}" is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BadNotifierError(`notifier must be an http(s) URL, not ${parsed.protocol}`)
  return url
}

/** GETs the notifier once the task has ended; the body is ignored and a failure is only logged, as the relay did. */
export async function callNotifier (url: string): Promise<void> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) })
    await response.body?.cancel()
    log('notifier %s answered %d', url, response.status)
  } catch (err) {
    log('notifier %s failed %e', url, err)
  }
}
