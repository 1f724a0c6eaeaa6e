/**
 * The workshop dashboard in Chromium (Debian's, driven by playwright-core), served by a real peer on loopback:
 *
 *   1. The main bundle's gzipped size (JS + CSS the page loads first), and the lazy viewers' for reference.
 *   2. First contentful paint of the dashboard from the peer, a fresh browser context (cold cache) each time,
 *      against the anchor of a one-line HTML page from a bare node:http server on loopback, taking turns.
 *   3. Latency from a stage event in the peer (the event's own timestamp) to the DOM of the Jobs view showing
 *      that stage's state, over jobs of one `copy` stage (0.3 s) run by a second peer; the anchor is the same
 *      event arriving at a Node reader of the same event stream.
 *
 *   node dist/bench/dashboard.js [--loads 15] [--jobs 30] [--smoke]
 * `--smoke` (3 loads, 3 jobs unless given) checks that the bench works. Needs /usr/bin/chromium (or
 * MESHNODE_CHROMIUM).
 */
import { createServer } from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser } from 'playwright-core'
import { defaultConfig } from '../src/config/node-config.js'
import { parseServiceConfig } from '../src/executors/service-config.js'
import { dashboardDir } from '../src/api/http/dashboard-route.js'
import { startMeshNode, type MeshNode } from '../src/node/mesh-node.js'

const smoke = process.argv.includes('--smoke')
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    loads: { type: 'string', default: smoke ? '3' : '15' },
    jobs: { type: 'string', default: smoke ? '3' : '30' }
  }
})
const LOADS = Number(args.loads)
const JOBS = Number(args.jobs)
const CHROMIUM = process.env.MESHNODE_CHROMIUM ?? '/usr/bin/chromium'
const JOB_TIMEOUT_MS = 30_000

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}
const median = (values: number[]): number => percentile(values, 0.5)
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

async function bundleSizes (): Promise<void> {
  const dir = dashboardDir()
  const index = await readFile(join(dir, 'index.html'), 'utf8')
  const first = [...index.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.(?:js|css))"/g)].map(m => m[1])
  let total = 0
  for (const file of first) {
    const gz = gzipSync(await readFile(join(dir, file))).length
    total += gz
    console.log(`  ${file}: ${kb(gz)} gzipped`)
  }
  console.log(`main bundle (what the page loads first): ${kb(total)} gzipped (target <= 150 KB)`)
  const { readdir } = await import('node:fs/promises')
  for (const file of (await readdir(join(dir, 'assets'))).filter(f => /viewer/.test(f))) {
    console.log(`  lazy ${file}: ${kb(gzipSync(await readFile(join(dir, 'assets', file))).length)} gzipped, loaded when opened`)
  }
}

async function startNode (dir: string, name: string, offers: string[]): Promise<MeshNode> {
  const config = defaultConfig()
  Object.assign(config, { name, dataDir: join(dir, name), listen: ['/ip4/127.0.0.1/tcp/0'], open: true })
  config.mdns.enabled = false
  config.http = { listen: '127.0.0.1:0' }
  config.tools = { ...config.tools, sandbox: false, embedded: { openscad: false, cura: false } }
  // A stage of a few tenths of a second: its states come apart, as a real stage's do, so each can be drawn.
  config.services = [parseServiceConfig({ name: 'copy', command: '/bin/sh', args: ['-c', 'sleep 0.3; cp "$0" "$1"', '{input}', '{output}'], outputExtension: 'out', timeoutSec: 30 }, 'services[0]')]
  config.offers = offers
  return startMeshNode(config)
}

/** FCP in ms of `url` in a fresh context: nothing cached. */
async function firstPaint (browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(url)
    return await page.evaluate(async () => new Promise<number>(resolve => {
      const found = performance.getEntriesByName('first-contentful-paint')[0]
      if (found != null) { resolve(found.startTime); return }
      new PerformanceObserver(list => { resolve(list.getEntries()[0].startTime) }).observe({ type: 'paint', buffered: true } as any)
    }))
  } finally {
    await context.close()
  }
}

