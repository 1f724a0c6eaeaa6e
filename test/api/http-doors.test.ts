import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { TokenStore, TOKENS_FILE } from '../../src/api/token-store.js'
import { meshnodeBin } from '../../src/paths.js'
import { meshnode } from '../cli/host-daemon.js'
import { startPeer, startRequesterAndExecutor, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, makeToken, request } from './http-fixture.js'

const run = promisify(execFile)

/** Every file under a folder, recursively: what is on disk. */
async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name)).sort()
}

/** A multipart upload with curl, as a script would send it; the status and the JSON answer. */
async function curlUpload (url: string, token: string, fields: string[]): Promise<{ status: number, body: any }> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '30', '-H', `Authorization: Bearer ${token}`, ...fields.flatMap(f => ['-F', f]), '-w', '\n%{http_code}', url])
  const lines = stdout.trimEnd().split('\n')
  const status = Number(lines.pop())
  return { status, body: JSON.parse(lines.join('\n') || 'null') }
}

test('who may come in: tokens, scopes and their own jobs', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-scopes-')
  const { requester } = await startRequesterAndExecutor(t, dir)
  const api = httpUrl(requester) + '/api/v1'
  const design = join(dir, 'part.txt')
  await writeFile(design, 'a part\n')

  assert.equal((await request(`${api}/status`)).status, 200, 'loopback and no tokens yet: a local process gets in')
  const reader = await makeToken(t, requester, 'reader', 'read')
  const alice = await makeToken(t, requester, 'alice', 'submit')
  const bob = await makeToken(t, requester, 'bob', 'submit')
  const operator = await makeToken(t, requester, 'desk', 'operator')

  const anonymous = await request(`${api}/status`)
  assert.equal(anonymous.status, 401, 'once a token exists, every request needs one')
  assert.equal(anonymous.body.error, 'UnauthorizedError')
  assert.equal((await request(`${api}/status`, { token: reader })).status, 200)
  assert.equal((await request(`${api}/status`, { headers: { 'x-api-key': reader } })).status, 200, 'X-Api-Key works too')

  const refused = await curlUpload(`${api}/jobs`, reader, [`file=@${design}`, 'pipeline=slow'])
  assert.equal(refused.status, 403)
  assert.equal(refused.body.error, 'ForbiddenError')
  assert.equal((await request(`${api}/jobs/jffffffffffff/cancel`, { method: 'POST', token: reader })).status, 403)

  const made = await curlUpload(`${api}/jobs`, alice, [`file=@${design}`, 'pipeline=slow', 'requestId=upload-0000000000001'])
  assert.equal(made.status, 201, JSON.stringify(made.body))
  const id = made.body[0].id
  const retried = await curlUpload(`${api}/jobs`, alice, [`file=@${design}`, 'pipeline=slow', 'requestId=upload-0000000000001'])
  assert.deepEqual(retried.body.map((j: any) => j.id), [id], 'a retried upload with the same request id gets the same job')
  const bobs = await request(`${api}/jobs/${id as string}/cancel`, { method: 'POST', token: bob })
  assert.equal(bobs.status, 403, 'a submit token cancels only its own jobs')
  assert.match(bobs.body.message, /only jobs it submitted/)
  assert.equal((await request(`${api}/jobs/${id as string}/cancel`, { method: 'POST', token: alice })).status, 200)
  const other = await curlUpload(`${api}/jobs`, bob, [`file=@${design}`, 'pipeline=slow'])
  const cancelled = await request(`${api}/jobs/${other.body[0].id as string}/cancel`, { method: 'POST', token: operator })
  assert.equal(cancelled.status, 200, `an operator cancels any job: ${JSON.stringify(cancelled.body)}`)
  assert.equal((await request(`${api}/printers/mk3/pause`, { method: 'POST', token: alice })).status, 403, 'printer commands need operator')
  assert.equal((await request(`${api}/printers/mk3/pause`, { method: 'POST', token: operator })).status, 404)

  await t.test('tokens are kept hashed, in a file only the owner reads', async () => {
    const file = join(requester.config.dataDir, TOKENS_FILE)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const text = await readFile(file, 'utf8')
    for (const token of [reader, alice, bob, operator]) assert.ok(!text.includes(token), 'no token in the file')
    const { stdout } = await run(process.execPath, [meshnodeBin, 'token', 'list', '--data-dir', requester.config.dataDir])
    assert.match(stdout, /^reader\s+read\s+made /m)
    assert.ok(!stdout.includes(reader))
  })

  await t.test('a revoked token stops working at once', async () => {
    const { stdout } = await run(process.execPath, [meshnodeBin, 'token', 'revoke', 'reader', '--data-dir', requester.config.dataDir])
    assert.match(stdout, /revoked/)
    assert.equal((await request(`${api}/status`, { token: reader })).status, 401)
  })

  await t.test('failed authentication is rate-limited; good tokens are not', async () => {
    const statuses = []
    for (let i = 0; i < 25; i++) statuses.push((await request(`${api}/status`, { token: `mnt_wrong${i}` })).status)
    assert.ok(statuses.includes(429), `some of 25 bad tokens get 429: ${statuses.join(',')}`)
    const limited = await request(`${api}/status`, { token: 'mnt_wrong' })
    assert.deepEqual([limited.status, limited.body.error], [429, 'TooManyFailuresError'])
    assert.equal((await request(`${api}/status`, { token: alice })).status, 200)
  })
})

