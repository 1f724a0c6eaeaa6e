import { open } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import type { DesignType } from './design-type.js'

const log = logger('meshnode:library:classify')

/** The start of a file a classify service is shown. */
const SAMPLE_BYTES = 64 * 1024
const CLASSIFY_TIMEOUT_MS = 10_000
const MAX_ANSWER_BYTES = 4096
const TYPES: readonly string[] = ['scad', 'stl', '3mf', 'gcode']

/**
 * Asks a classify service (`library.classifyUrl`) the type of a file the library did not recognise: the file's
 * first 64 KiB are POSTed with its name in `X-File-Name`, and the answer `{ "type": "stl" }` names one of the
 * known types, or none. The answer only picks among the known types; anything else counts as no type.
 */
export async function classifyByService (url: string, path: string, name: string): Promise<DesignType | undefined> {
  const handle = await open(path, 'r')
  let sample: Buffer
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0)
    sample = buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(name) },
      body: sample,
      signal: AbortSignal.timeout(CLASSIFY_TIMEOUT_MS)
    })
    const text = await response.text()
    if (!response.ok || text.length > MAX_ANSWER_BYTES) return undefined
    const type = JSON.parse(text)?.type
    return typeof type === 'string' && TYPES.includes(type) ? type as DesignType : undefined
  } catch (err) {
    log('the classify service at %s failed for %s %e', url, name, err)
    return undefined
  }
}
