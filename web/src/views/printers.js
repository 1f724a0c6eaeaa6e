import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { post } from '../api.js'
import { canOperate, changed, printerKey, state, useStore } from '../store.js'
import { duration, percent } from '../format.js'
import { TemperatureChart } from '../chart.js'

/** A card per printer of the mesh. Commands reach only this peer's own printers, as the API does. */
export function PrintersView () {
  const s = useStore()
  const printers = [...s.printers.values()].sort((a, b) => a.name.localeCompare(b.name))
  return html`
    <section aria-labelledby="printers-title">
      <h1 id="printers-title">Printers</h1>
      ${printers.length === 0 ? html`<p>No printer in the mesh.</p>` : null}
      <div class="cards">${printers.map(p => html`<${PrinterCard} key=${printerKey(p)} printer=${p} />`)}</div>
    </section>`
}

function PrinterCard ({ printer: p }) {
  const key = printerKey(p)
  const state = p.gone ? 'offline' : p.state
  const busy = state === 'printing' || state === 'paused'
  return html`
    <article class=${'card printer ' + (p.gone ? 'gone' : '')} data-testid="printer" data-printer=${p.name} data-state=${state} aria-label=${`printer ${p.name}`}>
      <header><h2>${p.name}</h2><span class=${'state ' + state} data-testid="printer-state">${state}</span></header>
      <p class="meta">on ${p.peerName} · ${p.material || 'no material'}${p.nozzleMm != null ? ` · ${p.nozzleMm} mm nozzle` : ''}</p>
      <p class="temps"><span>nozzle ${Math.round(p.hotendC ?? 0)} °C</span> <span>bed ${Math.round(p.bedC ?? 0)} °C</span></p>
      ${busy ? html`
        <div class="job-progress">
          <progress max="1" value=${p.progress ?? 0} data-testid="printer-progress"></progress>
          <span>${percent(p.progress)}${p.remainingMs != null ? ` · ${duration(p.remainingMs)} left` : ''}</span>
          ${p.currentJob ? html`<a href=${'#/job/' + encodeURIComponent(p.currentJob)}>job</a>` : null}
        </div>` : null}
      <${TemperatureChart} samples=${stateTemps(key)} label=${p.name} />
      ${p.local && canOperate() && !p.gone ? html`<${OperatorButtons} printer=${p} state=${state} />` : null}
    </article>`
}

function stateTemps (key) {
  return state.temperatures.get(key) ?? []
}

function OperatorButtons ({ printer, state: current }) {
  const [error, setError] = useState('')
  // The line after the last one the printer acknowledged, until the operator types another.
  const [typed, setLine] = useState(null)
  const line = typed ?? (printer.interruptedAtLine != null ? String(printer.interruptedAtLine + 1) : '')
  const name = encodeURIComponent(printer.name)
  const command = (label, run, confirmText) => async () => {
    if (confirmText != null && !confirm(confirmText)) return
    setError('')
    try {
      await run()
    } catch (err) {
      setError(`${label}: ${err.message}`)
    }
    changed()
  }
  const job = printer.interruptedJob ?? printer.currentJob
  return html`
    <div class="buttons" role="group" aria-label=${`commands for ${printer.name}`}>
      ${current === 'bed-occupied' ? html`<button onClick=${command('Clear bed', () => post(`/printers/${name}/clear`), `Is the bed of ${printer.name} clear? The next print starts on it.`)}>Clear bed</button>` : null}
      ${current === 'printing' ? html`<button onClick=${command('Pause', () => post(`/printers/${name}/pause`))}>Pause</button>` : null}
      ${current === 'paused' ? html`<button onClick=${command('Resume', () => post(`/printers/${name}/resume`))}>Resume</button>` : null}
      ${current === 'printing' || current === 'paused' ? html`<button class="danger" onClick=${command('Cancel', () => post(`/printers/${name}/cancel`), `Cancel the print on ${printer.name}?`)}>Cancel print</button>` : null}
      ${current === 'interrupted' && job ? html`
        <label>from line <input type="number" min="1" value=${line} onInput=${e => setLine(e.target.value)} /></label>
        <button disabled=${!(Number(line) >= 1)} onClick=${command('Resume from line', () => post(`/prints/${encodeURIComponent(job)}/resume`, { fromLine: Number(line) }), `Resume ${job} on ${printer.name} from line ${line}?`)}>Resume from line</button>
        <button class="danger" onClick=${command('Abandon', () => post(`/prints/${encodeURIComponent(job)}/abandon`), `Abandon the interrupted print ${job}?`)}>Abandon</button>` : null}
      ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : null}
    </div>`
}
