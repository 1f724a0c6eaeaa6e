/**
 * A hybrid logical clock: wall time in ms, a counter for events within one ms or behind a peer's clock, and
 * the peer id, written so that comparing the strings orders the events. A stamp is unique to one peer's event
 * and never goes backwards on that peer, even when its wall clock does or a peer's clock runs ahead.
 */
export class HybridClock {
  private readonly node: string
  private readonly wallClock: () => number
  private wall = 0
  private counter = 0

  constructor (node: string, wallClock: () => number = Date.now) {
    this.node = node
    this.wallClock = wallClock
  }

  /** A stamp later than every stamp this clock has made or seen. */
  now (): string {
    const wall = this.wallClock()
    if (wall > this.wall) {
      this.wall = wall
      this.counter = 0
    } else {
      this.counter++
    }
    return formatStamp(this.wall, this.counter, this.node)
  }

  /**
   * Moves the clock past a stamp from another peer, so this peer's next edit orders after what it has seen; but
   * not to a time a day or more ahead of this peer's own: one peer's wrong date must not carry every other along.
   */
  observe (stamp: string): void {
    const parsed = parseStamp(stamp)
    if (parsed == null || parsed.wall > this.wallClock() + MAX_AHEAD_MS) return
    if (parsed.wall > this.wall || (parsed.wall === this.wall && parsed.counter > this.counter)) {
      this.wall = parsed.wall
      this.counter = parsed.counter
    }
  }
}

const MAX_AHEAD_MS = 24 * 3600_000
const WALL_DIGITS = 15
const COUNTER_DIGITS = 6
const STAMP = /^(\d{15})\.(\d{6})\.([A-Za-z0-9]{1,128})$/

export function formatStamp (wall: number, counter: number, node: string): string {
  return `${String(wall).padStart(WALL_DIGITS, '0')}.${String(counter).padStart(COUNTER_DIGITS, '0')}.${node}`
}

export function parseStamp (stamp: string): { wall: number, counter: number, node: string } | undefined {
  const match = STAMP.exec(stamp)
  if (match == null) return undefined
  return { wall: Number(match[1]), counter: Number(match[2]), node: match[3] }
}

export function isStamp (value: unknown): value is string {
  return typeof value === 'string' && STAMP.test(value)
}

/** The wall time of a stamp, for display. */
export function stampTime (stamp: string): number {
  return parseStamp(stamp)?.wall ?? 0
}
