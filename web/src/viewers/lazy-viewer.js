import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'

/** A viewer loaded on first use; `props` go to it. */
export function LazyViewer ({ load, ...props }) {
  const [Viewer, setViewer] = useState(null)
  const [error, setError] = useState('')
  useEffect(() => { load().then(m => setViewer(() => m.Viewer), err => setError(err.message)) }, [])
  if (error !== '') return html`<p class="error">${error}</p>`
  return Viewer == null ? html`<p>loading the viewer…</p>` : html`<${Viewer} ...${props} />`
}
