import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { html } from './html.js'

/** Redraws at most this often: a chart of 30 minutes gains nothing from more. */
const REDRAW_MS = 1000

/** Nozzle and bed temperatures of the last 30 minutes (uPlot). */
export function TemperatureChart ({ samples, label }) {
  const box = useRef(null)
  const plot = useRef(null)
  const last = useRef(0)
  useEffect(() => {
    const element = box.current
    const width = Math.max(200, element.clientWidth)
    plot.current = new uPlot({
      width,
      height: 120,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: { x: { time: true } },
      axes: [{ stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.2)' } }, { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.2)' }, size: 40 }],
      series: [{}, { label: 'nozzle °C', stroke: '#e4572e', width: 1.5, points: { show: false } }, { label: 'bed °C', stroke: '#2e86e4', width: 1.5, points: { show: false } }]
    }, toData(samples), element)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, element.clientWidth), height: 120 }))
    resize.observe(element)
    return () => { resize.disconnect(); plot.current.destroy(); plot.current = null }
  }, [])
  useEffect(() => {
    const now = Date.now()
    if (now - last.current < REDRAW_MS) return
    last.current = now
    plot.current?.setData(toData(samples))
  })
  return html`<div class="chart" ref=${box} role="img" aria-label=${`temperatures of ${label}, last 30 minutes`}></div>`
}

function toData (samples) {
  return [samples.map(s => s.at / 1000), samples.map(s => s.hotend ?? null), samples.map(s => s.bed ?? null)]
}
