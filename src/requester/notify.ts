import type { JobRecord } from '../jobs/job.js'

const NOTIFY_TIMEOUT_MS = 10_000

/** POSTs the finished job as JSON to the submitter's URL, `$id` replaced by the job id. */
export async function notify (url: string, job: JobRecord): Promise<void> {
  const target = url.replaceAll('$id', encodeURIComponent(job.id))
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(job),
    signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS)
  })
  if (!response.ok) throw new Error(`${target} answered ${response.status}`)
}

export function checkNotifyUrl (url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url.replaceAll('$id', 'id'))
  } catch {
    throw new Error(`--notify ${url} is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`--notify takes an http(s) URL, not ${parsed.protocol}`)
  return url
}
