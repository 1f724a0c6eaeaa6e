import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createLan, listLinks, listNamespaces, waitFor } from './harness.js'
import { describeLan, parseDescription } from './fixtures/describe.js'
import { runNode } from './run-node.js'
import type { LanDescription } from './fixtures/describe.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

const echoServer = `
const net = require('node:net')
net.createServer((socket) => socket.on('data', (data) => socket.end('echo from ' + process.argv[1] + ': ' + data))).listen(5000, process.argv[1], () => console.log('listening'))
`
const echoClient = `
const net = require('node:net')
const socket = net.connect(5000, process.argv[1], () => socket.write('hello'))
socket.setEncoding('utf8').on('data', (data) => process.stdout.write(data))
socket.setTimeout(5000, () => { console.error('timeout'); process.exit(2) })
`
const multicastReceiver = `
const socket = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true })
socket.on('message', (msg) => console.log('got ' + msg))
socket.bind(5353, () => { socket.addMembership('224.0.0.251'); console.log('joined') })
`
const multicastSender = `
const socket = require('node:dgram').createSocket('udp4')
socket.send('multicast hello', 5353, '224.0.0.251', (err) => { if (err) throw err; socket.close() })
`

async function assertAllGone (made: LanDescription): Promise<void> {
  const namespaces = listNamespaces()
  for (const ns of made.namespaces) assert.ok(!namespaces.includes(ns), `namespace ${ns} is still listed by ip netns list`)
  const links = listLinks()
  for (const link of made.links) assert.ok(!links.includes(link), `link ${link} is still listed by ip link`)
  assert.deepEqual(links.filter(link => link.startsWith(made.tag)), [], 'ip link shows nothing of ours')
  assert.ok(!existsSync(made.dir), `temp dir ${made.dir} still exists`)
  await waitFor(() => made.pids.every(pid => !isRunning(pid)), { timeoutMs: 5_000, what: `processes ${made.pids.join(', ')} to be gone` })
}

function isRunning (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

test('two namespaces reach each other over TCP across the bridge', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const [a, b] = lan.namespaces
  assert.ok(a !== undefined && b !== undefined)
  const server = lan.spawn(0, 'echo-server', [process.execPath, '-e', echoServer, a.address])
  await waitFor(async () => (await lan.exec(0, ['cat', server.stdoutPath])).stdout.includes('listening'), { timeoutMs: 10_000, what: 'the echo server to listen' })
  // A just-made LAN can refuse the first connections for a moment (seen on a host whose bridged traffic
  // goes through its firewall): try for a bounded time, and show the last refusal if it never connects.
  let reply: { code: number | null, stdout: string, stderr: string } = { code: null, stdout: '', stderr: '' }
  await waitFor(async () => {
    reply = await lan.exec(1, [process.execPath, '-e', echoClient, a.address])
    return reply.code === 0
  }, { timeoutMs: 10_000, intervalMs: 200, what: 'a connection from the other namespace' }).catch(() => {})
  assert.equal(reply.stdout, `echo from ${a.address}: hello`, reply.stderr)
  assert.equal(reply.code, 0)
})

test('a multicast datagram from one namespace reaches another (what mDNS needs)', async (t) => {
  const lan = await createLan(t, { size: 2 })
  const receiver = lan.spawn(0, 'mcast-receiver', [process.execPath, '-e', multicastReceiver])
  await waitFor(async () => (await lan.exec(0, ['cat', receiver.stdoutPath])).stdout.includes('joined'), { timeoutMs: 10_000, what: 'the receiver to join 224.0.0.251' })
  // Datagrams may be lost; resend a bounded number of times until one arrives.
  await waitFor(async () => {
    await lan.exec(1, [process.execPath, '-e', multicastSender])
    return (await lan.exec(0, ['cat', receiver.stdoutPath])).stdout.includes('got multicast hello')
  }, { timeoutMs: 10_000, intervalMs: 300, what: 'the multicast datagram to arrive in the other namespace' })
})

test('close() removes namespaces, veths, bridge, processes and temp dir', async () => {
  const lan = await createLan(undefined, { size: 3 })
  lan.spawn(1, 'sleeper', [process.execPath, '-e', 'setInterval(() => {}, 1000)'])
  const made = describeLan(lan)
  assert.ok(listNamespaces().includes(made.namespaces[0] ?? ''), 'the namespaces exist while the LAN is open')
  await lan.close()
  await assertAllGone(made)
})

for (const mode of ['exit', 'throw', 'wait'] as const) {
  const how = { exit: 'calls process.exit', throw: 'dies of an uncaught error', wait: 'is sent SIGTERM' }[mode]
  test(`a process that ${how} without close() still leaves nothing behind`, async () => {
    const run = runNode([join(fixtures, 'hold-lan.js'), mode], { untilStdout: 'LAN-INFO', timeoutMs: 30_000 })
    const made = parseDescription(await run.sawLine)
    if (mode === 'wait') run.child.kill('SIGTERM')
    const result = await run.done
    assert.ok(made.pids.length === 1, 'the fixture started its sleeper')
    if (mode === 'wait') assert.equal(result.signal, 'SIGTERM', 'the SIGTERM still ends the process')
    await assertAllGone(made)
  })
}

test('a failing LAN test prints the log tails and still cleans up', async () => {
  const run = runNode([join(fixtures, 'failing-lan.js')], { timeoutMs: 60_000 })
  const result = await run.done
  assert.notEqual(result.code, 0, 'the fixture test fails')
  assert.match(result.stderr, /==== chatty \(pid \d+, running\) stdout ====\n[^]*marker-from-inside/)
  await assertAllGone(parseDescription(result.stdout))
})
