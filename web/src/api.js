/**
 * The page's only way to the node: the public HTTP API under /api/v1, with the bearer token the user gave
 * (kept in localStorage). With no token, a loopback peer that has no tokens lets the page in as an operator.
 */
const TOKEN_KEY = 'meshnode.token'
export const API = '/api/v1'

export function token () {
  return localStorage.getItem(TOKEN_KEY) ?? ''
}

export function setToken (value) {
  if (value === '') localStorage.removeItem(TOKEN_KEY)
  else localStorage.setItem(TOKEN_KEY, value)
}

export function authHeaders () {
  const t = token()
  return t === '' ? {} : { authorization: `Bearer ${t}` }
}

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.message ?? `HTTP ${status}`)
    this.name = body?.error ?? 'ApiError'
    this.status = status
  }
}

async function answer (response) {
  const text = await response.text()
  let body = text
  try { body = JSON.parse(text) } catch {}
  if (!response.ok) throw new ApiError(response.status, body)
  return body
}

export async function get (path, query) {
  const q = query == null ? '' : '?' + new URLSearchParams(query).toString()
  return answer(await fetch(API + path + q, { headers: authHeaders() }))
}

export async function post (path, body = {}) {
  return answer(await fetch(API + path, { method: 'POST', headers: { ...authHeaders(), 'content-type': 'application/json' }, body: JSON.stringify(body) }))
}

/** Uploads designs as the multipart form POST /jobs takes: one job per file. */
export async function submitFiles (files, fields) {
  const form = new FormData()
  for (const file of files) form.append('file', file, file.name)
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) for (const v of value) form.append(name, v)
    else if (value != null && value !== '') form.append(name, value)
  }
  return answer(await fetch(API + '/jobs', { method: 'POST', headers: { ...authHeaders(), 'idempotency-key': crypto.randomUUID() }, body: form }))
}

/** Saves a job's output: a link cannot carry the bearer token, so the file is fetched with it, then saved. */
export async function download (jobId, stage, name) {
  const response = await fetch(`${API}/jobs/${encodeURIComponent(jobId)}/output?stage=${stage}`, { headers: authHeaders() })
  if (!response.ok) await answer(response)
  const blob = await response.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000)
}

export async function outputText (jobId, stage) {
  const response = await fetch(`${API}/jobs/${encodeURIComponent(jobId)}/output?stage=${stage}`, { headers: authHeaders() })
  if (!response.ok) await answer(response)
  return response
}
