import { openProvenance, provenanceJson, type StageProvenance } from './stage-provenance.js'
import type { JobRecord } from '../jobs/job.js'

/** One stage of a file's record as checked: what it says, and whether its signature and links hold. */
export interface CheckedStage {
  index: number
  kind: string
  peerId?: string
  record?: ReturnType<typeof provenanceJson>
  /** Why this stage does not verify; absent when it does. */
  problem?: string
}

export interface Verification {
  hash: string
  /** Every stage signed by the peer it names, each linked to the one before, the last making the file. */
  verified: boolean
  jobId?: string
  stages: CheckedStage[]
  problems: string[]
}

/** The signed records of a job's stages 0..k, where stage k made the file `hash`; undefined when none did. */
export function chainFor (job: JobRecord, hash: string): Array<Uint8Array<ArrayBuffer>> | undefined {
  const last = job.stages.findIndex(s => s.state === 'done' && s.output?.hash === hash)
  if (last < 0) return undefined
  return job.stages.slice(0, last + 1).map(s => s.provenance === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(s.provenance, 'base64')))
}

/** Checks a chain of signed stage records against the file `hash` it should end in. */
export async function verifyChain (hash: string, chain: Uint8Array[]): Promise<Verification> {
  const stages: CheckedStage[] = []
  const records: Array<StageProvenance | undefined> = []
  for (const [index, bytes] of chain.entries()) {
    if (bytes.byteLength === 0) {
      stages.push({ index, kind: '?', problem: `stage ${index + 1} has no signed record` })
      records.push(undefined)
      continue
    }
    try {
      const record = await openProvenance(bytes)
      records.push(record)
      stages.push({ index, kind: record.kind, peerId: record.peerId, record: provenanceJson(record) })
    } catch (err: any) {
      records.push(undefined)
      stages.push({ index, kind: '?', problem: err.message })
    }
  }
  const jobId = records.find(r => r != null)?.jobId
  records.forEach((record, i) => {
    if (record == null) return
    const stage = stages[i]
    if (record.index !== i || record.jobId !== jobId) stage.problem = `the record of stage ${i + 1} is of stage ${record.index + 1} of job ${record.jobId}`
    const before = records[i - 1]
    if (i > 0 && before != null && record.inputs[0] !== before.output) stage.problem = `stage ${i + 1} (${record.kind}) did not start from the output of stage ${i}`
  })
  const last = records.at(-1)
  const problems = stages.flatMap(s => s.problem === undefined ? [] : [s.problem])
  if (last != null && last.output !== hash) problems.push(`the last stage made ${last.output}, not this file (${hash})`)
  if (chain.length === 0) problems.push('no stage made this file')
  return { hash, verified: problems.length === 0, ...(jobId === undefined ? {} : { jobId }), stages, problems }
}
