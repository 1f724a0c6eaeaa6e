import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { MeshNode } from '../../src/node/mesh-node.js'

const run = promisify(execFile)

/** The relay client's own line rule (string2meta in rrcloud): a value is at least two characters on one line. */
const LINE = /^([^\s:]+): (\S.+)\s*$/

/** A reply as the relay's Perl client reads it: every line that matches its rule, by key. */
export function parseRelayReply (text: string): Record<string, string> {
  const record: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = LINE.exec(line)
    if (match != null) record[match[1]] = match[2]
  }
  return record
}

/** Runs the real curl as the relay's client does (`curl -s -F k=v ... URL`), bounded; gives its output. */
export async function curl (args: string[], timeoutSec = 240): Promise<string> {
  const { stdout } = await run('curl', ['-s', '--max-time', String(timeoutSec), ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' })
  return stdout
}

/** The base URL of a peer's RepRapCloud gateway. */
export function relayUrl (node: MeshNode): string {
  if (node.reprapcloud == null) throw new Error(`${node.config.name} has no RepRapCloud gateway`)
  return node.reprapcloud.url
}