async function paints (browser: Browser, dashboard: string): Promise<void> {
  const anchor = createServer((_req, res) => { res.end('<!doctype html><p>meshnode dashboard loading…</p>') })
  await new Promise<void>(resolve => anchor.listen(0, '127.0.0.1', resolve))
  const address = anchor.address()
  const anchorUrl = `http://127.0.0.1:${typeof address === 'object' && address != null ? address.port : 0}/`
  const ours: number[] = []
  const floor: number[] = []
  await firstPaint(browser, dashboard)
  for (let i = 0; i < LOADS; i++) {
    ours.push(await firstPaint(browser, dashboard))
    floor.push(await firstPaint(browser, anchorUrl))
  }
  anchor.close()
  console.log(`first contentful paint over ${LOADS} cold loads: dashboard median ${median(ours).toFixed(0)} ms, p95 ${percentile(ours, 0.95).toFixed(0)} ms (target <= 300 ms); one-line HTML page median ${median(floor).toFixed(0)} ms; ratio ${(median(ours) / median(floor)).toFixed(2)}`)
}

/** Every event of the peer's stream, with the time it reached this process. */
async function nodeReader (url: string, seen: Array<{ type: string, data: any, arrived: number }>, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal })
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
    if (done === true) return
    buffered += value
    let end: number
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const type = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (type != null && data != null) seen.push({ type, data: JSON.parse(data), arrived: Date.now() })
    }
  }
}

async function stageLatency (browser: Browser, desk: MeshNode): Promise<void> {
  const base = desk.http?.url as string
  const context = await browser.newContext()
  const page = await context.newPage()
  // The page's clock and the peer's are this machine's: Date.now() in both.
  await page.addInitScript(`
    window.__shown = {}
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid=stage-chip]')) {
        const key = el.dataset.job + ' ' + el.dataset.index + ' ' + el.dataset.state
        if (!(key in window.__shown)) window.__shown[key] = Date.now()
      }
    }).observe(document, { subtree: true, childList: true, attributes: true })
  `)
  await page.goto(`${base}/#/jobs`)
  await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor({ timeout: 30_000 })
  const events: Array<{ type: string, data: any, arrived: number }> = []
  const stop = new AbortController()
  const reading = nodeReader(`${base}/api/v1/events`, events, stop.signal).catch(() => {})
  for (let i = 0; i < JOBS; i++) {
    const form = new FormData()
    form.append('file', new Blob([`part ${i}\n`]), `part-${i}.txt`)
    form.append('pipeline', 'copy')
    const created = await fetch(`${base}/api/v1/jobs`, { method: 'POST', body: form })
    const [job] = await created.json() as Array<{ id: string }>
    const deadline = Date.now() + JOB_TIMEOUT_MS
    while (!events.some(e => e.type === 'job' && e.data.jobId === job.id && e.data.state !== 'running')) {
      if (Date.now() > deadline) throw new Error(`job ${job.id} did not end within ${JOB_TIMEOUT_MS} ms`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
  // The last events' DOM updates land a moment after the stream's.
  await new Promise(resolve => setTimeout(resolve, 1000))
  stop.abort()
  await reading
  const shown = await page.evaluate(() => (globalThis as any).__shown as Record<string, number>)
  await context.close()
  const toDom: number[] = []
  const toNode: number[] = []
  for (const e of events.filter(e => e.type === 'stage')) {
    const at = shown[`${String(e.data.jobId)} ${String(e.data.index)} ${String(e.data.state)}`]
    toNode.push(e.arrived - e.data.at)
    if (at != null) toDom.push(at - e.data.at)
  }
  const stageEvents = events.filter(e => e.type === 'stage').length
  console.log(`stage event -> DOM over ${JOBS} jobs: ${toDom.length} of ${stageEvents} stage states shown; median ${median(toDom)} ms, p95 ${percentile(toDom, 0.95)} ms (target p95 <= 100 ms); the same events reaching a Node reader: median ${median(toNode)} ms, p95 ${percentile(toNode, 0.95)} ms`)
  console.log('  (a state the next event replaced before the page drew it is not counted as shown)')
}

async function main (): Promise<void> {
  await bundleSizes()
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-bench-dashboard-'))
  const nodes: MeshNode[] = []
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  try {
    const desk = await startNode(dir, 'desk', [])
    nodes.push(desk)
    const worker = await startNode(dir, 'worker', ['copy'])
    nodes.push(worker)
    await desk.libp2p.dial(worker.libp2p.getMultiaddrs()[0])
    const deadline = Date.now() + 20_000
    while (!desk.capabilities.peers().some(p => p.record.offers.includes('copy'))) {
      if (Date.now() > deadline) throw new Error('the desk never saw the worker')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await paints(browser, `${desk.http?.url as string}/`)
    await stageLatency(browser, desk)
  } finally {
    await browser.close()
    for (const node of nodes.reverse()) await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
