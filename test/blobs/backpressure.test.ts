import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { sendBody } from '../../src/blobs/send-body.js'
import { readStreamBody } from '../../src/blobs/stream-body.js'
import { MiB, startPair, storeRandomBlob } from './fixtures.js'

/**
 * Neither end of a transfer may hold much more than a yamux window (16 MiB) plus a few MiB of queue,
 * however slow the receiving disk: a Pi printer node pulling 256 MiB of G-code must not run out of RAM.
 */
const MOST_IN_MEMORY = 40 * MiB

function byteLength (pieces: Uint8Array[]): number {
  return pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
}

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
  for await (const pieces of readStreamBody(stream, { idleTimeoutMs: 30_000, signal: AbortSignal.timeout(120_000) })) {
    received += byteLength(pieces)
    mostAhead = Math.max(mostAhead, pulledFromDisk - received)
    if (received > 16 * MiB) await sleep(40)
  }
  assert.equal(received, total)
  assert.ok(mostAhead <= MOST_IN_MEMORY, `the sender got ${(mostAhead / MiB).toFixed(1)} MiB ahead of the receiver`)
})

test('a connection reset while the receiver is paused ends the body, and the node keeps working', async (t) => {
  const { client, server } = await startPair(t)
  await server.node.handle('/meshnode-test/reset-while-paused/1.0.0', async (stream, connection) => {
    const chunk = new Uint8Array(256 * 1024).fill(0x5a)
    for (let sent = 0; sent < 12 * MiB; sent += chunk.byteLength) stream.send(chunk)
    await sleep(500)
    connection.abort(new Error('the serving peer went away'))
  })
  const stream = await client.node.dialProtocol(server.node.peerId, '/meshnode-test/reset-while-paused/1.0.0')
  stream.send(new Uint8Array([1]))
  let received = 0
  // Taken slowly, so the receiver is paused above its high-water mark when the reset comes.
  const body = readStreamBody(stream, { idleTimeoutMs: 30_000, signal: AbortSignal.timeout(60_000) })
  const outcome = await (async () => {
    for await (const pieces of body) {
      received += byteLength(pieces)
      await sleep(200)
    }
  })().then(() => 'ended', (err: Error) => err.name)
  assert.ok(outcome === 'ended' || outcome === 'StreamResetError', `the body failed with ${outcome}`)
  assert.ok(received > 0, 'nothing arrived before the reset')
  const blob = await storeRandomBlob(t, server, MiB)
  assert.equal((await client.blobs.fetch(server.node.peerId, blob.hash)).size, MiB)
})
