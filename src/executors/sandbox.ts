import { accessSync, constants } from 'node:fs'
import { lstat, readlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { runBriefly } from './brief-run.js'
import { SandboxUnavailableError } from './errors.js'
import { networkFilter } from './seccomp-filter.js'
import { PRLIMIT_PATHS, prlimitArgs } from './tool-limits.js'
import type { ToolLimits } from '../config/node-config.js'

const log = logger('meshnode:executors:sandbox')

/** bubblewrap, at the places distributions put it; never looked up on a PATH. */
const BWRAP_PATHS = ['/usr/bin/bwrap', '/bin/bwrap']
/** The top-level entries a dynamically linked program needs beside /usr: on merged-/usr systems, links into it. */
const SYSTEM_ROOTS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']
/** From /etc only what the loader and the tools' libraries read: the library cache, its alternatives, fonts for text(). */
const SYSTEM_ETC = ['/etc/ld.so.cache', '/etc/alternatives', '/etc/fonts']
const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin'
/** The locale and time zone carry over, so numbers in G-code and logs read as they do outside. */
const PASSED_ENV = /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ)$/
const PROBE_TIMEOUT_MS = 5000
const MIB = 1024 * 1024

/** What one tool run may see: its job folder, and these host paths read-only. */
export interface ToolView {
  workDir: string
  /** Job files the tool reads and must not change: the job's inputs are links to the node's own blobs. */
  inputs: string[]
  /** Host files outside the system it reads: a slicer profile, its own program when that lives outside /usr. */
  readOnly: string[]
}

export interface ToolCommand {
  file: string
  args: string[]
  env: Record<string, string | undefined>
  extendEnv: boolean
  /** True when the command itself dies with the node (bwrap's --die-with-parent): no setpriv needed around it. */
  diesWithParent: boolean
  /** Bytes the command reads from its file descriptor 3: the sandbox's seccomp filter. */
  fd3?: Uint8Array
}

/**
 * How a native tool is run: limited always, walled in unless the node's owner said `tools.sandbox: false`.
 * `env` is what the tool's caller would give it; a sandboxed tool gets only its locale from it.
 */
export interface ToolConfinement {
  command(file: string, args: string[], view: ToolView, limits: ToolLimits, env: Record<string, string | undefined> | undefined): ToolCommand
}

/**
 * bubblewrap: a mount namespace holding /usr and the loader's files read-only, the job folder read-write and
 * a private /tmp; its own pid namespace (a fresh /proc, and every process in it dies with the tool), no
 * network, no IPC with the host, no capabilities. It needs no setuid: unprivileged user namespaces, or root.
 * No network twice over: a network namespace of its own (0.5 to 4.5 ms a run, so keeping it costs little and
 * hides the host's /proc/net), and the seccomp filter, which makes no socket and no io_uring at all; where
 * there is no filter for the machine's architecture, the namespace alone holds.
 * No --new-session: execa already starts the tool in a session of its own, with no terminal to reach.
 * --die-with-parent sets the parent-death signal on bwrap itself as well as on the tool, so no setpriv goes
 * around it: one exec less on every run.
 */
export class BwrapSandbox implements ToolConfinement {
  private readonly bwrap: string
  private readonly prlimit: string
  private readonly system: string[]
  private readonly filter: Buffer | undefined

  constructor (bwrap: string, prlimit: string, system: string[], filter: Buffer | undefined) {
    this.bwrap = bwrap
    this.prlimit = prlimit
    this.system = system
    this.filter = filter
  }

  command (file: string, args: string[], view: ToolView, limits: ToolLimits, env: Record<string, string | undefined> | undefined): ToolCommand {
    const workDir = resolve(view.workDir)
    const program = hostProgram(file)
    const own = isAbsolute(program) && !this.isSystem(program) ? [program] : []
    const bwrapArgs = [
      // A peer run as root gets a user namespace whose root would keep every capability inside it.
      '--die-with-parent', '--unshare-all', ...(this.filter == null ? [] : ['--seccomp', '3']), '--cap-drop', 'ALL',
      ...this.system,
      '--proc', '/proc', '--dev', '/dev',
      // A tmpfs is memory the tool's own limit does not count: it gets the output limit.
      '--size', String(limits.outputMiB * MIB), '--tmpfs', '/tmp',
      '--bind', workDir, workDir,
      ...view.inputs.flatMap(input => ['--ro-bind', resolve(input), resolve(input)]),
      ...[...own, ...view.readOnly].flatMap(path => ['--ro-bind-try', path, path]),
      '--chdir', workDir,
      '--', program, ...args
    ]
    return {
      file: this.prlimit,
      args: [...prlimitArgs(limits), '--', this.bwrap, ...bwrapArgs],
      env: sandboxEnv(env ?? process.env),
      extendEnv: false,
      diesWithParent: true,
      fd3: this.filter
    }
  }

