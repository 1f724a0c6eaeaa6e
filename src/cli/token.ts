import { SCOPES, isScope } from '../api/caller.js'
import { UsageError, type Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { printJson, withDaemon } from './run-action.js'

export const tokenCreate: Command = {
  args: [{ name: '<name>', help: 'who or what the token is for, e.g. "dashboard" or "alice-laptop"' }],
  flags: [
    { spec: '--scope <scope>', help: `what it may do: ${SCOPES.join(', ')} (each includes the ones before it)`, required: true },
    DATA_DIR_FLAG
  ],
  epilog: 'The token is printed once; only its hash is kept. Send it as "Authorization: Bearer TOKEN".\nExample:\n  meshnode token create dashboard --scope read',
  run: async ([name], flags: { scope: string, dataDir?: string }) => {
    if (!isScope(flags.scope)) throw new UsageError(`--scope takes ${SCOPES.join(', ')}, not "${flags.scope}"`)
    const made = await withDaemon(dataDirOf(flags), async c => c.call('token.create', { name, scope: flags.scope }))
    process.stdout.write(`${String(made.token)}\n`)
    process.stderr.write(`token "${String(made.name)}" (scope ${String(made.scope)}): shown this once, keep it somewhere safe\n`)
  }
}

export const tokenList: Command = {
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async (_args, flags: { json?: boolean, dataDir?: string }) => {
    const list: Array<{ name: string, scope: string, createdAt: number }> = await withDaemon(dataDirOf(flags), async c => c.call('token.list'))
    if (flags.json === true) return printJson(list)
    if (list.length === 0) process.stdout.write('no tokens: the HTTP API answers only on loopback, to anyone on this machine\n')
    for (const t of list) process.stdout.write(`${t.name.padEnd(20)} ${t.scope.padEnd(9)} made ${new Date(t.createdAt).toISOString()}\n`)
  }
}

export const tokenRevoke: Command = {
  args: [{ name: '<name>', help: 'the token\'s name' }],
  flags: [DATA_DIR_FLAG],
  run: async ([name], flags: { dataDir?: string }) => {
    await withDaemon(dataDirOf(flags), async c => c.call('token.revoke', { name }))
    process.stdout.write(`token "${name}" revoked\n`)
  }
}
