import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { RunFrame } from '../../protocols/admin.js'
import { openDocument, targets } from './admin-document.js'
import { ADMIN_RUN_PROTOCOL, MAX_OUTPUT_LINES, MAX_RUN_FRAME_BYTES, MAX_RUN_WAIT_MS } from './constants.js'
import type { CommandDesk } from './command-desk.js'
import type { FleetEntry } from './fleet-reports.js'
import type { MeshLibp2p } from '../net/libp2p.js'

/** One line of a command's output, from one node. */
export interface RunOutput { node: string, stream: 'stdout' | 'stderr', line: string }

/** How a command ended on one node. */
export interface RunResult { node: string, exitCode?: number, timedOut: boolean, error?: string }

/**
 * Sends a signed run document to every node it targets that this one has heard of (itself included), all at
 * once, and passes their output on as it comes.
 */
export class CommandCaller {
  private readonly libp2p: MeshLibp2p
  private readonly desk: Pick<CommandDesk, 'runHere'>
  private readonly fleet: () => FleetEntry[]
  private readonly trusted: () => readonly string[]

  constructor (components: { libp2p: MeshLibp2p, desk: Pick<CommandDesk, 'runHere'> }, init: { fleet: () => FleetEntry[], trusted: () => readonly string[] }) {
    this.libp2p = components.libp2p
    this.desk = components.desk
    this.fleet = init.fleet
    this.trusted = init.trusted
  }

  async run (bytes: Uint8Array, onOutput: (output: RunOutput) => void, signal: AbortSignal): Promise<RunResult[]> {
    const doc = openDocument(bytes, this.trusted())
    const nodes = this.fleet().filter(node => targets(doc.target, node))
    if (nodes.length === 0) throw new Error('no node this one has heard of is a target of the command; see "meshnode admin status"')
    return Promise.all(nodes.map(async node => {
      const sink = (frame: RunFrame): RunResult | undefined => {
        if (frame.stdout !== '') onOutput({ node: node.name, stream: 'stdout', line: frame.stdout })
        if (frame.stderr !== '') onOutput({ node: node.name, stream: 'stderr', line: frame.stderr })
        if (!frame.done) return undefined
        return { node: node.name, timedOut: frame.timedOut, ...(frame.error !== '' ? { error: frame.error } : { exitCode: frame.exitCode }) }
      }
      try {
        return node.self ? await this.runHere(bytes, sink, signal) : await this.runOn(node.peerId, bytes, sink, signal)
      } catch (err: any) {
        return { node: node.name, timedOut: false, error: `no answer: ${String(err.message)}` }
      }
    }))
  }

  private async runHere (bytes: Uint8Array, sink: (frame: RunFrame) => RunResult | undefined, signal: AbortSignal): Promise<RunResult> {
    let result: RunResult | undefined
    await this.desk.runHere(bytes, 'api', frame => { result = sink(frame) ?? result }, signal)
    return result as RunResult
  }

  private async runOn (peerId: string, bytes: Uint8Array, sink: (frame: RunFrame) => RunResult | undefined, signal: AbortSignal): Promise<RunResult> {
    const until = AbortSignal.any([signal, AbortSignal.timeout(MAX_RUN_WAIT_MS)])
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), ADMIN_RUN_PROTOCOL, { signal: until })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_RUN_FRAME_BYTES })
      await lp.write(bytes, { signal: until })
      // The output lines, a notice that more were dropped, and the end.
      for (let frames = 0; frames <= MAX_OUTPUT_LINES + 2; frames++) {
        const result = sink(RunFrame.decode(await lp.read({ signal: until })))
        if (result != null) {
          await stream.close({ signal: until })
          return result
        }
      }
      throw new Error('more frames than a run sends')
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }
}
