import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { METHODS } from '../../src/api/methods.js'
import { startRequesterAndExecutor, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, ownerClient, request } from './http-fixture.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** A way to call a peer's methods: failures come back as { error } with the error's name, never thrown. */
interface Transport {
  name: string
  call(method: string, params?: Record<string, unknown>): Promise<{ result?: any, error?: string }>
}

async function socketTransport (t: TestContext, node: MeshNode): Promise<Transport> {
  const client = await ownerClient(t, node)
  return {
    name: 'unix socket',
    async call (method, params = {}) {
      try {
        return { result: await client.call(method, params) }
      } catch (err: any) {
        return { error: err.name }
      }
    }
  }
}

type Route = (p: Record<string, any>) => [verb: string, path: string, body?: Record<string, unknown>]
const job = (p: Record<string, any>): string => `/jobs/${encodeURIComponent(p.id)}`
const printer = (verb: string): Route => (p) => ['POST', `/printers/${encodeURIComponent(p.name)}/${verb}`]

/**
 * The REST form of each method, as the README documents it. `jobs.create` (a multipart upload) and `events`
 * (Server-Sent Events) are no JSON calls: http-mesh, http-doors and http-events test them.
 */
const ROUTES: Record<string, Route> = {
  status: () => ['GET', '/status'],
  peers: () => ['GET', '/peers'],
  jobs: (p) => ['GET', p.all === true ? '/jobs?all=true' : '/jobs'],
  job: (p) => ['GET', job(p)],
  logs: (p) => ['GET', job(p) + '/logs'],
  cancel: (p) => ['POST', job(p) + '/cancel'],
  output: (p) => ['GET', job(p) + '/output'],
  printers: () => ['GET', '/printers'],
  'printer.clear': printer('clear'),
  'printer.pause': printer('pause'),
  'printer.resume': printer('resume'),
  'printer.cancel': printer('cancel'),
  'printer.load': (p) => ['POST', `/printers/${encodeURIComponent(p.name)}/load`, { material: p.material }],
  'printer.temperatures': (p) => ['GET', `/printers/${encodeURIComponent(p.name)}/temperatures`],
  power: () => ['GET', '/power'],
  offers: () => ['GET', '/offers'],
  whoami: () => ['GET', '/whoami'],
  'scad.parameters': (p) => ['POST', '/scad/parameters', { source: p.source }],
  queue: () => ['GET', '/queue'],
  'queue.move': (p) => ['POST', job(p) + '/queue/move', { to: p.to }],
  'queue.hold': (p) => ['POST', job(p) + '/queue/hold'],
  'queue.release': (p) => ['POST', job(p) + '/queue/release'],
  provenance: (p) => ['GET', job(p) + '/provenance'],
  verify: (p) => ['GET', `/verify/${encodeURIComponent(p.hash)}`],
  'jobs.create': (p) => ['POST', '/jobs/from-blobs', p],
  'print.abandon': (p) => ['POST', `/prints/${encodeURIComponent(p.job)}/abandon`],
  'print.resume': (p) => ['POST', `/prints/${encodeURIComponent(p.job)}/resume`, { fromLine: p.fromLine }],
  'admin.publish': (p) => ['POST', '/admin/documents', { document: p.document }],
  'admin.log': () => ['GET', '/admin/log'],
  'admin.status': () => ['GET', '/admin/status'],
  'library.ls': () => ['GET', '/library'],
  'library.show': (p) => ['GET', `/library/${encodeURIComponent(p.id)}`],
  'library.tag': (p) => ['POST', `/library/${encodeURIComponent(p.id)}/tags`, { add: p.add }],
  'library.rm': (p) => ['POST', `/library/${encodeURIComponent(p.id)}/remove`],
  'library.submit': (p) => ['POST', `/library/${encodeURIComponent(p.id)}/jobs`, { pipeline: p.pipeline }]
}

