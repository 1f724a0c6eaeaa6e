export interface GcCandidate {
  hash: string
  size: number
  lastUsed: number
}

export interface GcOptions {
  /** Blobs unused for longer than this go. */
  maxAgeMs?: number
  /** After the age rule, the least recently used go until the rest fit. */
  maxTotalBytes?: number
  /** Never collected, whatever their age: inputs and outputs of live jobs. */
  keep?: ReadonlySet<string>
}

/** Picks the blobs to delete, least recently used first; blobs in `keep` are never picked. */
export function chooseGcVictims (blobs: GcCandidate[], options: GcOptions, now: number): GcCandidate[] {
  const keep = options.keep ?? new Set<string>()
  const byAge = [...blobs].sort((a, b) => a.lastUsed - b.lastUsed || a.hash.localeCompare(b.hash))
  let total = blobs.reduce((sum, blob) => sum + blob.size, 0)
  const victims: GcCandidate[] = []
  for (const blob of byAge) {
    if (keep.has(blob.hash)) continue
    const tooOld = options.maxAgeMs != null && now - blob.lastUsed > options.maxAgeMs
    const overBudget = options.maxTotalBytes != null && total > options.maxTotalBytes
    if (!tooOld && !overBudget) continue
    victims.push(blob)
    total -= blob.size
  }
  return victims
}
