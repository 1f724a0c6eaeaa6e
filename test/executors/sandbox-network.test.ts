import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { findConfinement, type ToolConfinement } from '../../src/executors/sandbox.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { sandbox } from './confinement.js'
import { makeJob } from './job-dir.js'
import type { TestContext } from 'node:test'

// Debian's python3 (CI has it with printrun): a tool that tries every way to the network and writes what it got.
const PYTHON = '/usr/bin/python3'
const confined = await sandbox()
const open = await findConfinement(false)

/**
 * Tries each socket family, a socket pair, io_uring, and a connection to the host's TCP listener and to its
 * abstract unix socket; writes `name=ok` or `name=ERRNO` per line to its output ($2).
 */
const PROBE = `#!${PYTHON}
import ctypes, errno, socket, sys
tcp_port, abstract_name, output = int(sys.argv[3]), sys.argv[4], sys.argv[2]
def attempt(make):
    try:
        make().close()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def connected(family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect(address)
    return s
libc = ctypes.CDLL(None, use_errno=True)
ring = libc.syscall(425, 1, ctypes.create_string_buffer(120))
results = {
    'inet': attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
    'inet6': attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)),
    'unix': attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
    'netlink': attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)),
    'socketpair': attempt(lambda: socket.socketpair()[0]),
    'io_uring': 'ok' if ring >= 0 else errno.errorcode[ctypes.get_errno()],
    'tcp_listener': attempt(lambda: connected(socket.AF_INET, ('127.0.0.1', tcp_port))),
    'abstract_listener': attempt(lambda: connected(socket.AF_UNIX, '\\0' + abstract_name)),
}
with open(output, 'w') as f:
    f.write(''.join(f'{k}={v}\\n' for k, v in results.items()))
`

interface Listeners { port: number, abstractName: string, connections: () => number }

/** A TCP listener on the host's loopback and one on an abstract unix socket, counting who reaches them. */
async function listen (t: TestContext): Promise<Listeners> {
  let connections = 0
  const count = (): Server => createServer(socket => { connections++; socket.destroy() })
  const tcp = count()
  const abstract = count()
  const abstractName = `meshnode-test-${randomBytes(6).toString('hex')}`
  await new Promise<void>(resolve => tcp.listen(0, '127.0.0.1', resolve))
  await new Promise<void>(resolve => abstract.listen(`\0${abstractName}`, resolve))
  t.after(() => { tcp.close(); abstract.close() })
  return { port: (tcp.address() as { port: number }).port, abstractName, connections: () => connections }
}

async function probe (t: TestContext, confinement: ToolConfinement, listeners: Listeners): Promise<Record<string, string>> {
  const job = await makeJob(t, { 'part.txt': 'x' })
  const path = join(job.workDir, 'net-probe.py')
  await writeFile(path, PROBE)
  await chmod(path, 0o755)
  const service = parseServiceConfig({
    name: 'net-probe',
    command: path,
    args: ['{input}', '{output}', String(listeners.port), listeners.abstractName],
    outputExtension: 'out',
    timeoutSec: 60
  }, 'services[0]')
  const text = await readFile((await new CustomServiceExecutor(service, confinement).run(job)).outputPath, 'utf8')
  return Object.fromEntries(text.trim().split('\n').map(line => line.split('=') as [string, string]))
}

test('a sandboxed tool can make no socket, reach neither a loopback listener nor an abstract unix socket, and keeps socket pairs', async (t) => {
  const listeners = await listen(t)
  const walled = await probe(t, confined, listeners)
  assert.deepEqual(walled, {
    inet: 'EACCES',
    inet6: 'EACCES',
    unix: 'EACCES',
    netlink: 'EACCES',
    socketpair: 'ok',
    io_uring: 'EPERM',
    tcp_listener: 'EACCES',
    abstract_listener: 'EACCES'
  })
  assert.equal(listeners.connections(), 0, 'no listener saw a connection from the sandbox')
  const bare = await probe(t, open, listeners)
  assert.equal(bare.inet, 'ok', 'without the sandbox the same tool makes a socket')
  assert.equal(bare.tcp_listener, 'ok', 'without the sandbox the same tool reaches the loopback listener')
  assert.equal(bare.abstract_listener, 'ok', 'without the sandbox the same tool reaches the abstract unix socket')
  assert.equal(listeners.connections(), 2)
})

test('where there is no seccomp filter, the sandbox\'s own network namespace keeps the tool from the host\'s listeners', async (t) => {
  const withNamespace = await findConfinement(true, null)
  const listeners = await listen(t)
  const walled = await probe(t, withNamespace, listeners)
  assert.equal(walled.socketpair, 'ok')
  assert.notEqual(walled.tcp_listener, 'ok')
  assert.notEqual(walled.abstract_listener, 'ok')
  assert.equal(listeners.connections(), 0, 'no listener saw a connection from the sandbox')
})