/** Calls whose answer is the same whichever door it came through: an error's name, or the same result. */
const SAME_ANSWER: Array<[method: string, params: Record<string, unknown>]> = [
  ['printer.temperatures', { name: 'mk3' }],
  ['power', {}],
  ['offers', {}],
  ['scad.parameters', { source: '/* [Size] */\nwidth = 20; // [10:40]\n' }],
  ['queue', {}],
  ['queue.move', { id: 'jffffffffffff', to: 'top' }],
  ['queue.hold', { id: 'jffffffffffff' }],
  ['queue.release', { id: 'jffffffffffff' }],
  ['provenance', { id: 'jffffffffffff' }],
  ['verify', { hash: 'f'.repeat(64) }],
  ['print.abandon', { job: 'jffffffffffff' }],
  ['print.resume', { job: 'jffffffffffff', fromLine: 10 }],
  ['library.ls', {}],
  ['library.show', { id: 'nothing-here' }],
  ['library.tag', { id: 'nothing-here', add: ['x'] }],
  ['library.rm', { id: 'nothing-here' }],
  ['library.submit', { id: 'nothing-here', pipeline: ['slow'] }]
]

function httpTransport (node: MeshNode): Transport {
  const base = httpUrl(node) + '/api/v1'
  return {
    name: 'HTTP',
    async call (method, params = {}) {
      const [verb, path, body] = ROUTES[method](params)
      const answer = await request(base + path, body == null ? { method: verb } : { method: verb, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      if (answer.status >= 400) return { error: answer.body.error }
      return { result: answer.body }
    }
  }
}

/**
 * The same calls through both doors give the same answers: a client may use either and see one node.
 * A requester (loopback HTTP, no tokens: a local process may do what an operator may) and an executor of a
 * `slow` service that takes 30 s, so a job is still running when it is cancelled.
 */
test('the contract: every method answers the same through the unix socket and HTTP', async (t) => {
  const dir = await tempDir(t, 'meshnode-contract-')
  const { requester, executor } = await startRequesterAndExecutor(t, dir)
  const design = join(dir, 'part.txt')
  await writeFile(design, 'a part\n')
  const owner = await ownerClient(t, requester)
  const jobsFor = async (): Promise<string[]> => {
    const [a] = await owner.call('submit', { files: [design], pipeline: ['slow'] })
    const [b] = await owner.call('submit', { files: [design], pipeline: ['slow'] })
    return [a.id, b.id]
  }
  const transports = [await socketTransport(t, requester), httpTransport(requester)]

  for (const door of transports) {
    await t.test(door.name, async () => {
      const [first, second] = await jobsFor()
      const status = await door.call('status')
      assert.equal(status.result.peerId, requester.libp2p.peerId.toString())
      assert.equal(status.result.http, httpUrl(requester), 'status says where HTTP listens')
      assert.equal(status.result.peers, 1)

      const peers = await door.call('peers')
      assert.deepEqual(peers.result.map((p: any) => p.peerId), [executor.libp2p.peerId.toString()])
      assert.ok(peers.result[0].offers.includes('slow'))

      const jobs = await door.call('jobs')
      for (const id of [first, second]) assert.ok(jobs.result.some((j: any) => j.id === id), `jobs lists ${id}`)
      const all = await door.call('jobs', { all: true })
      assert.ok(all.result.length >= jobs.result.length)

      const job = await door.call('job', { id: first })
      assert.equal(job.result.id, first)
      assert.equal(job.result.input.name, 'part.txt')
      assert.equal(job.result.events[0].type, 'submitted')
      assert.deepEqual(await door.call('job', { id: 'jffffffffffff' }), { error: 'JobNotFoundError' })
      const logs = await door.call('logs', { id: first })
      assert.equal(logs.result.state, 'running')
      assert.deepEqual(await door.call('logs', { id: 'jffffffffffff' }), { error: 'JobNotFoundError' })
      assert.deepEqual(await door.call('output', { id: first }), { error: 'OutputNotReadyError' }, 'a running job has no output yet')
      assert.deepEqual(await door.call('output', { id: 'jffffffffffff' }), { error: 'JobNotFoundError' })

      const cancelled = await door.call('cancel', { id: second })
      assert.equal(cancelled.result.state, 'cancelled')
      assert.equal((await door.call('job', { id: second })).result.state, 'cancelled')
      assert.deepEqual(await door.call('cancel', { id: 'jffffffffffff' }), { error: 'JobNotFoundError' })
      await door.call('cancel', { id: first })

      assert.deepEqual(await door.call('printers'), { result: [] })
      for (const method of ['printer.clear', 'printer.pause', 'printer.resume', 'printer.cancel']) {
        assert.deepEqual(await door.call(method, { name: 'mk3' }), { error: 'NoSuchPrinterError' }, method)
      }
      assert.deepEqual(await door.call('printer.load', { name: 'mk3', material: 'PETG' }), { error: 'NoSuchPrinterError' })
    })
  }

  await t.test('every method with an HTTP form is called through both doors', () => {
    for (const method of METHODS.filter(m => m.http != null)) assert.ok(method.name in ROUTES, `${method.name} has an HTTP form: add it to this suite`)
  })

  await t.test('the farm, library, admin and dashboard methods answer alike through both doors', async () => {
    const [socket, http] = transports
    for (const [method, params] of SAME_ANSWER) {
      const [a, b] = [await socket.call(method, params), await http.call(method, params)]
      assert.deepEqual(b, a, `${method} ${JSON.stringify(params)}`)
    }
    // A refused document is logged each time it comes, so the two answers differ only in their place in the log.
    const refusals = [await socket.call('admin.publish', { document: 'bm90IGEgZG9jdW1lbnQ=' }), await http.call('admin.publish', { document: 'bm90IGEgZG9jdW1lbnQ=' })]
    assert.deepEqual(refusals.map(r => [r.result.decision, r.result.reason]), [['refused', refusals[0].result.reason], ['refused', refusals[0].result.reason]])
    assert.deepEqual((await http.call('admin.log')).result, (await socket.call('admin.log')).result)
    assert.deepEqual((await http.call('admin.status')).result.map((n: any) => n.peerId), (await socket.call('admin.status')).result.map((n: any) => n.peerId))
    assert.deepEqual(await http.call('jobs.create', {}), { error: 'BadRequestError' }, 'a from-blobs submit without its input names the field')
    assert.equal((await socket.call('whoami')).result.kind, 'owner')
    assert.equal((await http.call('whoami')).result.kind, 'loopback')
  })

  await t.test('both doors give the same records', async () => {
    const [socket, http] = transports
    for (const method of ['peers', 'printers']) {
      assert.deepEqual((await http.call(method)).result.map((p: any) => p.peerId ?? p.name), (await socket.call(method)).result.map((p: any) => p.peerId ?? p.name), method)
    }
    const ids = (await socket.call('jobs', { all: true })).result.map((j: any) => j.id)
    for (const id of ids) {
      const [a, b] = [(await socket.call('job', { id })).result, (await http.call('job', { id })).result]
      assert.deepEqual({ ...a, stages: a.stages.map((s: any) => s.state) }, { ...b, stages: b.stages.map((s: any) => s.state) })
    }
  })
  await t.test('the OpenAPI document lists every HTTP route, made from the methods\' schemas', async () => {
    const doc = (await request(httpUrl(requester) + '/api/v1/openapi.json')).body
    assert.match(doc.openapi, /^3\./)
    for (const method of METHODS.filter(m => m.access === 'owner')) {
      assert.ok(doc.info.description.includes(`\`${method.name}\``), `the document says ${method.name} is socket only`)
      assert.equal(method.http, undefined, `${method.name} is the owner's: it has no HTTP form`)
    }
    for (const [path, verb] of [['/api/v1/status', 'get'], ['/api/v1/jobs/{id}', 'get'], ['/api/v1/jobs', 'post'], ['/api/v1/jobs/{id}/cancel', 'post'], ['/api/v1/jobs/{id}/output', 'get'], ['/api/v1/events', 'get'], ['/api/v1/printers/{name}/pause', 'post']]) {
      assert.ok(doc.paths[path]?.[verb] != null, `${verb} ${path} is documented`)
    }
    assert.deepEqual(doc.paths['/api/v1/jobs'].get.parameters.map((p: any) => [p.name, p.in, p.schema.type]), [['all', 'query', 'boolean']])
    const jobSchema = JSON.stringify(doc.paths['/api/v1/jobs/{id}'].get.responses['200'])
    for (const field of ['"stages"', '"events"', '"state"']) assert.ok(jobSchema.includes(field), `the job's answer documents ${field}`)
  })
})
