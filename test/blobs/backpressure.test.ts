import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { sendBody } from '../../src/blobs/send-body.js'
import { readStreamBody } from '../../src/blobs/stream-body.js'
import { MiB, startPair } from './fixtures.js'

/**
 * Neither end of a transfer may hold much more than a yamux window (16 MiB) plus a few MiB of queue,
 * however slow the receiving disk: a Pi printer node pulling 256 MiB of G-code must not run out of RAM.
 */
const MOST_IN_MEMORY = 40 * MiB

test('a receiver slower than the network holds the sender back instead of either side buffering the file', async (t) => {
  const { client, server } = await startPair(t)
  const total = 96 * MiB
  let pulledFromDisk = 0
  async function * file (): AsyncIterable<Uint8Array> {
    while (pulledFromDisk < total) {
      pulledFromDisk += 256 * 1024
      yield new Uint8Array(256 * 1024).fill(0x5a)
    }
  }
  await server.node.handle('/meshnode-test/firehose/1.0.0', async (stream) => {
    await sendBody(stream, file(), 60_000)
    await stream.close()
  })
  const stream = await client.node.dialProtocol(server.node.peerId, '/meshnode-test/firehose/1.0.0')
  stream.send(new Uint8Array([1]))
  let received = 0
  let mostAhead = 0
  // Fast at first, so yamux grows its window to the maximum, then like a slow SD card.
  for await (const chunk of readStreamBody(stream, { idleTimeoutMs: 30_000, signal: AbortSignal.timeout(120_000) })) {
    received += chunk.byteLength
    mostAhead = Math.max(mostAhead, pulledFromDisk - received)
    if (received > 16 * MiB) await sleep(40)
  }
  assert.equal(received, total)
  assert.ok(mostAhead <= MOST_IN_MEMORY, `the sender got ${(mostAhead / MiB).toFixed(1)} MiB ahead of the receiver`)
})
