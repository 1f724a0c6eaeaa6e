import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { meshnodeBin } from '../../src/paths.js'
import { runNode, type NodeRun } from '../lan/run-node.js'
import type { TestContext } from 'node:test'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI as a user does, on this host (bounded); never throws on a non-zero exit. */
export async function meshnode (args: string[], timeoutMs = 30_000): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [meshnodeBin, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL' })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

/**
 * `meshnode start ARGS` on 127.0.0.1 with mDNS off, up once it printed "ready"; stopped (SIGTERM, then SIGKILL,
 * by its pid) when the test ends. Its first listen address comes from the banner.
 */
export async function startDaemon (t: TestContext, args: string[], timeoutMs = 60_000): Promise<{ run: NodeRun, address: string }> {
  const run = runNode([meshnodeBin, 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', ...args], { timeoutMs: 10 * 60_000, untilStdout: 'ready' })
  t.after(async () => {
    if (run.child.exitCode != null || run.child.signalCode != null) return
    run.child.kill('SIGTERM')
    const killer = setTimeout(() => run.child.kill('SIGKILL'), 10_000)
    await once(run.child, 'close')
    clearTimeout(killer)
  })
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs)
  try {
    const banner = await run.sawLine
    const address = /listening\s+(\S+)/.exec(banner)?.[1]
    if (address == null) throw new Error(`no listen address in the banner:\n${banner}`)
    return { run, address }
  } finally {
    clearTimeout(timer)
  }
}
