import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { post, submitFiles } from '../api.js'
import { refreshJob, useStore } from '../store.js'
import { isModel } from '../models.js'
import { LazyViewer } from '../viewers/lazy-viewer.js'
import { parseLiteral, parseScadParameters, scadLiteral } from '../../../src/api/scad-customizer.ts'

const ACCEPTED = ['.scad', '.stl', '.3mf', '.obj', '.gcode']
/** Without a choice, the file's type picks the stages, as `meshnode submit` does; a mesh with a printer prints. */
const PIPELINES = { '.scad': ['scad', 'slice'], '.stl': ['slice'], '.3mf': ['slice'], '.obj': ['slice'], '.gcode': ['print'] }

function extensionOf (name) {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot).toLowerCase()
}

function pipelineFor (name, offered) {
  const stages = [...(PIPELINES[extensionOf(name)] ?? [])]
  if (stages.at(-1) === 'slice' && offered.includes('print')) stages.push('print')
  return stages.join(',')
}

/** Drop designs, check their Customizer parameters and the pickers, submit one job per file. */
export function SubmitView () {
  const s = useStore()
  const offers = s.offers ?? { stages: [], profiles: [], materials: [], printers: [] }
  const [entries, setEntries] = useState([])
  const [choice, setChoice] = useState({ profile: '', material: '', printer: '' })
  const [message, setMessage] = useState('')
  const [busy, setBusy] = useState(false)

  const add = async (fileList) => {
    const files = [...fileList].filter(f => ACCEPTED.includes(extensionOf(f.name)))
    const refused = [...fileList].filter(f => !files.includes(f)).map(f => f.name)
    const added = await Promise.all(files.map(async file => {
      const parameters = extensionOf(file.name) === '.scad' ? safeParse(await file.text()) : []
      return { file, pipeline: pipelineFor(file.name, offers.stages), parameters, values: Object.fromEntries(parameters.map(p => [p.name, initialValue(p)])) }
    }))
    setEntries([...entries, ...added])
    setMessage(refused.length > 0 ? `not a design meshnode takes (${ACCEPTED.join(' ')}): ${refused.join(', ')}` : '')
  }
  const update = (i, change) => setEntries(entries.map((e, j) => j === i ? { ...e, ...change } : e))
  const submit = async (ev) => {
    ev.preventDefault()
    setBusy(true)
    setMessage('')
    try {
      const made = []
      for (const entry of entries) {
        const D = entry.parameters.filter(p => String(entry.values[p.name]) !== String(initialValue(p))).map(p => `${p.name}=${scadLiteral(p, entry.values[p.name])}`)
        const jobs = await submitFiles([entry.file], { pipeline: entry.pipeline, D, ...choice })
        for (const job of jobs) { made.push(job); refreshJob(job.id).catch(() => {}) }
      }
      setEntries([])
      location.hash = made.length === 1 ? `#/job/${encodeURIComponent(made[0].id)}` : '#/jobs'
    } catch (err) {
      setMessage(err.message)
    } finally {
      setBusy(false)
    }
  }
  return html`
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit</h1>
      <form onSubmit=${submit}>
        <label class="drop" onDragOver=${e => e.preventDefault()} onDrop=${e => { e.preventDefault(); add(e.dataTransfer.files) }}>
          <span>Drop designs here or choose files (${ACCEPTED.join(' ')})</span>
          <input type="file" multiple accept=${ACCEPTED.join(',')} data-testid="file-input" onChange=${e => { add(e.target.files); e.target.value = '' }} />
        </label>
        ${entries.map((entry, i) => html`
          <fieldset class="entry" data-testid="entry" data-file=${entry.file.name}>
            <legend>${entry.file.name} <button type="button" class="link" aria-label=${`remove ${entry.file.name}`} onClick=${() => setEntries(entries.filter((_, j) => j !== i))}>remove</button></legend>
            <label>Pipeline <input name="pipeline" list="stages" value=${entry.pipeline} onInput=${e => update(i, { pipeline: e.target.value })} /></label>
            <${Customizer} entry=${entry} onChange=${values => update(i, { values })} />
            ${isModel(entry.file.name) ? html`<button type="button" aria-pressed=${entry.preview === true} onClick=${() => update(i, { preview: entry.preview !== true })}>3D preview</button>` : null}
            ${entry.preview === true ? html`<${LazyViewer} load=${() => import('../viewers/model-viewer.js')} file=${entry.file} />` : null}
          </fieldset>`)}
        <datalist id="stages">${offers.stages.map(st => html`<option value=${st} />`)}</datalist>
        <div class="pickers">
          <label>Profile <select name="profile" value=${choice.profile} onChange=${e => setChoice({ ...choice, profile: e.target.value })}><option value="">default</option>${offers.profiles.map(p => html`<option value=${p.name}>${p.name} (${p.material})</option>`)}</select></label>
          <label>Material <select name="material" value=${choice.material} onChange=${e => setChoice({ ...choice, material: e.target.value })}><option value="">any</option>${offers.materials.map(m => html`<option value=${m}>${m}</option>`)}</select></label>
          <label>Printer <select name="printer" value=${choice.printer} onChange=${e => setChoice({ ...choice, printer: e.target.value })}><option value="">any</option>${offers.printers.map(p => html`<option value=${p.name}>${p.name} on ${p.peerName} (${p.state})</option>`)}</select></label>
        </div>
        <button type="submit" disabled=${busy || entries.length === 0} data-testid="submit">Submit ${entries.length > 1 ? `${entries.length} jobs` : 'job'}</button>
        ${message !== '' ? html`<p class="error" role="alert">${message}</p>` : null}
      </form>
    </section>`
}

