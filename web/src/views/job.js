import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { download, post } from '../api.js'
import { canSubmit, refreshJob, useStore } from '../store.js'
import { bytes, duration, percent, time } from '../format.js'
import { resubmit } from './submit.js'
import { isModel } from '../models.js'
import { LazyViewer } from '../viewers/lazy-viewer.js'

/** Log lines shown; the job's history holds more. */
const MAX_LOG_LINES = 500

/** One job: its stage timeline with bids and refusals, the live log, outputs, previews and actions. */
export function JobView ({ id }) {
  const s = useStore()
  const [error, setError] = useState('')
  useEffect(() => { refreshJob(id).catch(err => setError(err.message)) }, [id])
  const job = s.jobs.get(id)
  if (job == null) return html`<section><h1>Job ${id}</h1><p>${error || 'loading…'}</p></section>`
  const act = (run) => async () => {
    setError('')
    try { await run() } catch (err) { setError(err.message) }
  }
  const running = job.state === 'running'
  return html`
    <section aria-labelledby="job-title">
      <h1 id="job-title">${job.input.name} <span class=${'state ' + job.state} data-testid="job-state">${job.state}</span></h1>
      <p class="meta">job ${job.id} · submitted ${time(job.createdAt)}${Object.keys(job.options?.params ?? {}).length > 0 ? ` · ${Object.entries(job.options.params).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}</p>
      ${job.error ? html`<p class="error">${job.error}</p>` : null}
      <div class="buttons">
        ${running && canSubmit() ? html`<button class="danger" onClick=${act(async () => { if (confirm('Cancel this job?')) await post(`/jobs/${encodeURIComponent(job.id)}/cancel`) })}>Cancel job</button>` : null}
        ${!running && canSubmit() ? html`<button onClick=${act(() => resubmit(job))}>Submit again</button>` : null}
      </div>
      ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : null}
      <ol class="timeline">${job.stages.map(stage => html`<${StageRow} key=${stage.index} job=${job} stage=${stage} onError=${setError} />`)}</ol>
      <${Previews} job=${job} />
      <h2>Log</h2>
      <pre class="log" data-testid="job-log" tabindex="0">${(job.events ?? []).slice(-MAX_LOG_LINES).map(e => `${new Date(e.at).toLocaleTimeString()} ${e.type.padEnd(12)} ${e.message}`).join('\n')}</pre>
    </section>`
}

function StageRow ({ job, stage, onError }) {
  const bids = (stage.bids ?? []).filter(b => b.attempt === stage.attempt)
  const took = stage.startedAt != null && stage.finishedAt != null ? duration(stage.finishedAt - stage.startedAt) : ''
  return html`
    <li class=${'stage ' + stage.state} data-testid="stage" data-kind=${stage.kind} data-state=${stage.state} data-peer=${stage.peerName ?? ''}>
      <div class="stage-head">
        <strong>${stage.kind}</strong>
        <span class=${'state ' + stage.state}>${stage.state}</span>
        ${stage.peerName ? html`<span>on <b data-testid="stage-peer">${stage.peerName}</b></span>` : null}
        ${stage.cached ? html`<span class="chip">cached</span>` : null}
        ${stage.state === 'running' && stage.progress != null ? html`<progress max="1" value=${stage.progress}></progress> ${percent(stage.progress)}` : null}
        <span class="meta">${stage.startedAt != null ? `started ${new Date(stage.startedAt).toLocaleTimeString()}` : ''}${took ? ` · took ${took}` : ''}${stage.tool ? ` · ${stage.tool}` : ''}</span>
        ${stage.output != null ? html`<button data-testid="download" data-stage=${stage.index} onClick=${() => download(job.id, stage.index, stage.output.name).catch(err => onError(err.message))}>Download ${stage.output.name} (${bytes(stage.output.size)})</button>` : null}
      </div>
      ${stage.error ? html`<p class="error">${stage.error}</p>` : null}
      ${bids.length > 0 ? html`
        <details><summary>${bids.length} bids</summary>
          <ul class="bids">${bids.map(b => html`<li class=${b.accept ? 'accept' : 'refuse'}>${b.peerName}: ${b.accept ? `bid${b.etaKnown ? `, ~${duration(b.etaMs)}` : ''}${b.cached ? ', cached' : ''}${b.holdsInput ? ', holds the input' : ''}` : `refused: ${b.reason}`}</li>`)}</ul>
        </details>` : null}
    </li>`
}

/** The 3D and G-code viewers are large: they load only when asked for. */
function Previews ({ job }) {
  const [open, setOpen] = useState(null)
  const model = job.stages.findLast(s => isModel(s.output?.name))
  const gcode = job.stages.find(s => s.output?.name?.toLowerCase().endsWith('.gcode'))
  if (model == null && gcode == null) return null
  return html`
    <h2>Preview</h2>
    <div class="buttons">
      ${model != null ? html`<button aria-pressed=${open === 'model'} onClick=${() => setOpen('model')}>3D model</button>` : null}
      ${gcode != null ? html`<button aria-pressed=${open === 'gcode'} onClick=${() => setOpen('gcode')}>G-code layers</button>` : null}
    </div>
    ${open === 'model' ? html`<${LazyViewer} key="model" load=${() => import('../viewers/model-viewer.js')} jobId=${job.id} stage=${model.index} name=${model.output.name} />` : null}
    ${open === 'gcode' ? html`<${LazyViewer} key="gcode" load=${() => import('../viewers/gcode-viewer.js')} jobId=${job.id} stage=${gcode.index} />` : null}`
}
