import { quote } from 'shell-quote'
import type { BidRecord, JobRecord, StageRecord } from '../jobs/job.js'

/** One line per stage: state, the peer that won it, percent, elapsed. */
export function stageLine (stage: StageRecord): string {
  const peer = stage.peerName != null ? ` on ${stage.peerName}` : ''
  const percent = stage.state === 'running' && stage.progress != null ? ` ${Math.round(stage.progress)}%` : ''
  const end = stage.finishedAt ?? Date.now()
  const elapsed = stage.startedAt != null ? ` ${((end - stage.startedAt) / 1000).toFixed(1)} s` : ''
  const cached = stage.cached === true ? ' (from cache)' : ''
  const error = stage.error != null && stage.state !== 'done' ? `: ${stage.error}` : ''
  return `  ${String(stage.index + 1)}. ${stage.kind.padEnd(6)} ${stage.state}${peer}${percent}${elapsed}${cached}${error}`
}

export function jobSummary (job: JobRecord): string {
  return `${job.id}  ${job.state.padEnd(9)} ${job.input.name}  ${job.stages.map(s => `${s.kind}:${s.state}`).join(' -> ')}`
}

export function jobDetail (job: JobRecord & { events?: Array<{ at: number, message: string }>, copyJobs?: JobRecord[] }): string {
  const lines = [
    `job      ${job.id}`,
    `state    ${job.state}${job.error != null ? `: ${job.error}` : ''}`,
    `input    ${job.input.name} (${job.input.size} bytes, sha256 ${job.input.hash})`,
    ...job.extra.map(f => `with     ${f.name} (${f.size} bytes, sha256 ${f.hash})`),
    `created  ${new Date(job.createdAt).toISOString()} by ${job.requesterName}`,
    'stages'
  ]
  for (const stage of job.stages) {
    lines.push(stageLine(stage))
    if (stage.peerId != null) lines.push(`       peer    ${stage.peerName ?? ''} ${stage.peerId} (award token ${stage.token}, attempt ${stage.attempt})`)
    if (stage.tool != null) lines.push(`       tool    ${stage.tool}`)
    if (stage.command != null && stage.command.length > 0) lines.push(`       command ${quote(stage.command)}`)
    if (stage.input != null) lines.push(`       in      ${stage.input.name} sha256 ${stage.input.hash}`)
    if (stage.output != null) lines.push(`       out     ${stage.output.name} (${stage.output.size} bytes) sha256 ${stage.output.hash}${stage.cached === true ? ', from cache' : ''}`)
    for (const bid of stage.bids) lines.push(`       bid     ${bid.peerName}: ${bid.accept ? `accepts${estimate(bid)} (${bid.reason})` : `refuses: ${bid.reason}`}`)
  }
  for (const [i, copy] of (job.copyJobs ?? []).entries()) {
    const print = copy.stages[0]
    const where = print?.peerName != null ? ` on ${print.peerName}${print.tool != null ? ` (${print.tool})` : ''}` : ''
    lines.push(`copy ${i + 1}   ${copy.id} ${print?.state ?? copy.state}${where}${copy.error != null ? `: ${copy.error}` : ''}`)
  }
  if (job.result != null) lines.push(`result   ${job.result.name} (${job.result.size} bytes) sha256 ${job.result.hash}`)
  for (const event of job.events ?? []) lines.push(`  ${new Date(event.at).toISOString()}  ${event.message}`)
  return lines.join('\n') + '\n'
}

/** What `get` returns: where it wrote which output. */
export interface GotOutput {
  path: string
  name: string
  size: number
  hash: string
  stage: number
}

/** Says what `get` wrote, so a print's report is never taken for its G-code: which stage's output, and its size and hash. */
export function wroteLine (got: GotOutput, job: JobRecord): string {
  const stage = job.stages[got.stage]
  return `wrote ${got.path}: ${got.name}, the output of stage ${got.stage + 1} (${stage?.kind ?? '?'}), ${got.size} bytes, sha256 ${got.hash}`
}

/**
 * When the bidder said it would finish: only from its own runs of this kind of work at about this size. Any
 * other figure orders the bids but would mislead a reader.
 */
function estimate (bid: BidRecord): string {
  if (bid.cached) return ', cached'
  if (bid.etaKnown !== true) return ''
  return `, finish in ~${bid.etaMs < 1000 ? `${bid.etaMs} ms` : `${Number((bid.etaMs / 1000).toPrecision(2))} s`} (from its runs at this size)`
}
