import { useEffect, useRef, useState } from 'preact/hooks'
import { init } from 'gcode-preview'
import { html } from '../html.js'
import { outputText } from '../api.js'

/** A job's G-code drawn layer by layer: the slider (or arrow keys on it) picks the top layer shown. */
export function Viewer ({ jobId, stage }) {
  const canvas = useRef(null)
  const preview = useRef(null)
  const [layers, setLayers] = useState(0)
  const [top, setTop] = useState(0)
  const [error, setError] = useState('')
  useEffect(() => {
    let stopped = false
    outputText(jobId, stage).then(r => r.text()).then(text => {
      if (stopped) return
      preview.current = init({ canvas: canvas.current, extrusionColor: '#e4572e', backgroundColor: getComputedStyle(document.body).backgroundColor, buildVolume: { x: 250, y: 210, z: 210 } })
      preview.current.processGCode(text)
      const count = preview.current.layers.length
      setLayers(count)
      setTop(count)
    }).catch(err => setError(err.message))
    return () => { stopped = true; preview.current?.dispose?.() }
  }, [jobId, stage])
  useEffect(() => {
    if (preview.current == null || layers === 0) return
    preview.current.endLayer = top
    preview.current.render()
  }, [top, layers])
  return html`
    <div class="viewer" data-testid="gcode-viewer">
      ${error !== '' ? html`<p class="error">${error}</p>` : null}
      <canvas ref=${canvas} width="600" height="400"></canvas>
      ${layers > 0 ? html`<label>Layer <input type="range" min="1" max=${layers} value=${top} onInput=${e => setTop(Number(e.target.value))} /> <output>${top} / ${layers}</output></label>` : null}
    </div>`
}
