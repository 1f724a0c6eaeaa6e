import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { html } from './html.js'
import { useStore, canSubmit } from './store.js'
import { connect } from './live.js'
import { Login } from './views/login.js'
import { MeshView } from './views/mesh.js'
import { PrintersView } from './views/printers.js'
import { JobsView } from './views/jobs.js'
import { JobView } from './views/job.js'
import { SubmitView } from './views/submit.js'
import './style.css'

const VIEWS = [
  { path: 'mesh', label: 'Mesh' },
  { path: 'printers', label: 'Printers' },
  { path: 'jobs', label: 'Jobs' },
  { path: 'submit', label: 'Submit', needs: canSubmit }
]

function useRoute () {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'mesh').split('/')
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onHash = () => setRoute(read())
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  return route
}

function App () {
  const s = useStore()
  const [view, arg] = useRoute()
  const page = view === 'job' && arg != null
    ? html`<${JobView} id=${decodeURIComponent(arg)} />`
    : view === 'printers' ? html`<${PrintersView} />`
      : view === 'jobs' ? html`<${JobsView} />`
        : view === 'submit' && canSubmit() ? html`<${SubmitView} />`
          : html`<${MeshView} />`
  return html`
    <header>
      <strong class="brand">meshnode</strong>
      <span class="self">${s.self?.name ?? ''}</span>
      <nav aria-label="views">
        ${VIEWS.filter(v => v.needs == null || v.needs()).map(v => html`<a href=${'#/' + v.path} aria-current=${view === v.path ? 'page' : undefined}>${v.label}</a>`)}
      </nav>
      <span class=${'link ' + (s.connected ? 'up' : 'down')} data-testid="connection" title=${s.connected ? 'live' : 'reconnecting'}>${s.connected ? 'live' : 'reconnecting…'}</span>
      <${Login} />
    </header>
    ${s.error !== '' ? html`<p class="error" role="alert">${s.error}</p>` : null}
    <main>${page}</main>`
}

const root = document.getElementById('app')
// The boot message is plain HTML, not a tree Preact made: it goes before the app renders.
root.replaceChildren()
render(html`<${App} />`, root)
connect()
