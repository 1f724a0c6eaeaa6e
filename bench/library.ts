/**
 * The design library at workshop scale, on real peers (in this process, on 127.0.0.1, mDNS off):
 *
 *   1. `library ls --text WORDS` over --entries entries (10,000): p50 / p99 of the method over the unix socket
 *      (what the CLI waits for, without its own start), of the word index in the peer's memory, and, as the
 *      anchor, of a scan of every entry's words for the same query, all in one run. `status` over the same
 *      socket gives the socket's round trip.
 *   2. A new peer joins a peer holding --sync-entries entries (1,000): the time from the dial until it holds
 *      every entry's metadata (no blobs), against the time until it lists the peer (the join itself), over
 *      --runs runs.
 *
 *   node dist/bench/library.js [--entries 10000] [--queries 300] [--sync-entries 1000] [--runs 3] [--smoke]
 * `--smoke` (1,000 entries, 30 queries, 100 entries to sync, one run) checks that the bench works.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ControlClient } from '../src/api/control-client.js'
import { defaultConfig } from '../src/config/node-config.js'
import { newEntry } from '../src/library/edits.js'
import { searchableText } from '../src/library/entry-view.js'
import { formatStamp } from '../src/library/hlc.js'
import { splitWords } from '../src/library/text-index.js'
import { startMeshNode, type MeshNode } from '../src/node/mesh-node.js'

const smoke = process.argv.includes('--smoke')
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    entries: { type: 'string', default: smoke ? '1000' : '10000' },
    queries: { type: 'string', default: smoke ? '30' : '300' },
    'sync-entries': { type: 'string', default: smoke ? '100' : '1000' },
    runs: { type: 'string', default: smoke ? '1' : '3' }
  }
})
const ENTRIES = Number(args.entries)
const QUERIES = Number(args.queries)
const SYNC_ENTRIES = Number(args['sync-entries'])
const RUNS = Number(args.runs)

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}
const ms = (n: number): string => n < 10 ? n.toFixed(2) : n.toFixed(1)
const report = (what: string, times: number[]): void => { console.log(`${what.padEnd(44)} p50 ${ms(percentile(times, 0.5)).padStart(7)} ms   p99 ${ms(percentile(times, 0.99)).padStart(7)} ms`) }

/** Words a workshop names its parts with: a few hundred, so a word finds tens of entries in ten thousand. */
const NOUNS = ['bracket', 'hinge', 'clip', 'mount', 'spacer', 'gear', 'knob', 'cover', 'case', 'holder', 'stand', 'hook', 'plate', 'cap', 'adapter', 'duct', 'shroud', 'foot', 'latch', 'pulley']
const QUALIFIERS = ['m2', 'm3', 'm4', 'm5', 'left', 'right', 'small', 'large', 'v1', 'v2', 'v3', 'round', 'square', 'slim', 'wide', 'tall', 'short', 'double', 'single', 'angled']
const word = (i: number, list: string[]): string => list[i % list.length]

/** Entry i's name, author and tags: drawn from the word lists by i, so the library is the same every run. */
function entryFor (i: number, peer: string): ReturnType<typeof newEntry> {
  const at = formatStamp(1_765_000_000_000 + i, 0, peer)
  const name = `${word(i * 7, NOUNS)} ${word(i * 13, QUALIFIERS)} ${word(i * 3, QUALIFIERS)} part-${i}`
  const hash = i.toString(16).padStart(64, '0')
  return newEntry(i.toString(16).padStart(12, '0'), { name, author: word(i, ['alice', 'bob', 'carol', 'dave']), tags: [word(i * 11, NOUNS), word(i, ['pla', 'petg', 'abs'])] }, [{ name: `part-${i}.scad`, hash, size: 100 + i }], at)
}

async function startPeer (dir: string, name: string): Promise<MeshNode> {
  const config = defaultConfig()
  Object.assign(config, { name, dataDir: join(dir, name), listen: ['/ip4/127.0.0.1/tcp/0'], open: true })
  config.mdns.enabled = false
  config.http = {}
  config.tools = { ...config.tools, embedded: { openscad: false, cura: false } }
  // The bench's entries have no blobs: no peer should go looking for them.
  config.library = { ...config.library, checkMs: 3600_000 }
  return startMeshNode(config)
}