  private isSystem (path: string): boolean {
    return path.startsWith('/usr/') || SYSTEM_ROOTS.some(root => path.startsWith(root + '/'))
  }
}

/** `tools.sandbox: false`: the tool sees what the node sees, and only the limits hold it. */
export class Unsandboxed implements ToolConfinement {
  private readonly prlimit: string

  constructor (prlimit: string) {
    this.prlimit = prlimit
  }

  command (file: string, args: string[], _view: ToolView, limits: ToolLimits, env: Record<string, string | undefined> | undefined): ToolCommand {
    return { file: this.prlimit, args: [...prlimitArgs(limits), '--', file, ...args], env: env ?? {}, extendEnv: env == null, diesWithParent: false }
  }
}

/**
 * This machine has no way to confine a tool. A node refuses to start with native tools to offer; this
 * stands in for the sandbox of those it does not offer, so that not even a bug runs one open.
 */
export class NoConfinement implements ToolConfinement {
  readonly reason: string

  constructor (reason: string) {
    this.reason = reason
  }

  command (file: string): ToolCommand {
    throw new SandboxUnavailableError([file], this.reason)
  }
}

/**
 * The confinement this machine can give native tools: bwrap (or, when `sandbox` is false, limits only).
 * `filter` is the seccomp filter that takes sockets and io_uring away; null runs the network namespace alone.
 */
export async function findConfinement (sandbox: boolean, filter: Buffer | null = networkFilter() ?? null): Promise<ToolConfinement> {
  // Only looked for: the sandbox's probe below runs it, and without the sandbox a broken one fails the first run.
  const prlimit = PRLIMIT_PATHS.find(isExecutable)
  if (prlimit == null) return new NoConfinement(`util-linux's prlimit is not at ${PRLIMIT_PATHS.join(' or ')}`)
  if (!sandbox) return new Unsandboxed(prlimit)
  const system = await systemView()
  let failure = `bubblewrap is not at ${BWRAP_PATHS.join(' or ')}`
  for (const bwrap of BWRAP_PATHS) {
    const candidate = new BwrapSandbox(bwrap, prlimit, system, filter ?? undefined)
    const probe = candidate.command('true', [], { workDir: tmpdir(), inputs: [], readOnly: [] }, { memoryMiB: 256, outputMiB: 16 }, {})
    const answer = await run(probe)
    if (answer.ok) return candidate
    if (answer.found) failure = `${bwrap} cannot make a sandbox here: ${answer.message}`
  }
  log('no sandbox: %s', failure)
  return new NoConfinement(failure)
}

/** bwrap arguments for /usr and the loader's files, as this machine lays them out (read once at start). */
async function systemView (): Promise<string[]> {
  const args = ['--ro-bind', '/usr', '/usr']
  for (const root of SYSTEM_ROOTS) {
    const stat = await lstat(root).catch(() => undefined)
    if (stat?.isSymbolicLink() === true) args.push('--symlink', await readlink(root), root)
    else if (stat?.isDirectory() === true) args.push('--ro-bind', root, root)
  }
  return [...args, ...SYSTEM_ETC.flatMap(path => ['--ro-bind-try', path, path])]
}

/**
 * The path a program name runs from on the host, found on the node's PATH as the node would find it: a tool
 * in /opt/bin is bound into the sandbox at that path. A path stays as it is; a name found nowhere too, and
 * the sandbox reports it missing.
 */
function hostProgram (file: string): string {
  if (file.includes('/')) return file
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(isAbsolute)
  return dirs.map(dir => join(dir, file)).find(isExecutable) ?? file
}

function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function sandboxEnv (from: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = { PATH: SANDBOX_PATH, HOME: '/tmp', TMPDIR: '/tmp' }
  for (const [key, value] of Object.entries(from)) if (value != null && PASSED_ENV.test(key)) env[key] = value
  return env
}

async function run (command: ToolCommand): Promise<{ ok: boolean, found: boolean, message: string }> {
  const ended = await runBriefly(command.file, command.args, { timeoutMs: PROBE_TIMEOUT_MS, env: { PATH: SANDBOX_PATH }, fd3: command.fd3 })
  const firstLine = ended.output.trim().split('\n')[0]
  const why = ended.error?.message ?? (ended.timedOut ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : ended.signal != null ? `killed by ${ended.signal}` : `exit code ${String(ended.code)}`)
  return { ok: ended.code === 0, found: ended.error?.code !== 'ENOENT', message: firstLine !== '' ? firstLine : why }
}
