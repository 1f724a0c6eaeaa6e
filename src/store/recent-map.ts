/** A map that keeps only the `limit` entries set or touched last; the oldest goes first. */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>()
  private readonly limit: number

  constructor (limit: number) {
    this.limit = limit
  }

  get (key: K): V | undefined {
    return this.entries.get(key)
  }

  /** The value of `key`, which now counts as used last. */
  touch (key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) this.set(key, value)
    return value
  }

  set (key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as K)
  }
}
