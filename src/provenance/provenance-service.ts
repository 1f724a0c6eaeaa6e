import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { ProvenanceAnswer, ProvenanceQuery } from '../../protocols/provenance.js'
import { isBlobHash } from '../blobs/blob-hash.js'
import { chainFor } from './provenance-chain.js'
import { MAX_PROVENANCE_BYTES } from './stage-provenance.js'
import type { JobStore } from '../store/job-store.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

const log = logger('meshnode:provenance')

export const PROVENANCE_PROTOCOL = '/meshnode/provenance/1.0.0'
const MAX_QUERY_BYTES = 128
/** A pipeline longer than this is not one anybody submits. */
const MAX_STAGES = 32
const MAX_ANSWER_BYTES = MAX_STAGES * (MAX_PROVENANCE_BYTES + 8)
const TIMEOUT_MS = 5000

export interface ProvenanceServiceComponents {
  handle: Libp2p['handle']
  unhandle: Libp2p['unhandle']
  dialProtocol: Libp2p['dialProtocol']
  getPeers: Libp2p['getPeers']
}

/** Where a file's record was found: this node's own jobs, or the peer that requested the job. */
export interface FoundChain {
  chain: Uint8Array[]
  from: string
}

/**
 * Finds the signed record of a file by its sha256: in the jobs this node requested, else by asking every
 * connected peer for theirs (each answers from the jobs it requested), over /meshnode/provenance/1.0.0.
 */
export class ProvenanceService {
  constructor (private readonly components: ProvenanceServiceComponents, private readonly store: Pick<JobStore, 'list'>, private readonly self: string) {}

  async start (): Promise<void> {
    await this.components.handle(PROVENANCE_PROTOCOL, this.serve, { maxInboundStreams: 16 })
  }

  async stop (): Promise<void> {
    await this.components.unhandle(PROVENANCE_PROTOCOL)
  }

  async find (hash: string): Promise<FoundChain | undefined> {
    const local = await this.local(hash)
    if (local !== undefined) return { chain: local, from: this.self }
    const asked = this.components.getPeers().map(async (peer) => {
      const chain = await this.ask(peer, hash)
      if (chain.length === 0) throw new Error(`${peer.toString()} has no record of ${hash}`)
      return { chain, from: peer.toString() }
    })
    if (asked.length === 0) return undefined
    return await Promise.any(asked).catch(() => undefined)
  }

  private async local (hash: string): Promise<Array<Uint8Array<ArrayBuffer>> | undefined> {
    for (const job of await this.store.list()) {
      const chain = chainFor(job, hash)
      if (chain !== undefined) return chain
    }
    return undefined
  }

  private async ask (peer: PeerId, hash: string): Promise<Uint8Array[]> {
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    const stream = await this.components.dialProtocol(peer, PROVENANCE_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_ANSWER_BYTES })
      await lp.write(ProvenanceQuery.encode({ hash }), { signal })
      const answer = ProvenanceAnswer.decode(await lp.read({ signal }), { limits: { stages: MAX_STAGES } })
      await stream.close({ signal })
      return answer.stages
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private readonly serve = async (stream: Stream, connection: Connection): Promise<void> => {
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_QUERY_BYTES })
      const query = ProvenanceQuery.decode(await lp.read({ signal }))
      const chain = isBlobHash(query.hash) ? (await this.local(query.hash)) ?? [] : []
      await lp.write(ProvenanceAnswer.encode({ stages: chain.slice(0, MAX_STAGES) }), { signal })
      await stream.close({ signal })
    } catch (err) {
      log('answering %p failed %e', connection.remotePeer, err)
      stream.abort(err as Error)
    }
  }
}
