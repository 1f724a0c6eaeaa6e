import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { test } from 'node:test'
import { meshnodeBin } from '../../src/paths.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl } from '../api/http-fixture.js'
import { waitFor } from '../lan/wait.js'
import { launchBrowser, SCREENSHOTS } from './browser.js'

/** A peer's card greys out, and comes back, within this: generous, the machine is shared. */
const SEEN_TIMEOUT_MS = 60_000
const EXIT_TIMEOUT_MS = 10_000

/** A `meshnode start` daemon, its output kept in a file for a failing test's report. */
interface Daemon {
  child: ChildProcess
  log: string
}

function running (daemon: Daemon | undefined): daemon is Daemon {
  return daemon != null && daemon.child.exitCode == null && daemon.child.signalCode == null
}

async function kill9 (daemon: Daemon): Promise<void> {
  if (!running(daemon)) return
  const exited = once(daemon.child, 'exit')
  process.kill(daemon.child.pid as number, 'SIGKILL')
  await Promise.race([exited, new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`pid ${daemon.child.pid} still runs ${EXIT_TIMEOUT_MS} ms after SIGKILL`)), EXIT_TIMEOUT_MS).unref())])
}

test('kill -9 of a peer: its card in the open dashboard greys out; started again on the same data dir, it returns, without a reload', async (t) => {
  const browser = await launchBrowser(t)
  if (browser == null) return
  // Registered before the temp dir's own hook, so it runs first: the daemon is gone before its data dir is removed.
  let workstation: Daemon | undefined
  t.after(async () => { if (workstation != null) await kill9(workstation) })
  const dir = await tempDir(t, 'meshnode-dashboard-peer-loss-')
  const printerPi = await startPeer(t, dir, 'printer-pi')
  const dataDir = join(dir, 'workstation')
  const start = (round: number): Daemon => {
    const log = join(dir, `workstation-${round}.log`)
    const out = createWriteStream(log)
    const child = spawn(process.execPath, [meshnodeBin, 'start', '--data-dir', dataDir, '--name', 'workstation', '--open', '--no-mdns',
      '--listen', '/ip4/127.0.0.1/tcp/0', '--peer', printerPi.libp2p.getMultiaddrs()[0].toString(), '--offer', 'none', '--http', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.pipe(out)
    child.stderr.pipe(out)
    return { child, log }
  }
  const report = async (): Promise<string> => workstation == null ? '' : `workstation's output:\n${await readFile(workstation.log, 'utf8').catch(() => '')}`

  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', err => problems.push(err.message))
  let loads = 0
  page.on('load', () => { loads++ })
  await page.goto(httpUrl(printerPi) + '/')
  await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
  await page.evaluate(() => { (globalThis as any).__samePage = true })

  workstation = start(1)
  const card = (gone: boolean): ReturnType<typeof page.locator> => page.locator(`[data-testid=peer][data-peer=workstation][data-gone=${String(gone)}]`)
  await card(false).waitFor({ timeout: SEEN_TIMEOUT_MS }).catch(async err => { throw new Error(`${(err as Error).message}\n${await report()}`) })
  const firstId = printerPi.capabilities.peers().find(p => p.name === 'workstation')?.peerId
  assert.ok(firstId != null, 'printer-pi lists the workstation')

  await kill9(workstation)
  assert.equal(workstation.child.signalCode, 'SIGKILL', 'the peer was killed, not stopped')
  await card(true).waitFor({ timeout: SEEN_TIMEOUT_MS })
  assert.match(await card(true).innerText(), /gone/)
  await page.screenshot({ path: join(SCREENSHOTS, 'mesh-peer-gone.png'), fullPage: true })

  workstation = start(2)
  await card(false).waitFor({ timeout: SEEN_TIMEOUT_MS }).catch(async err => { throw new Error(`${(err as Error).message}\n${await report()}`) })
  await waitFor(() => printerPi.capabilities.peers().some(p => p.name === 'workstation'), { timeoutMs: SEEN_TIMEOUT_MS, what: 'printer-pi to list the workstation again' })
  assert.equal(printerPi.capabilities.peers().find(p => p.name === 'workstation')?.peerId, firstId, 'the same peer came back: same data dir, same identity')
  assert.equal(await page.locator('[data-testid=peer][data-peer=workstation]').count(), 1, 'it returns in its own row, not as a second one')
  assert.equal(await page.evaluate(() => (globalThis as any).__samePage), true, 'the page was not reloaded')
  assert.equal(loads, 1, 'the page loaded once')
  await page.screenshot({ path: join(SCREENSHOTS, 'mesh-peer-back.png'), fullPage: true })
  assert.deepEqual(problems, [], 'the page threw no errors')
})
