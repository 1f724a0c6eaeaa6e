/**
 * What the RepRapCloud gateway adds to a job. Two real `meshnode start` processes on loopback: a requester that
 * offers nothing and serves the gateway, and a renderer. The same small part goes, taking turns in one run,
 * (a) through the gateway as the relay's synchronous client fetches it: `curl -s -F service=openscad
 * -F fileIn0=@part.scad` (the reply held until the task ends), then `curl` GET of its tasks/out/... file; and
 * (b) through `meshnode submit part.scad --pipeline scad -o part.stl`. Each run a new design, so the stage
 * cache never answers. Medians of each and of the paired differences (gateway minus submit). The CLI pays
 * for starting a Node process, which curl does not, so each path is also shown without its job: the time
 * from the request's start to its end, minus the job's own life in the requester's store (created to ended).
 * Run after `npm run build`:  node dist/bench/reprapcloud.js [--runs 21] [--smoke]
 * `--smoke` (2 runs unless given) checks that the bench works.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs, promisify } from 'node:util'

const run = promisify(execFile)
const smoke = process.argv.includes('--smoke')
const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, runs: { type: 'string', default: smoke ? '2' : '21' } } })
const runs = Number(values.runs)
const bin = resolve(import.meta.dirname, '..', 'src', 'bin', 'meshnode.js')
const STEP_TIMEOUT_MS = 120_000

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Starts a peer and waits for its banner's "ready"; gives the process and its banner. */
async function startPeer (args: string[]): Promise<{ process: ChildProcess, banner: string }> {
  const child = spawn(process.execPath, [bin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let banner = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no "ready" within ${STEP_TIMEOUT_MS} ms: ${banner}`)) }, STEP_TIMEOUT_MS)
    child.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString()
      if (banner.includes('\nready\n')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`meshnode start exited (${String(code)}): ${banner}`)) })
  })
  child.stderr?.resume()
  return { process: child, banner }
}

async function timed (file: string, args: string[]): Promise<{ ms: number, stdout: string }> {
  const started = process.hrtime.bigint()
  const { stdout } = await run(file, args, { timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 })
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-bench-rrc-'))
  const peers: ChildProcess[] = []
  try {
    const common = ['--open', '--no-mdns', '--http', 'off']
    const rendererPort = await freePort()
    const renderer = await startPeer([...common, '--data-dir', join(dir, 'renderer'), '--name', 'renderer', '--offer', 'scad', '--listen', `/ip4/127.0.0.1/tcp/${rendererPort}`])
    peers.push(renderer.process)
    const peerId = /peer id\s+(\S+)/.exec(renderer.banner)?.[1] as string
    const gatewayPort = await freePort()
    const url = `http://127.0.0.1:${gatewayPort}`
    const requester = await startPeer([...common, '--data-dir', join(dir, 'requester'), '--name', 'requester', '--offer', 'none', '--listen', '/ip4/127.0.0.1/tcp/0',
      '--peer', `/ip4/127.0.0.1/tcp/${rendererPort}/p2p/${peerId}`, '--reprapcloud', `127.0.0.1:${gatewayPort}`])
    peers.push(requester.process)
    const deadline = Date.now() + STEP_TIMEOUT_MS
    while (!(await run('curl', ['-s', `${url}/?service=meta`])).stdout.includes('openscad')) {
      if (Date.now() > deadline) throw new Error('the gateway never offered openscad: the requester does not see the renderer')
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    const gateway: number[] = []
    const submit: number[] = []
    const differences: number[] = []
    const gatewayAround: number[] = []
    const curlFloor: number[] = []
    const submitAround: number[] = []
    const requesterDir = join(dir, 'requester')
    const cliJson = async (args: string[]): Promise<any> => JSON.parse((await run(process.execPath, [bin, ...args, '--json', '--data-dir', requesterDir], { timeout: STEP_TIMEOUT_MS })).stdout)
    const jobLife = async (id: string): Promise<number> => {
      const job = await cliJson(['job', id])
      return job.updatedAt - job.createdAt
    }
    let part = 0
    const design = async (): Promise<string> => {
      const path = join(dir, `part-${part}.scad`)
      await writeFile(path, `cube([${10 + part++}, 10, 5]);\n`)
      return path
    }
    // One of each first, not counted: the first render of each path warms the renderer's engine.
    for (let round = -1; round < runs; round++) {
      const viaGateway = await design()
      const held = await timed('curl', ['-s', '-F', 'service=openscad', '-F', `fileIn0=@${viaGateway}`, `${url}/`])
      const out = /^out: (\S+)$/m.exec(held.stdout)?.[1]
      if (!/^status: complete$/m.test(held.stdout) || out == null) throw new Error(`the gateway's task did not complete:\n${held.stdout}`)
      const fetched = await timed('curl', ['-s', '-o', join(dir, `gateway-${part}.stl`), `${url}/${out}`])
      const floor = await timed('curl', ['-s', '-o', '/dev/null', `${url}/?service=info&id=${/^id: (\S+)$/m.exec(held.stdout)?.[1] as string}`])
      const viaSubmit = await design()
      const submitted = await timed(process.execPath, [bin, 'submit', viaSubmit, '--pipeline', 'scad', '-o', join(dir, `submit-${part}.stl`), '--data-dir', requesterDir])
      if (round < 0) continue
      gateway.push(held.ms + fetched.ms)
      submit.push(submitted.ms)
      differences.push(held.ms + fetched.ms - submitted.ms)
      curlFloor.push(floor.ms)
      gatewayAround.push(held.ms + fetched.ms - await jobLife(/^job: (\S+)$/m.exec(held.stdout)?.[1] as string))
      submitAround.push(submitted.ms - await jobLife((await cliJson(['jobs'])).at(-1).id))
    }
    console.log(`a small part rendered on a 2-peer loopback mesh, ${runs} runs each, taking turns (load ${loadavg()[0].toFixed(1)}):`)
    console.log(`  gateway (curl -F submit held to the end, then GET tasks/out): median ${median(gateway).toFixed(1)} ms`)
    console.log(`  meshnode submit --pipeline scad -o part.stl:                 median ${median(submit).toFixed(1)} ms`)
    console.log(`  gateway minus submit, median of ${runs} pairs: ${median(differences).toFixed(1)} ms (target <= 10 ms)`)
    console.log(`  outside the job (request's time minus the job's life): gateway median ${median(gatewayAround).toFixed(1)} ms, submit median ${median(submitAround).toFixed(1)} ms; one curl of a task's record alone: median ${median(curlFloor).toFixed(1)} ms (the gateway path runs curl twice)`)
  } finally {
    for (const peer of peers) peer.kill('SIGTERM')
    await Promise.all(peers.map(async peer => peer.exitCode != null ? undefined : new Promise(resolve => peer.once('exit', resolve))))
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
