import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import Type from 'typebox'
import { MAX_LINE_BYTES, SOCKET_FILE, TOKEN_FILE } from '../../src/api/constants.js'
import { ControlClient } from '../../src/api/control-client.js'
import { ControlServer } from '../../src/api/control-server.js'
import { MethodTable } from '../../src/api/method-table.js'
import type { MethodSpec } from '../../src/api/method.js'

/** Test methods: any params, any result; the socket transport is what is under test here. */
const TEST_METHODS: MethodSpec[] = ['echo', 'count', 'fail', 'wait', 'hang'].map(name => ({
  name, summary: name, access: 'read', params: Type.Object({}, { additionalProperties: true }), result: Type.Unknown()
}))

interface Daemon {
  dataDir: string
  server: ControlServer
  methods: MethodTable
  /** Every call a handler received, so a test can tell that a refused connection ran nothing. */
  calls: string[]
}

async function startDaemon (t: TestContext): Promise<Daemon> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-api-'))
  const methods = new MethodTable(TEST_METHODS)
  const server = new ControlServer(dataDir, methods)
  const calls: string[] = []
  methods.register('echo', async (params) => { calls.push('echo'); return params })
  methods.register('count', async (params, ctx) => {
    calls.push('count')
    for (let i = 1; i <= params.to; i++) ctx.emit({ n: i })
    return { done: params.to }
  })
  methods.register('fail', async () => {
    calls.push('fail')
    const err = new Error('the printer is on fire')
    err.name = 'PrinterOnFireError'
    throw err
  })
  await server.start()
  t.after(async () => {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  return { dataDir, server, methods, calls }
}

async function client (t: TestContext, dataDir: string): Promise<ControlClient> {
  const c = await ControlClient.connect(dataDir)
  t.after(() => { c.close() })
  return c
}

/**
 * Writes `payload` on a bare socket and returns the messages the daemon sent until it closed the connection,
 * or until `enough` messages came (then this side closes).
 */
async function rawExchange (dataDir: string, payload: string, enough = Infinity): Promise<any[]> {
  const socket = connect(join(dataDir, SOCKET_FILE))
  socket.on('error', () => {})
  await once(socket, 'connect')
  let received = ''
  socket.setEncoding('utf8')
  const messages = (): any[] => received.split('\n').filter(l => l !== '').map(l => JSON.parse(l))
  socket.on('data', (chunk: string) => {
    received += chunk
    if (received.endsWith('\n') && messages().length >= enough) socket.destroy()
  })
  socket.write(payload)
  // The daemon ends its side; end ours so a half-open connection cannot keep the test waiting.
  socket.on('end', () => { socket.end() })
  await once(socket, 'close')
  return messages()
}

test('a client round-trips a call and gets the handler\'s result', async (t) => {
  const { dataDir } = await startDaemon(t)
  const c = await client(t, dataDir)
  assert.deepEqual(await c.call('echo', { job: 'j1', tags: ['a', 'b'] }), { job: 'j1', tags: ['a', 'b'] })
  assert.deepEqual(await c.call('echo'), {})
})

test('events stream to the caller in order before the result', async (t) => {
  const { dataDir } = await startDaemon(t)
  const c = await client(t, dataDir)
  const events: unknown[] = []
  const result = await c.call('count', { to: 50 }, (event) => { events.push(event) })
  assert.deepEqual(result, { done: 50 })
  assert.deepEqual(events, Array.from({ length: 50 }, (_, i) => ({ n: i + 1 })))
})

test('concurrent calls on one connection each get their own answer', async (t) => {
  const { dataDir } = await startDaemon(t)
  const c = await client(t, dataDir)
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => c.call('echo', { i })))
  assert.deepEqual(answers, Array.from({ length: 20 }, (_, i) => ({ i })))
})

test('a handler\'s error reaches the client under its own name; an unknown method is named too', async (t) => {
  const { dataDir } = await startDaemon(t)
  const c = await client(t, dataDir)
  await assert.rejects(c.call('fail'), { name: 'PrinterOnFireError' })
  await assert.rejects(c.call('rm -rf'), { name: 'UnknownMethodError' })
  assert.deepEqual(await c.call('echo', { still: 'serving' }), { still: 'serving' })
})