test('bad requests: 400 naming the field, hostile names refused, 413 over the blob limit with nothing left on disk', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-bad-')
  const { requester } = await startRequesterAndExecutor(t, dir)
  const api = httpUrl(requester) + '/api/v1'
  const token = await makeToken(t, requester, 'tester', 'operator')

  const badJson = await request(`${api}/jobs/jffffffffffff/cancel`, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{"id": ' })
  assert.equal(badJson.status, 400)
  assert.deepEqual([badJson.body.error, badJson.body.field], ['BadRequestError', 'body'])
  const unknownBody = await request(`${api}/jobs/jffffffffffff/cancel`, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{"force": true}' })
  assert.deepEqual([unknownBody.status, unknownBody.body.field], [400, 'force'])
  const unknownQuery = await request(`${api}/jobs?everything=yes`, { token })
  assert.deepEqual([unknownQuery.status, unknownQuery.body.field], [400, 'everything'])
  const wrongType = await request(`${api}/jobs?all=maybe`, { token })
  assert.deepEqual([wrongType.status, wrongType.body.field], [400, 'all'])
  assert.equal((await request(`${api}/nothing-here`, { token })).status, 404)

  const design = join(dir, 'part.txt')
  await writeFile(design, 'a part\n')
  for (const name of ['../../etc/passwd', '.hidden', 'a b;rm -rf ~']) {
    const hostile = await curlUpload(`${api}/jobs`, token, [`file=@${design};filename=${name}`, 'pipeline=slow'])
    assert.equal(hostile.status, 400, `${name}: ${JSON.stringify(hostile.body)}`)
    assert.equal(hostile.body.field, 'file')
  }
  const unknownStage = await curlUpload(`${api}/jobs`, token, [`file=@${design}`, 'pipeline=sculpt'])
  assert.deepEqual([unknownStage.status, unknownStage.body.error], [400, 'UnknownStageError'])
  const unknownField = await curlUpload(`${api}/jobs`, token, [`file=@${design}`, 'colour=red'])
  assert.deepEqual([unknownField.status, unknownField.body.field], [400, 'colour'])

  await t.test('an upload over blobs.maxBlobMiB: 413, and nothing of it stays on disk', async () => {
    const small = await startPeer(t, dir, 'small', c => { c.blobs.maxBlobBytes = 1024 * 1024 })
    const smallToken = await makeToken(t, small, 'tester', 'submit')
    const big = join(dir, 'big.stl')
    await writeFile(big, Buffer.alloc(3 * 1024 * 1024, 'x'))
    const blobs = join(small.config.dataDir, 'blobs')
    const before = await filesUnder(blobs)
    const answer = await curlUpload(httpUrl(small) + '/api/v1/jobs', smallToken, [`file=@${big}`, 'pipeline=slow'])
    assert.equal(answer.status, 413, JSON.stringify(answer.body))
    assert.deepEqual(await filesUnder(blobs), before)
  })
})

test('where HTTP listens: a busy port is named with the flag; a non-loopback listener needs tokens', async (t) => {
  const dir = await tempDir(t, 'meshnode-http-listen-')
  const busy = createServer()
  await new Promise<void>(resolve => busy.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.after(async () => { await new Promise(resolve => busy.close(resolve)) })
  const port = (busy.address() as AddressInfo).port
  const start = async (name: string, http: string): Promise<{ code: number, stderr: string }> =>
    meshnode(['start', '--no-mdns', '--offer', 'none', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, name), '--http', http])

  const taken = await start('busy', `127.0.0.1:${port}`)
  assert.equal(taken.code, 1)
  assert.match(taken.stderr.trim(), new RegExp(`^meshnode: cannot serve the HTTP API on 127\\.0\\.0\\.1:${port}: the address is in use .*--http`))

  const open = await start('open', '0.0.0.0:0')
  assert.equal(open.code, 1)
  assert.match(open.stderr, /0\.0\.0\.0:0, which other machines can reach, and this node has no tokens/)

  const dataDir = join(dir, 'lan')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const token = (await (await TokenStore.open(dataDir)).create('laptop', 'read')).token
  const lan = await startPeer(t, dir, 'lan', c => { c.http = { listen: '0.0.0.0:0' } })
  const local = httpUrl(lan).replace('0.0.0.0', '127.0.0.1') + '/api/v1/status'
  const none = await request(local)
  assert.equal(none.status, 401, 'no token on a non-loopback listener')
  assert.equal((await request(local, { token })).status, 200)
})
