import { html } from '../html.js'
import { useStore } from '../store.js'
import { ago } from '../format.js'

/** Every peer this node knows, itself first; one that left stays greyed out until it returns. */
export function MeshView () {
  const s = useStore()
  const self = s.self
  const peers = [...s.peers.values()].sort((a, b) => a.name.localeCompare(b.name))
  const rows = self == null ? peers : [{ ...self, self: true, lastSeen: Date.now(), rttMs: 0, queue: undefined }, ...peers]
  return html`
    <section aria-labelledby="mesh-title">
      <h1 id="mesh-title">Mesh <small>${peers.filter(p => !p.gone).length + 1} peers</small></h1>
      <div class="table-wrap"><table class="peers">
        <thead><tr><th>Peer</th><th>Tools</th><th>Offers</th><th>Printers</th><th>Load</th><th>Queue</th><th>Last seen</th><th>RTT</th></tr></thead>
        <tbody>
          ${rows.map(p => html`
            <tr key=${p.peerId} class=${p.gone ? 'gone' : ''} data-testid="peer" data-peer=${p.name} data-gone=${p.gone ? 'true' : 'false'}>
              <th scope="row">${p.name}${p.self ? html` <small>(this peer)</small>` : null}${p.gone ? html` <small>(gone)</small>` : null}</th>
              <td>${(p.tools ?? []).map(t => html`<span class="chip">${t.name} ${t.version}</span>`)}</td>
              <td>${(p.offers ?? []).join(', ')}</td>
              <td>${(p.printers ?? []).map(pr => html`<span class="chip">${pr.name} · ${pr.state}</span>`)}</td>
              <td>${p.load == null ? '' : p.load.toFixed(2)}</td>
              <td>${p.queue ?? ''}</td>
              <td>${p.self ? 'now' : ago(p.lastSeen)}</td>
              <td>${p.rttMs == null ? '' : `${Math.round(p.rttMs)} ms`}</td>
            </tr>`)}
        </tbody>
      </table></div>
    </section>`
}