function safeParse (source) {
  try { return parseScadParameters(source) } catch { return [] }
}

/** The form's starting value: numbers and vectors as the design writes them, the rest as values. */
function initialValue (p) {
  return p.type === 'number' || p.type === 'vector' ? p.initial : parseLiteral(p.initial)
}

/** The design's Customizer parameters as a form, grouped as the design groups them. */
function Customizer ({ entry, onChange }) {
  if (entry.parameters.length === 0) return null
  const groups = [...new Set(entry.parameters.map(p => p.group))]
  const set = (name, value) => onChange({ ...entry.values, [name]: value })
  return groups.map(group => html`
    <fieldset class="customizer" data-group=${group}>
      <legend>${group}</legend>
      ${entry.parameters.filter(p => p.group === group).map(p => html`
        <label class="param" title=${p.description}>
          <span>${p.name}${p.description ? html` <small>${p.description}</small>` : null}</span>
          <${Field} p=${p} value=${entry.values[p.name]} set=${v => set(p.name, v)} />
        </label>`)}
    </fieldset>`)
}

function Field ({ p, value, set }) {
  const name = `param-${p.name}`
  switch (p.widget) {
    case 'checkbox': return html`<input type="checkbox" name=${name} checked=${value === true} onChange=${e => set(e.target.checked)} />`
    case 'dropdown': return html`<select name=${name} value=${String(value)} onChange=${e => set(e.target.value)}>${p.options.map(o => html`<option value=${String(o.value)}>${o.label}</option>`)}</select>`
    case 'slider': return html`<span class="slider"><input type="range" name=${name} min=${p.min} max=${p.max} step=${p.step ?? 'any'} value=${value} onInput=${e => set(e.target.value)} /><output>${value}</output></span>`
    case 'text': return html`<input type="text" name=${name} maxLength=${p.maxLength} value=${value} onInput=${e => set(e.target.value)} />`
    case 'spinbox': return html`<input type="number" name=${name} step=${p.step ?? 'any'} value=${value} onInput=${e => set(e.target.value)} />`
    default: return html`<input type="text" name=${name} value=${value} onInput=${e => set(e.target.value)} />`
  }
}

/** The same design, pipeline and options again, from the blobs this node already holds. */
export async function resubmit (job) {
  const files = [{ hash: job.input.hash, size: job.input.size, name: job.input.name }]
  const extra = (job.extra ?? []).map(f => ({ hash: f.hash, size: f.size, name: f.name }))
  const [made] = await post('/jobs/from-blobs', { files, extra, pipeline: job.stages.map(s => s.kind), options: job.options })
  await refreshJob(made.id)
  location.hash = `#/job/${encodeURIComponent(made.id)}`
}
