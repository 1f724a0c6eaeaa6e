import { logger } from '@libp2p/logger'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { RunFrame } from '../../protocols/admin.js'
import { BUILT_IN_COMMANDS, runCommand, type CommandConfig, type CommandEnd } from '../executors/admin-command.js'
import { MAX_DOCUMENT_BYTES, openDocument, RefusedDocumentError, targets, type OpenedDocument } from './admin-document.js'
import { ADMIN_RUN_PROTOCOL, MAX_OUTPUT_LINES, MAX_RUN_FRAME_BYTES, RUN_ACCEPT_TIMEOUT_MS } from './constants.js'
import { isPrinterCommand, type PrinterCommands } from './printer-commands.js'
import type { AuditLog } from './audit-log.js'
import type { DrainSwitch } from './drain-switch.js'
import type { MeshDb } from '../store/open-db.js'
import type { MeshLibp2p } from '../net/libp2p.js'
import type { Stream } from '@libp2p/interface'

const log = logger('meshnode:admin-run')
const LAST_RUN_KEY = 'admin:last-run'

export interface CommandDeskInit {
  self(): { name: string, tags: readonly string[] }
  trusted(): readonly string[]
  commands(): readonly CommandConfig[]
  drain: DrainSwitch
  /** The operator commands for this node's own printers. */
  printers: PrinterCommands
  /** Restarts the node (after the answer has gone); undefined where it cannot (a node inside a test). */
  restart?: () => void
  /** The node's state changed (drained): tell the mesh. */
  changed(): void
}

interface RunRequest { name: string, args: string[] }

/**
 * Runs what an admin asks by name over /meshnode/admin-run/1.0.0: the built-in drain, undrain and restart, the
 * operator commands for this node's printers, or a command this node's config declares, never anything else. The document must be signed by a trusted key,
 * unexpired, meant for this node and newer than the last run document it took (no replay).
 */
export class CommandDesk {
  private readonly libp2p: MeshLibp2p
  private readonly db: MeshDb
  private readonly audit: AuditLog
  private readonly init: CommandDeskInit
  private lastRun = 0
  private readonly running = new Set<AbortController>()

  constructor (components: { libp2p: MeshLibp2p, db: MeshDb, audit: AuditLog }, init: CommandDeskInit) {
    this.libp2p = components.libp2p
    this.db = components.db
    this.audit = components.audit
    this.init = init
  }

  async start (): Promise<void> {
    this.lastRun = await this.db.get(LAST_RUN_KEY) ?? 0
    await this.libp2p.handle(ADMIN_RUN_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection.remotePeer.toString()).catch(err => { log('serving a run failed %e', err) })
    })
  }

  async stop (): Promise<void> {
    for (const run of this.running) run.abort()
    await this.libp2p.unhandle(ADMIN_RUN_PROTOCOL)
  }

  /** Runs a document that came through the local API for this node itself: the same checks, no stream. */
  async runHere (bytes: Uint8Array, from: string, send: (frame: RunFrame) => void, signal: AbortSignal): Promise<void> {
    const frame = (partial: Partial<RunFrame>): RunFrame => ({ stdout: '', stderr: '', done: false, exitCode: 0, timedOut: false, error: '', ...partial })
    let doc: OpenedDocument
    let request: RunRequest
    try {
      doc = openDocument(bytes, this.init.trusted())
      request = this.check(doc)
    } catch (err: any) {
      if (!(err instanceof RefusedDocumentError)) throw err
      await this.audit.append({ decision: 'refused', from, reason: err.message })
      send(frame({ done: true, error: err.message }))
      return
    }
    this.lastRun = doc.revision
    await this.db.put(LAST_RUN_KEY, doc.revision)
    const about = { key: `run:${request.name}`, revision: doc.revision, admin: doc.admin, from }
    let lines = 0
    const end = await this.execute(request, (stream, line) => {
      if (++lines <= MAX_OUTPUT_LINES) send(frame(stream === 'stdout' ? { stdout: line } : { stderr: line }))
      else if (lines === MAX_OUTPUT_LINES + 1) send(frame({ stderr: `(more output than ${MAX_OUTPUT_LINES} lines: the rest is not sent)` }))
    }, signal)
    await this.audit.append({ ...about, decision: 'ran', reason: end.error ?? `exit code ${String(end.exitCode)}` })
    send(frame({ done: true, exitCode: end.exitCode ?? -1, timedOut: end.timedOut, error: end.error ?? '' }))
  }

  private check (doc: OpenedDocument): RunRequest {
    if (doc.kind !== 'run') throw new RefusedDocumentError(`a ${doc.kind} document is not a command`)
    if (!targets(doc.target, this.init.self())) throw new RefusedDocumentError(`the document is not meant for ${this.init.self().name}`)
    if (doc.revision <= this.lastRun) throw new RefusedDocumentError(`revision ${doc.revision} is not newer than the last command run here (${this.lastRun}): a replay`)
    const body = doc.body as Partial<RunRequest> | null
    if (typeof body?.name !== 'string' || !Array.isArray(body.args) || !body.args.every(a => typeof a === 'string')) throw new RefusedDocumentError('a run document needs a name and string args')
    const known = [...BUILT_IN_COMMANDS, ...this.init.printers.names(), ...this.init.commands().map(c => c.name)]
    if (!known.includes(body.name)) throw new RefusedDocumentError(`no command "${body.name.slice(0, 40)}" is declared on ${this.init.self().name} (it has: ${known.join(', ')})`)
    return { name: body.name, args: body.args }
  }

  private async execute (request: RunRequest, onLine: (stream: 'stdout' | 'stderr', line: string) => void, signal: AbortSignal): Promise<CommandEnd> {
    switch (request.name) {
      case 'drain':
      case 'undrain':
        await this.init.drain.set(request.name === 'drain')
        this.init.changed()
        onLine('stdout', request.name === 'drain' ? 'drained: bidding for no new stage; the work under way goes on' : 'undrained: bidding again')
        return { exitCode: 0, timedOut: false }
      case 'restart':
        if (this.init.restart == null) return { timedOut: false, error: 'this node cannot restart itself (it was not started by "meshnode start")' }
        onLine('stdout', 'restarting')
        setTimeout(this.init.restart, 200)
        return { exitCode: 0, timedOut: false }
    }
    if (isPrinterCommand(request.name)) return this.init.printers.run(request.name, request.args, onLine)
    const command = this.init.commands().find(c => c.name === request.name) as CommandConfig
    const run = new AbortController()
    this.running.add(run)
    try {
      return await runCommand(command, request.args, onLine, AbortSignal.any([signal, run.signal]))
    } catch (err: any) {
      return { timedOut: false, error: err.message }
    } finally {
      this.running.delete(run)
    }
  }

  private async serve (stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_DOCUMENT_BYTES })
    const gone = new AbortController()
    try {
      const bytes = (await lp.read({ signal: AbortSignal.timeout(RUN_ACCEPT_TIMEOUT_MS) })).subarray()
      let writing: Promise<unknown> = Promise.resolve()
      await this.runHere(bytes, from, frame => {
        writing = writing.then(async () => writeFrame(lp, frame)).catch(() => { gone.abort() })
      }, gone.signal)
      await writing
      await stream.close()
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }
}

async function writeFrame (lp: LengthPrefixedStream<Stream>, frame: RunFrame): Promise<void> {
  const bytes = RunFrame.encode(frame)
  await lp.write(bytes.byteLength > MAX_RUN_FRAME_BYTES ? RunFrame.encode({ ...frame, stdout: frame.stdout.slice(0, 4096), stderr: frame.stderr.slice(0, 4096) }) : bytes)
}
