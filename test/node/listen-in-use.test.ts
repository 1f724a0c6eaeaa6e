import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { meshnode } from '../cli/host-daemon.js'

test('a listen port in use: one line naming the address and the flag, exit 1, and no half-made data dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-listen-'))
  const busy = createServer()
  await new Promise<void>(resolve => busy.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.after(async () => {
    await new Promise(resolve => busy.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })
  const address = `/ip4/127.0.0.1/tcp/${(busy.address() as AddressInfo).port}`
  const start = async (dataDir: string): Promise<{ code: number, stdout: string, stderr: string }> =>
    meshnode(['start', '--no-mdns', '--offer', 'none', '--data-dir', dataDir, '--listen', address, '--http', '127.0.0.1:0'])

  const fresh = join(dir, 'new', 'data')
  const failed = await start(fresh)
  assert.equal(failed.code, 1)
  const lines = failed.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line, no stack trace:\n${failed.stderr}`)
  assert.match(lines[0], new RegExp(`^meshnode: cannot listen on ${address}: the address is in use .*--listen`))
  assert.doesNotMatch(failed.stderr, /\bat \S+ \(|node:net|transportManager/)
  assert.equal(existsSync(join(dir, 'new')), false, 'the data dir (and the folder made for it) is gone')

  const kept = join(dir, 'kept')
  await mkdir(kept)
  await writeFile(join(kept, 'notes.txt'), 'mine')
  assert.equal((await start(kept)).code, 1)
  assert.ok((await readdir(kept)).includes('notes.txt'), 'a data dir that was there before is left')
})