async function fill (node: MeshNode, count: number): Promise<void> {
  const peer = node.libp2p.peerId.toString()
  await node.library.library.store.merge(Array.from({ length: count }, (_, i) => entryFor(i, peer)))
}

async function timed (times: number, query: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    await query(i)
    out.push(performance.now() - started)
  }
  return out
}

async function searchBench (dir: string): Promise<void> {
  const node = await startPeer(dir, 'library')
  try {
    const filling = performance.now()
    await fill(node, ENTRIES)
    console.log(`${ENTRIES} entries stored in ${((performance.now() - filling) / 1000).toFixed(1)} s`)
    const store = node.library.library.store
    // What a user types: a kind of part and a size, a part's number, an author's kind of part.
    const queryOf = (i: number): string => [`${word(i * 5, NOUNS)} ${word(i * 3, QUALIFIERS)}`, `part-${(i * 37) % ENTRIES}`, `${word(i, ['alice', 'bob', 'carol', 'dave'])} ${word(i * 7, NOUNS).slice(0, 4)}`][i % 3]
    const texts = store.all().map(e => ({ id: e.id, words: splitWords(searchableText(e)) }))
    const scan = (query: string): string[] => {
      const terms = splitWords(query)
      return texts.filter(t => terms.every(q => t.words.some(w => w.startsWith(q)))).map(t => t.id)
    }
    const sizes = Array.from({ length: QUERIES }, (_, i) => store.query({ text: queryOf(i) }).length)
    console.log(`queries find ${Math.min(...sizes)} to ${Math.max(...sizes)} entries (median ${percentile(sizes, 0.5)})`)
    const client = await ControlClient.connect(node.config.dataDir)
    try {
      for (let round = 0; round < 2; round++) {
        // The first round warms up; the second is reported.
        const socket = await timed(QUERIES, async i => client.call('library.ls', { text: queryOf(i) }))
        const index = await timed(QUERIES, i => store.query({ text: queryOf(i) }))
        const scanned = await timed(QUERIES, i => scan(queryOf(i)))
        const status = await timed(QUERIES, async () => client.call('status'))
        if (round === 0) continue
        report(`library ls --text, unix socket (${ENTRIES})`, socket)
        report('  the word index in memory', index)
        report('  anchor: a scan of every entry\'s words', scanned)
        report('  anchor: status over the same socket', status)
        console.log(`index vs scan, p50: ${(percentile(scanned, 0.5) / percentile(index, 0.5)).toFixed(0)}x faster`)
      }
    } finally {
      client.close()
    }
  } finally {
    await node.stop()
  }
}

async function syncBench (dir: string): Promise<void> {
  const holder = await startPeer(dir, 'holder')
  try {
    await fill(holder, SYNC_ENTRIES)
    const joins: number[] = []
    const syncs: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const joiner = await startPeer(dir, `joiner-${run}`)
      try {
        const holderId = holder.libp2p.peerId.toString()
        const started = performance.now()
        await joiner.libp2p.dial(holder.libp2p.getMultiaddrs()[0])
        let joined: number | undefined
        const deadline = Date.now() + 120_000
        while (joiner.library.library.store.size < SYNC_ENTRIES) {
          if (Date.now() > deadline) throw new Error(`the new peer holds ${joiner.library.library.store.size} of ${SYNC_ENTRIES} entries after two minutes`)
          if (joined == null && joiner.capabilities.peers().some(p => p.peerId === holderId)) joined = performance.now() - started
          await new Promise(resolve => setTimeout(resolve, 5))
        }
        syncs.push(performance.now() - started)
        joins.push(joined ?? syncs.at(-1) as number)
      } finally {
        await joiner.stop()
      }
    }
    console.log(`new peer, ${SYNC_ENTRIES} entries' metadata: ${syncs.map(s => ms(s)).join(', ')} ms from the dial (median ${ms(percentile(syncs, 0.5))})`)
    console.log(`  anchor: listing the peer it joined: ${joins.map(s => ms(s)).join(', ')} ms (median ${ms(percentile(joins, 0.5))})`)
  } finally {
    await holder.stop()
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-library-'))
try {
  await searchBench(dir)
  await syncBench(dir)
} finally {
  await rm(dir, { recursive: true, force: true })
}
