import { peerIdFromString } from '@libp2p/peer-id'
import { SignedProvenance, StageProvenance } from '../../protocols/provenance.js'

import type { StageSpec } from '../../protocols/market.js'
import type { ToolInfo } from '../executors/executor.js'
import type { FileRef } from '../jobs/job.js'

export { StageProvenance }

/** A stage's record is a few hundred bytes; a command line of a custom service is the most it can grow by. */
export const MAX_PROVENANCE_BYTES = 16 * 1024
const LIMITS = { limits: { inputs: 65, command: 256, params: 256 } }

export class InvalidProvenanceError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidProvenanceError'
  }
}

/** What a peer did for a stage, as it signs it. */
export function stageProvenance (run: { spec: StageSpec, tool: Pick<ToolInfo, 'name' | 'version'>, output: Pick<FileRef, 'hash' | 'size'>, command: string[], cached: boolean, peerId: string, startedAt: number, finishedAt: number }): StageProvenance {
  const { spec } = run
  return {
    jobId: spec.jobId,
    index: spec.index,
    kind: spec.kind,
    inputs: [spec.input?.hash ?? '', ...spec.extra.map(e => e.hash)],
    tool: run.tool.name,
    toolVersion: run.tool.version,
    command: run.command,
    params: new Map(spec.params),
    profile: spec.profile,
    printer: spec.printer,
    material: spec.material,
    output: run.output.hash,
    outputSize: run.output.size,
    peerId: run.peerId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    cached: run.cached,
    requester: spec.requester
  }
}

/** Signs what this peer did for a stage with its key: the bytes go to the requester with the result. */
export async function signProvenance (record: StageProvenance, sign: (bytes: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const bytes = StageProvenance.encode(record)
  return SignedProvenance.encode({ record: bytes, signature: new Uint8Array(await sign(bytes)) })
}

/** Decodes a signed stage record and checks it was signed by the peer it names. */
export async function openProvenance (bytes: Uint8Array): Promise<StageProvenance> {
  if (bytes.byteLength > MAX_PROVENANCE_BYTES) throw new InvalidProvenanceError(`a stage record of ${bytes.byteLength} bytes is over the limit`)
  let signed: SignedProvenance
  let record: StageProvenance
  try {
    signed = SignedProvenance.decode(bytes)
    record = StageProvenance.decode(signed.record, LIMITS)
  } catch (err: any) {
    throw new InvalidProvenanceError(`malformed stage record: ${err.message}`)
  }
  let publicKey
  try {
    publicKey = peerIdFromString(record.peerId).publicKey
  } catch {
    throw new InvalidProvenanceError(`the stage record names an invalid peer id "${record.peerId.slice(0, 80)}"`)
  }
  let verified = false
  try {
    verified = publicKey != null && await publicKey.verify(signed.record, signed.signature)
  } catch {
    // a signature of the wrong length throws instead of failing to verify
  }
  if (!verified) throw new InvalidProvenanceError(`bad signature on stage ${record.index + 1} (${record.kind.slice(0, 64)}), said to be by ${record.peerId}`)
  return record
}

/** A record as JSON for the API: params as an object. */
export function provenanceJson (record: StageProvenance): Omit<StageProvenance, 'params'> & { params: Record<string, string> } {
  return { ...record, params: Object.fromEntries(record.params) }
}

/**
 * The record an executor sent with a result, checked before the requester keeps it (base64): signed by the
 * sender, about this stage, naming the output it reported.
 */
export async function acceptedProvenance (bytes: Uint8Array, expected: { peerId: string, jobId: string, index: number, output: string }): Promise<string> {
  const record = await openProvenance(bytes)
  if (record.peerId !== expected.peerId) throw new InvalidProvenanceError(`a stage record by ${record.peerId} came from ${expected.peerId}`)
  if (record.jobId !== expected.jobId || record.index !== expected.index) throw new InvalidProvenanceError(`a record of stage ${record.index + 1} of job ${record.jobId} came with the result of stage ${expected.index + 1} of job ${expected.jobId}`)
  if (record.output !== expected.output) throw new InvalidProvenanceError(`the stage record names output ${record.output}, the result ${expected.output}`)
  return Buffer.from(bytes).toString('base64')
}
