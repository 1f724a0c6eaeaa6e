/** Short human forms of times, durations and sizes. */
export function ago (ms) {
  if (ms == null) return ''
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000))
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`
}

export function duration (ms) {
  if (ms == null || !Number.isFinite(ms)) return ''
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
}

export function bytes (n) {
  if (n == null) return ''
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`
}

export function time (ms) {
  return ms == null ? '' : new Date(ms).toLocaleString()
}

export function percent (fraction) {
  return fraction == null ? '' : `${Math.round(fraction * 100)}%`
}
