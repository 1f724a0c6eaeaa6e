import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { useStore } from '../store.js'
import { time } from '../format.js'

const STATES = ['', 'running', 'done', 'failed', 'cancelled']

/** The jobs this peer submitted, newest first, filtered by state, peer, file name and day. */
export function JobsView () {
  const s = useStore()
  const [filter, setFilter] = useState({ state: '', peer: '', name: '', date: '' })
  const set = (field) => (e) => setFilter({ ...filter, [field]: e.target.value })
  const peers = [...new Set([...s.jobs.values()].flatMap(j => j.stages.map(st => st.peerName).filter(Boolean)))].sort()
  const jobs = [...s.jobs.values()]
    .filter(j => filter.state === '' || j.state === filter.state)
    .filter(j => filter.peer === '' || j.stages.some(st => st.peerName === filter.peer))
    .filter(j => filter.name === '' || j.input.name.toLowerCase().includes(filter.name.toLowerCase()))
    .filter(j => filter.date === '' || new Date(j.createdAt).toISOString().slice(0, 10) === filter.date)
    .sort((a, b) => b.createdAt - a.createdAt)
  return html`
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form class="filters" onSubmit=${e => e.preventDefault()}>
        <label>State <select value=${filter.state} onChange=${set('state')}>${STATES.map(v => html`<option value=${v}>${v === '' ? 'any' : v}</option>`)}</select></label>
        <label>Peer <select value=${filter.peer} onChange=${set('peer')}><option value="">any</option>${peers.map(v => html`<option value=${v}>${v}</option>`)}</select></label>
        <label>File <input type="search" value=${filter.name} onInput=${set('name')} /></label>
        <label>Day <input type="date" value=${filter.date} onInput=${set('date')} /></label>
      </form>
      <div class="table-wrap"><table class="jobs">
        <thead><tr><th>File</th><th>State</th><th>Stages</th><th>Submitted</th></tr></thead>
        <tbody>${jobs.map(j => html`
          <tr key=${j.id} data-testid="job-row" data-job=${j.id}>
            <th scope="row"><a href=${'#/job/' + encodeURIComponent(j.id)}>${j.input.name}</a></th>
            <td><span class=${'state ' + j.state}>${j.state}</span></td>
            <td>${j.stages.map(st => html`<span class=${'chip stage ' + st.state} data-testid="stage-chip" data-job=${j.id} data-index=${st.index} data-state=${st.state}>${st.kind}${st.peerName ? ` · ${st.peerName}` : ''}</span>`)}</td>
            <td>${time(j.createdAt)}</td>
          </tr>`)}
        </tbody>
      </table></div>
      ${jobs.length === 0 ? html`<p>No jobs${s.jobs.size > 0 ? ' match' : ' yet'}.</p>` : null}
    </section>`
}
