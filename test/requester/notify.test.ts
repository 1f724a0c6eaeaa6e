import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { slowService, startPeer, tempDir } from '../market/mesh-fixture.js'

test('--notify POSTs the finished job as JSON to the URL, $id replaced by the job id', async (t) => {
  const dir = await tempDir(t, 'meshnode-notify-')
  const received = new Promise<{ url: string, type: string, body: any }>((resolve) => {
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => { body += chunk })
      req.on('end', () => {
        res.end('ok')
        resolve({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(body) })
      })
    })
    server.listen(0, '127.0.0.1')
    t.after(() => { server.close() })
    server.on('listening', () => { port.resolve((server.address() as any).port) })
  })
  const port = Promise.withResolvers<number>()
  const node = await startPeer(t, dir, 'node', async c => { c.services = [await slowService(dir, 0)] })
  const input = join(dir, 'part.txt')
  await writeFile(input, 'notify me\n')
  const url = `http://127.0.0.1:${await port.promise}/done?job=$id`
  const [job] = await node.jobs.submit({ files: [input], extra: [], pipeline: ['slow'], options: { params: {}, notify: url } })
  const call = await received
  assert.equal(call.url, `/done?job=${job.id}`)
  assert.equal(call.type, 'application/json')
  assert.equal(call.body.id, job.id)
  assert.equal(call.body.state, 'done')
  assert.equal(call.body.stages[0].state, 'done')
})
