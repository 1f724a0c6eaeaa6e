import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { meshnodeBin } from '../../src/paths.js'
import { meshnode } from '../cli/host-daemon.js'
import { runNode } from '../lan/run-node.js'
import { waitFor } from '../lan/wait.js'

/** A TCP server on a free loopback port: held, it makes that port busy; closed, it leaves the port free. */
async function holdPort (): Promise<Server> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  return server
}

async function freePort (): Promise<number> {
  const server = await holdPort()
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Whether anything answers HTTP there (any status): a closed listener refuses the connection. */
async function answers (url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).arrayBuffer()
    return true
  } catch {
    return false
  }
}

interface Listens {
  http: number | null
  octoprint: number | null
  reprapcloud: number | null
}

/** A reload probes the tools again: with none to probe it is quick on a loaded machine. */
const NO_TOOLS = { openscad: false, prusaSlicer: false, slic3r: false, curaEngine: false, embedded: { openscad: false, cura: false } }

const at = (port: number | null): { listen: string | null } => ({ listen: port == null ? null : `127.0.0.1:${port}` })

/**
 * SIGHUP with a changed config moves the HTTP API and the gateways (the new address opens before the old one
 * closes), closes one turned off, and keeps one whose new address is busy where it was, saying so in the
 * daemon's log and in `meshnode status` until a later reload settles it.
 */
test('SIGHUP moves, closes and keeps the HTTP API and the gateways as the config says', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-reload-listeners-'))
  const busy = await holdPort()
  t.after(async () => {
    if (busy.listening) await new Promise(resolve => busy.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })
  const configFile = join(dir, 'node.json')
  const dataDir = join(dir, 'data')
  const writeConfig = async (ports: Listens): Promise<void> => {
    await writeFile(configFile, JSON.stringify({ http: at(ports.http), gateways: { octoprint: at(ports.octoprint), reprapcloud: at(ports.reprapcloud) }, tools: NO_TOOLS }))
  }
  const first = { http: await freePort(), octoprint: await freePort(), reprapcloud: await freePort() }
  await writeConfig(first)

  const run = runNode([meshnodeBin, 'start', '--config', configFile, '--data-dir', dataDir, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--offer', 'none'], { timeoutMs: 10 * 60_000, untilStdout: 'ready' })
  t.after(async () => {
    if (run.child.exitCode != null || run.child.signalCode != null) return
    run.child.kill('SIGTERM')
    const killer = setTimeout(() => run.child.kill('SIGKILL'), 10_000)
    await once(run.child, 'close')
    clearTimeout(killer)
  })
  let stdout = ''
  let stderr = ''
  run.child.stdout?.on('data', (chunk: string) => { stdout += chunk })
  run.child.stderr?.on('data', (chunk: string) => { stderr += chunk })
  await run.sawLine
  const url = (port: number): string => `http://127.0.0.1:${port}`
  for (const port of Object.values(first)) assert.ok(await answers(url(port)), `listening on ${port} after start`)

  let reloads = 0
  const reload = async (ports: Listens): Promise<void> => {
    await writeConfig(ports)
    reloads++
    run.child.kill('SIGHUP')
    await waitFor(() => stdout.split('config reloaded').length - 1 === reloads, { timeoutMs: 120_000, intervalMs: 100, what: `reload ${reloads} to finish; stdout:\n${stdout}\nstderr:\n${stderr}` })
  }
  const status = async (): Promise<string> => {
    const shown = await meshnode(['status', '--data-dir', dataDir])
    assert.equal(shown.code, 0, shown.stderr)
    return shown.stdout
  }

  const second = { http: await freePort(), octoprint: null, reprapcloud: await freePort() }
  await t.test('a changed address moves the listener there; one turned off closes', async () => {
    await reload(second)
    assert.ok(await answers(url(second.http) + '/api/v1/openapi.json'), 'the HTTP API answers on its new address')
    assert.ok(await answers(url(second.reprapcloud)), 'the RepRapCloud gateway answers on its new address')
    for (const port of Object.values(first)) assert.equal(await answers(url(port)), false, `nothing listens on the old ${port}`)
    const shown = await status()
    assert.match(shown, new RegExp(`HTTP API\\s+http://127\\.0\\.0\\.1:${second.http}\\n`))
    assert.match(shown, new RegExp(`reprapcloud\\s+http://127\\.0\\.0\\.1:${second.reprapcloud}\\n`))
    assert.doesNotMatch(shown, /octoprint|NOT MOVED/)
  })

  await t.test('an address that is busy: the listener stays where it was, and the log and status say why', async () => {
    const taken = (busy.address() as AddressInfo).port
    await reload({ ...second, http: taken })
    const why = `the HTTP API stays on http://127.0.0.1:${second.http}: cannot serve the HTTP API on 127.0.0.1:${taken}: the address is in use`
    assert.ok(stderr.includes(`meshnode: ${why}`), stderr)
    assert.match(stdout, /config reloaded, except 1 listener/)
    assert.ok(await answers(url(second.http) + '/api/v1/openapi.json'), 'the HTTP API still answers where it was')
    assert.ok((await status()).includes(`NOT MOVED  ${why}`), 'meshnode status says which listener did not move and why')

    await new Promise(resolve => busy.close(resolve))
    await reload({ ...second, http: taken })
    assert.ok(await answers(url(taken) + '/api/v1/openapi.json'), 'a later reload moves it once the address is free')
    assert.equal(await answers(url(second.http)), false)
    assert.doesNotMatch(await status(), /NOT MOVED/)
  })
})
