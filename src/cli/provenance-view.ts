import type { CheckedStage, Verification } from '../provenance/provenance-chain.js'

/** A file's or a job's signed record, as `meshnode job ID --provenance` and `meshnode verify FILE` print it. */
export function provenanceView (v: Verification & { from?: string }): string {
  const lines = [`${v.verified ? 'verified' : 'NOT verified'}: ${v.hash === '' ? '(no output yet)' : v.hash}${v.jobId === undefined ? '' : ` from job ${v.jobId}`}${v.from === undefined ? '' : `, record held by ${v.from}`}`]
  for (const stage of v.stages) lines.push(...stageLines(stage))
  if (v.problems.length > 0) lines.push('problems:', ...v.problems.map(p => `  - ${p}`))
  return lines.join('\n') + '\n'
}

function stageLines (stage: CheckedStage): string[] {
  const head = `stage ${stage.index + 1} ${stage.kind}${stage.peerId === undefined ? '' : ` on ${stage.peerId}`}: ${stage.problem === undefined ? 'signature ok' : stage.problem}`
  const r = stage.record
  if (r === undefined) return [head]
  const row = (label: string, value: string): string => `    ${label.padEnd(9)} ${value}`
  const lines = [head, row('inputs', r.inputs.join(' ')), row('tool', `${r.tool} ${r.toolVersion}`)]
  if (r.command.length > 0) lines.push(row('command', r.command.join(' ')))
  const params = Object.entries(r.params)
  if (params.length > 0) lines.push(row('params', params.map(([k, v]) => `${k}=${v}`).join(' ')))
  for (const [label, value] of [['profile', r.profile], ['printer', r.printer], ['material', r.material]]) if (value !== '') lines.push(row(label, value))
  lines.push(row('output', `${r.output} (${r.outputSize} bytes)${r.cached ? ', from cache' : ''}`))
  lines.push(row('time', `${new Date(r.startedAt).toISOString()} to ${new Date(r.finishedAt).toISOString()}`))
  return lines
}
