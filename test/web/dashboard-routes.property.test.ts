import assert from 'node:assert/strict'
import { get } from 'node:http'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseScadParameters } from '../../src/api/scad-customizer.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl, makeToken, request } from '../api/http-fixture.js'

const PATHS = ['/api/v1/whoami', '/api/v1/offers', '/api/v1/printers/{id}/temperatures', '/api/v1/scad/parameters', '/api/v1/jobs/from-blobs', '/api/v1/prints/{id}/resume', '/api/v1/prints/{id}/abandon', '/', '/index.html', '/assets/{id}', '/{id}']

/**
 * The routes the dashboard added, and the page itself: random requests are answered with a status a client
 * can act on, never a 500 and never a file from outside the dashboard's folder; the answers a page relies on
 * say what they should.
 */
test('dashboard routes: random requests answered, never a 500; answers hold what the page needs', async (t) => {
  const dir = await tempDir(t, 'meshnode-dashboard-routes-')
  const peer = await startPeer(t, dir, 'pi', c => {
    c.printers = [parsePrinterConfig({ name: 'mk3', port: 'virtual', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PETG', virtual: { speedUp: 50, faults: [] } }, 'printers[0]')]
    c.offers = ['print']
  })
  const base = httpUrl(peer)

  await t.test('the page: index.html revalidated, hashed assets cached for a year', async () => {
    const page = await request(base + '/')
    assert.equal(page.status, 200)
    assert.match(String(page.body), /<div id="app">/)
    assert.equal(page.headers.get('cache-control'), 'no-cache')
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(String(page.body))?.[1]
    assert.ok(asset != null, 'index.html names its script')
    const script = await request(`${base}/${asset}`)
    assert.equal(script.status, 200)
    assert.match(script.headers.get('cache-control') ?? '', /immutable/)
  })

  await t.test('offers and whoami: what the pickers and the buttons are built from', async () => {
    const offers = await request(base + '/api/v1/offers')
    assert.equal(offers.status, 200)
    assert.deepEqual(offers.body.stages, ['print'])
    assert.deepEqual(offers.body.materials, ['PETG'])
    assert.deepEqual(offers.body.printers.map((p: any) => [p.name, p.peerName, p.material]), [['mk3', 'pi', 'PETG']])
    assert.ok(offers.body.profiles.some((p: any) => p.name === 'pla-0.2mm'), JSON.stringify(offers.body.profiles))
    const loopback = await request(base + '/api/v1/whoami')
    assert.deepEqual(loopback.body, { kind: 'loopback', scope: 'operator' })
    const history = await request(base + '/api/v1/printers/mk3/temperatures')
    assert.equal(history.status, 200)
    assert.ok(Array.isArray(history.body.samples))
    assert.equal((await request(base + '/api/v1/printers/nope/temperatures')).status, 404)
  })

  await t.test('scad.parameters over HTTP is the parser the page runs', async () => {
    const line = fc.oneof(
      fc.constantFrom('/* [Size] */', '/* [Hidden] */', '// a comment', 'module m() {}', '$fn = 8;'),
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.oneof(fc.integer().map(String), fc.constantFrom('true', 'false', '"a"', '[1, 2]')), fc.constantFrom('', ' // [0:10]', ' // [1, 2, 3]', ' // 5'))
        .map(([n, v, c]) => `${n} = ${v};${c}`))
    await fc.assert(fc.asyncProperty(fc.array(line, { maxLength: 20 }), async (lines) => {
      const source = lines.join('\n')
      const answer = await request(base + '/api/v1/scad/parameters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source }) })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(answer.body.parameters, JSON.parse(JSON.stringify(parseScadParameters(source))))
    }), { numRuns: 60 })
  })

  await t.test('random requests at the new routes and the page: never a 500, never a file outside the page', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('mk3', '..', '..%2f..%2fpackage.json', '%2e%2e%2f', '.git', 'index.html', ''))
    const body = fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.constantFrom('{"source":1}', '{"files":[]}', '{"fromLine":0}', '{"fromLine":3}')), { nil: undefined })
    await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST', 'HEAD'), fc.constantFrom(...PATHS), segment, body, async (method, path, id, payload) => {
      const url = base + path.replace('{id}', encodeURIComponent(id).replace(/%25/g, '%'))
      const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? payload : undefined, signal: AbortSignal.timeout(5000) })
      const text = await response.text()
      assert.ok(response.status < 500, `${method} ${url} ${String(payload)}: ${response.status} ${text.slice(0, 200)}`)
      assert.ok(!text.includes('"name": "meshnode"'), `${url} served package.json`)
    }), { numRuns: 200 })
  })

  await t.test('without a token, loopback lets in the page of its own origin, not another site\'s page nor a rebound host name', async () => {
    const own = new URL(base)
    const fromPage = await request(base + '/api/v1/whoami', { headers: { origin: own.origin } })
    assert.equal(fromPage.status, 200)
    const crossSite = await request(base + '/api/v1/printers/mk3/clear', { method: 'POST', headers: { origin: 'http://evil.example' } })
    assert.equal(crossSite.status, 401, 'a page of another site cannot command the printer through the visitor\'s browser')
    // fetch() sets Host itself: node:http sends the one a browser would for a rebound name.
    const rebound = await new Promise<number>((resolve, reject) => {
      get({ host: own.hostname, port: own.port, path: '/api/v1/whoami', headers: { host: `evil.example:${own.port}` }, timeout: 10_000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0) }).on('error', reject)
    })
    assert.equal(rebound, 401, 'a DNS name rebound to 127.0.0.1 gets no loopback access')
  })

  await t.test('a read token: whoami says read, and an operator call is refused with 403', async () => {
    const token = await makeToken(t, peer, 'wall-screen', 'read')
    const who = await request(base + '/api/v1/whoami', { token })
    assert.deepEqual(who.body, { kind: 'token', name: 'wall-screen', scope: 'read' })
    const forged = await request(base + '/api/v1/printers/mk3/clear', { method: 'POST', token })
    assert.equal(forged.status, 403)
    assert.equal(forged.body.error, 'ForbiddenError')
    const page = await request(base + '/')
    assert.equal(page.status, 200, 'the page itself needs no token: it asks for one')
  })
})
