import { useEffect, useState } from 'preact/hooks'
import { get } from './api.js'

/** A temperature chart holds 30 minutes at one sample a second. */
const MAX_SAMPLES = 1800
const HISTORY_MS = 30 * 60 * 1000

/**
 * What the page knows of the mesh, refreshed from the API when the event stream (re)opens and kept current
 * by the events themselves. Views subscribe and re-render when it changes.
 */
export const state = {
  connected: false,
  whoami: null,
  self: null,
  peers: new Map(),
  printers: new Map(),
  temperatures: new Map(),
  jobs: new Map(),
  offers: null,
  error: ''
}

const listeners = new Set()
let scheduled = false

export function changed () {
  if (scheduled) return
  scheduled = true
  queueMicrotask(() => {
    scheduled = false
    for (const listener of listeners) listener()
  })
}

export function useStore () {
  const [, setTick] = useState(0)
  useEffect(() => {
    const listener = () => setTick(t => t + 1)
    listeners.add(listener)
    return () => { listeners.delete(listener) }
  }, [])
  return state
}

export const canOperate = () => ['operator', 'owner'].includes(state.whoami?.scope)
export const canSubmit = () => ['submit', 'operator', 'owner'].includes(state.whoami?.scope)

/** Everything at once, when the stream opens: what happened while the page was away is in these answers. */
export async function refreshAll () {
  const [whoami, self] = await Promise.all([get('/whoami'), get('/status')])
  state.whoami = whoami
  state.self = self
  await Promise.all([refreshPeers(), refreshPrinters(), refreshJobs(), refreshOffers()])
  state.error = ''
  changed()
}

export async function refreshPeers () {
  const peers = await get('/peers')
  const seen = new Set()
  for (const peer of peers) {
    seen.add(peer.peerId)
    state.peers.set(peer.peerId, { ...peer, gone: false })
  }
  for (const [id, peer] of state.peers) if (!seen.has(id) && !peer.gone) state.peers.set(id, { ...peer, gone: true })
  changed()
}

export async function refreshPrinters () {
  const printers = await get('/printers')
  for (const printer of printers) {
    const key = printerKey(printer)
    const before = state.printers.get(key)
    state.printers.set(key, { ...before, ...printer, gone: false })
    if (!state.temperatures.has(key)) {
      state.temperatures.set(key, [])
      if (printer.local) loadHistory(key, printer.name).catch(() => {})
    }
    addSample(key, { at: Date.now(), hotend: printer.hotendC, bed: printer.bedC })
  }
  changed()
}

async function loadHistory (key, name) {
  const { samples } = await get(`/printers/${encodeURIComponent(name)}/temperatures`)
  const live = state.temperatures.get(key) ?? []
  const first = live[0]?.at ?? Infinity
  state.temperatures.set(key, [...samples.filter(s => s.at < first), ...live])
  changed()
}

export function printerKey (printer) {
  return `${printer.peerId}/${printer.name}`
}

function addSample (key, sample) {
  if (sample.hotend == null && sample.bed == null) return
  if (sample.hotend === 0 && sample.bed === 0) return
  const series = state.temperatures.get(key) ?? []
  series.push(sample)
  const cutoff = Date.now() - HISTORY_MS
  while (series.length > MAX_SAMPLES || (series.length > 0 && series[0].at < cutoff)) series.shift()
  state.temperatures.set(key, series)
}

export async function refreshJobs () {
  const jobs = await get('/jobs', { all: 'true' })
  for (const job of jobs) state.jobs.set(job.id, job)
  changed()
}

/** Each stage's state as its latest event told it, numbered in arrival order; the newest stages only. */
const stageEvents = new Map()
const MAX_STAGE_EVENTS = 2000
let eventSeq = 0

export async function refreshJob (id) {
  const asked = eventSeq
  const job = await get(`/jobs/${encodeURIComponent(id)}`)
  // An answer can be older than stage events that came while it was on its way: those win.
  for (const stage of job.stages) {
    const told = stageEvents.get(`${id} ${stage.index}`)
    if (told != null && told.seq > asked) Object.assign(stage, told.fields)
  }
  state.jobs.set(id, job)
  changed()
  return job
}

export async function refreshOffers () {
  state.offers = await get('/offers')
  changed()
}

/** Refreshes that many events may ask for at once run once, after the burst. */
const pending = new Map()
function soon (key, refresh, delayMs = 150) {
  if (pending.has(key)) return
  pending.set(key, setTimeout(() => {
    pending.delete(key)
    refresh().catch(() => {})
  }, delayMs))
}

/** One event from the stream, folded into the state. */
export function apply (event) {
  const data = event.data
  switch (event.type) {
    case 'stage': {
      const fields = { state: data.state, peerName: data.peerName, error: data.error }
      stageEvents.delete(`${data.jobId} ${data.index}`)
      stageEvents.set(`${data.jobId} ${data.index}`, { seq: ++eventSeq, fields })
      if (stageEvents.size > MAX_STAGE_EVENTS) stageEvents.delete(stageEvents.keys().next().value)
      const job = state.jobs.get(data.jobId)
      if (job != null && job.stages[data.index] != null) {
        const stages = job.stages.map(s => s.index === data.index ? { ...s, ...fields } : s)
        state.jobs.set(job.id, { ...job, stages })
      }
      // A job the page has not seen yet is fetched at once; a known one's details (bids, log) after the burst.
      soon('job:' + data.jobId, () => refreshJob(data.jobId), job == null ? 0 : undefined)
      break
    }
    case 'job': {
      const job = state.jobs.get(data.jobId)
      if (job != null) state.jobs.set(job.id, { ...job, state: data.state, updatedAt: data.updatedAt, error: data.error })
      // A job the page has not seen yet is fetched at once: its stages' next events need it to land on.
      soon('job:' + data.jobId, () => refreshJob(data.jobId), job == null ? 0 : undefined)
      break
    }
    case 'progress': {
      const job = state.jobs.get(data.jobId)
      if (job?.stages[data.index] != null) {
        job.stages[data.index].progress = data.progress
        state.jobs.set(job.id, { ...job })
      }
      break
    }
    case 'printer': {
      const self = state.self
      if (self == null) break
      const key = printerKey({ peerId: self.peerId, name: data.name })
      const before = state.printers.get(key) ?? { name: data.name, peerId: self.peerId, peerName: self.name, local: true }
      // A new state may come with a new job, material or interrupted print: the record says which.
      if (before.state !== data.state) soon('printers', refreshPrinters, 100)
      const next = { ...before, state: data.state }
      if (data.progress != null) next.progress = data.progress
      if (data.jobId != null) next.currentJob = data.jobId
      if ('remainingMs' in data) next.remainingMs = data.remainingMs
      if (data.state !== 'printing' && data.state !== 'paused') next.remainingMs = null
      const t = data.temperatures ?? {}
      const hotend = t.T ?? t.T0
      if (hotend != null) next.hotendC = hotend.actual
      if (t.B != null) next.bedC = t.B.actual
      state.printers.set(key, next)
      addSample(key, { at: data.at ?? Date.now(), hotend: hotend?.actual, bed: t.B?.actual })
      break
    }
    case 'peer': {
      if (data.change === 'left') {
        const peer = state.peers.get(data.peerId)
        if (peer != null) state.peers.set(data.peerId, { ...peer, gone: true })
        for (const [key, printer] of state.printers) if (printer.peerId === data.peerId) state.printers.set(key, { ...printer, gone: true })
      } else {
        soon('peers', refreshPeers, 100)
        soon('printers', refreshPrinters, 100)
        soon('offers', refreshOffers, 500)
      }
      break
    }
  }
  changed()
}
