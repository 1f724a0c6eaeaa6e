import { UsageError, type Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'
import type { Invite } from '../net/invites.js'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000 }

export const invite: Command = {
  flags: [
    { spec: '--expires <duration>', help: 'how long the code works, e.g. 90s, 10m, 2h (default 10m, at most 24h)' },
    { spec: '--json', help: 'print JSON' },
    DATA_DIR_FLAG
  ],
  epilog: 'The code lets one machine join, once, until it expires. On that machine run:\n  npx meshnode join CODE',
  run: async (_args, flags: { expires?: string, json?: boolean, dataDir?: string }) => {
    const expiresMs = parseDuration(flags.expires ?? '10m')
    const made: Invite = await withDaemon(dataDirOf(flags), async client => client.call('invite', { expiresMs }))
    const command = `npx meshnode join ${made.code}`
    if (flags.json === true) return printJson({ ...made, command })
    const { default: qrcode } = await import('qrcode')
    const until = new Date(made.expiresAt).toLocaleTimeString()
    process.stdout.write(`An invite for one machine, until ${until}. On the machine to add, run:\n\n    ${command}\n\n`)
    process.stdout.write(await qrcode.toString(made.code, { type: 'terminal', small: true }))
    process.stdout.write(`\nIt reaches this peer at ${made.addresses.map(a => `${a.host}:${a.port}`).join(', ')} (TCP).\n`)
  }
}

export function parseDuration (text: string): number {
  const match = /^(\d{1,6})(s|m|h)$/.exec(text)
  if (match == null) throw new UsageError(`--expires "${text}" is not a duration: write e.g. 90s, 10m or 2h`)
  return Number(match[1]) * UNIT_MS[match[2]]
}