test('the handler\'s signal aborts when the caller goes away', async (t) => {
  const { dataDir, methods } = await startDaemon(t)
  const entered = Promise.withResolvers<void>()
  const aborted = Promise.withResolvers<void>()
  methods.register('wait', async (_params, ctx) => {
    entered.resolve()
    await new Promise<void>(resolve => { ctx.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    aborted.resolve()
    return null
  })
  const c = await ControlClient.connect(dataDir)
  c.call('wait').catch(() => {})
  await entered.promise
  c.close()
  await aborted.promise
})

test('a connection without the token is refused and its call never runs', async (t) => {
  const daemon = await startDaemon(t)
  const replies = await rawExchange(daemon.dataDir, JSON.stringify({ id: 1, method: 'echo', params: { x: 1 } }) + '\n')
  assert.equal(replies.length, 1)
  assert.equal(replies[0].error.name, 'UnauthorizedError')
  assert.equal(replies[0].id, undefined)
  assert.ok(replies.every(r => !('result' in r)))
  assert.deepEqual(daemon.calls, [])
})

test('a wrong token is refused and the calls after it get no answer', async (t) => {
  const daemon = await startDaemon(t)
  const real = await readFile(join(daemon.dataDir, TOKEN_FILE), 'utf8')
  const wrong = real.trim().replace(/^./, c => c === '0' ? '1' : '0')
  for (const token of [wrong, 'z'.repeat(real.trim().length), '', 42, null, real.trim().slice(2)]) {
    const replies = await rawExchange(daemon.dataDir,
      JSON.stringify({ token }) + '\n' + JSON.stringify({ id: 7, method: 'echo', params: {} }) + '\n')
    assert.ok(replies.length >= 1, `token ${JSON.stringify(token)} got no refusal`)
    assert.ok(replies.every(r => r.error?.name === 'UnauthorizedError' && !('result' in r)), `token ${JSON.stringify(token)}: ${JSON.stringify(replies)}`)
  }
  assert.deepEqual(daemon.calls, [])
  // The daemon is still up for the rightful owner.
  const c = await client(t, daemon.dataDir)
  assert.deepEqual(await c.call('echo', { ok: 1 }), { ok: 1 })
})

test('a malformed line closes only that connection; the daemon keeps serving others', async (t) => {
  const daemon = await startDaemon(t)
  const bystander = await client(t, daemon.dataDir)
  const token = (await readFile(join(daemon.dataDir, TOKEN_FILE), 'utf8')).trim()
  for (const garbage of ['{"id": 1, "method": ', 'not json at all', '\u0000\u0001\u0002']) {
    const replies = await rawExchange(daemon.dataDir,
      JSON.stringify({ token }) + '\n' + garbage + '\n' + JSON.stringify({ id: 2, method: 'echo', params: {} }) + '\n')
    assert.deepEqual(replies[0], { ok: true })
    assert.equal(replies.at(-1).error.name, 'ControlProtocolError')
    assert.ok(replies.every(r => !('result' in r)), 'a call after the malformed line was answered')
  }
  // Well-formed JSON that is not a call object is an unknown method, not a crash.
  const odd = await rawExchange(daemon.dataDir, JSON.stringify({ token }) + '\n' + '[1,2]\n5\nnull\n"s"\n', 5)
  assert.deepEqual(odd[0], { ok: true })
  assert.deepEqual(odd.slice(1).map(r => r.error?.name), Array(4).fill('UnknownMethodError'))
  assert.deepEqual(await bystander.call('echo', { after: 'garbage' }), { after: 'garbage' })
})

test('an oversized line closes that connection, before or after the token, and others go on', async (t) => {
  const daemon = await startDaemon(t)
  const bystander = await client(t, daemon.dataDir)
  const token = (await readFile(join(daemon.dataDir, TOKEN_FILE), 'utf8')).trim()
  const huge = '{"id":1,"method":"echo","params":{"x":"' + 'a'.repeat(MAX_LINE_BYTES + 16) + '"}}\n'
  for (const prefix of ['', JSON.stringify({ token }) + '\n']) {
    const replies = await rawExchange(daemon.dataDir, prefix + huge)
    assert.equal(replies.at(-1).error.name, 'ControlProtocolError')
    assert.ok(replies.every(r => !('result' in r)))
  }
  assert.deepEqual(daemon.calls, [])
  assert.deepEqual(await bystander.call('echo', { still: 'here' }), { still: 'here' })
})

test('ControlClient.connect throws NoDaemonError on a dir with no daemon, and on one a dead daemon left', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshnode-api-'))
  t.after(async () => { await rm(dataDir, { recursive: true, force: true }) })
  await assert.rejects(ControlClient.connect(dataDir), { name: 'NoDaemonError' })
  await assert.rejects(ControlClient.connect(join(dataDir, 'does-not-exist')), { name: 'NoDaemonError' })
  // A token file with no socket beside it: a daemon that was killed.
  await writeFile(join(dataDir, TOKEN_FILE), 'ab'.repeat(32))
  await assert.rejects(ControlClient.connect(dataDir), { name: 'NoDaemonError' })
})

test('after the daemon stops, a client\'s pending and later calls fail instead of hanging', async (t) => {
  const daemon = await startDaemon(t)
  const entered = Promise.withResolvers<void>()
  daemon.methods.register('hang', async () => { entered.resolve(); return new Promise(() => {}) })
  const c = await client(t, daemon.dataDir)
  const pending = assert.rejects(c.call('hang'), { name: 'ConnectionLostError' })
  await entered.promise
  await daemon.server.stop()
  await pending
  await assert.rejects(c.call('echo'), { name: 'ConnectionLostError' })
})
