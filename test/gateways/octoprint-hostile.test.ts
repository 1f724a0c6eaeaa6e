import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeToken, request } from '../api/http-fixture.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { curl, octoprintUrl, startGatewayPeer } from './octoprint-fixture.js'

async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name)).sort()
}

/** OctoPrint's error body: a status a slicer shows, and `{ "error": "..." }` saying what was wrong. */
function assertOctoPrintError (answer: { status: number, body: any }, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`)
  assert.deepEqual(Object.keys(answer.body), ['error'], `${what}: ${JSON.stringify(answer.body)}`)
  assert.equal(typeof answer.body.error, 'string')
}

test('OctoPrint gateway, hostile input: OctoPrint\'s error codes and body, nothing kept, and the peer keeps serving', async (t) => {
  const dir = await tempDir(t, 'meshnode-octoprint-hostile-')
  const desk = await startGatewayPeer(t, dir, {}, 1024 * 1024)
  const key = await makeToken(t, desk, 'slicer', 'submit')
  const base = octoprintUrl(desk)
  const upload = `${base}/api/files/local`
  const part = join(dir, 'part.gcode')
  await writeFile(part, 'G28\nG1 X10 Y10\n')
  const keyHeader = ['-H', `X-Api-Key: ${key}`]
  const blobs = join(desk.config.dataDir, 'blobs')
  const listed = async (): Promise<string[]> => (await request(`${base}/api/files`, { headers: { 'x-api-key': key } })).body.files.map((f: any) => f.name)

  await t.test('names that climb, hide or carry a path are refused with 400', async () => {
    for (const name of ['../evil.gcode', '../../etc/passwd.gcode', '.hidden.gcode', 'a/b.gcode', 'a\\..\\b.gcode', '..']) {
      assertOctoPrintError(await curl(dir, [...keyHeader, '-F', `file=@${part};filename="${name}"`, upload]), 400, name)
    }
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', 'path=../../tmp', '-F', `file=@${part}`, upload]), 400, 'a path field into another folder')
    assert.deepEqual(await listed(), [])
  })

  await t.test('a name with spaces, brackets or shell characters is kept under a plain name, given in the answer', async () => {
    const answer = await curl(dir, [...keyHeader, '-F', `file=@${part};filename="My Part (1); rm -rf ~.gcode"`, upload])
    assert.equal(answer.status, 201, JSON.stringify(answer.body))
    assert.equal(answer.body.files.local.name, 'My_Part_1_rm_-rf_.gcode')
    assert.match(answer.headers, /^location: \S+\/api\/files\/local\/My_Part_1_rm_-rf_\.gcode\r?$/mi)
    assert.deepEqual(await listed(), ['My_Part_1_rm_-rf_.gcode'])
  })

  await t.test('a type the mesh cannot print is 415; no file field, or no form, is 400', async () => {
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', `file=@${part};filename=part.exe`, upload]), 415, 'an .exe')
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', `file=@${part};filename=part.bgcode`, upload]), 415, 'binary G-code')
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', 'print=true', upload]), 400, 'a form without a file')
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', `model=@${part}`, upload]), 400, 'the file in another field')
    assertOctoPrintError(await curl(dir, [...keyHeader, '-H', 'content-type: application/json', '-d', '{"file":"G28"}', upload]), 400, 'JSON instead of a form')
    assert.deepEqual(await listed(), ['My_Part_1_rm_-rf_.gcode'])
  })

  await t.test('a file past blobs.maxBlobMiB is 413, and nothing of it stays on disk', async () => {
    const big = join(dir, 'big.gcode')
    await writeFile(big, Buffer.alloc(3 * 1024 * 1024, 'G1 X1\n'))
    const before = await filesUnder(blobs)
    assertOctoPrintError(await curl(dir, [...keyHeader, '-F', 'print=true', '-F', `file=@${big}`, upload]), 413, 'a 3 MiB file over a 1 MiB limit')
    assert.deepEqual(await filesUnder(blobs), before)
    assert.deepEqual(await listed(), ['My_Part_1_rm_-rf_.gcode'])
  })

  await t.test('endpoints the gateway does not have are 404 in OctoPrint\'s shape', async () => {
    for (const [method, path] of [['GET', '/api/settings'], ['GET', '/api/connection'], ['POST', '/api/job'], ['DELETE', '/api/files/local/part.gcode'], ['GET', '/api/files/sdcard'], ['POST', '/api/files/sdcard'], ['GET', '/'], ['GET', '/api/files/local/..%2F..%2Fetc%2Fpasswd']]) {
      const answer = await request(`${base}${path}`, { method, headers: { 'x-api-key': key } })
      assertOctoPrintError(answer, 404, `${method} ${path}`)
    }
  })

  await t.test('the peer still serves: the gateway answers and a good upload is kept', async () => {
    assert.equal((await request(`${base}/api/version`, { headers: { 'x-api-key': key } })).status, 200)
    const answer = await curl(dir, [...keyHeader, '-F', `file=@${part}`, upload])
    assert.equal(answer.status, 201, JSON.stringify(answer.body))
    assert.deepEqual((await listed()).sort(), ['My_Part_1_rm_-rf_.gcode', 'part.gcode'])
  })
})

test('a gateway address another program holds stops the start, naming the address and the flag', async (t) => {
  const dir = await tempDir(t, 'meshnode-octoprint-busy-')
  const busy = createServer()
  await new Promise<void>(resolve => busy.listen({ host: '127.0.0.1', port: 0 }, resolve))
  t.after(async () => { await new Promise(resolve => busy.close(resolve)) })
  const address = `127.0.0.1:${(busy.address() as AddressInfo).port}`
  await assert.rejects(startPeer(t, dir, 'desk', c => { c.gateways.octoprint = { listen: address, keys: {} } }),
    (err: Error) => err.name === 'OctoPrintListenError' && err.message.includes(address) && /in use/.test(err.message) && err.message.includes('--octoprint'))
})
