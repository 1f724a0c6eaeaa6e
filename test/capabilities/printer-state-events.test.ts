import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { PrinterStateEvent } from '../../protocols/printer-state.js'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { PRINTER_STATE_TOPIC } from '../../src/printer/printer-state.js'
import { CAPABILITY_TOPIC } from '../../src/capabilities/constants.js'
import { signRecord } from '../../src/capabilities/signed-record.js'
import { createMeshLibp2p } from '../../src/net/libp2p.js'
import { waitFor } from '../lan/wait.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'

test('a peer cannot speak for another peer\'s printer: a forged state is filed under its author, never over another\'s printer', async (t) => {
  const dir = await tempDir(t, 'meshnode-printer-state-')
  const printer = await startPeer(t, dir, 'printer-pi', c => {
    c.printers = [parsePrinterConfig({ name: 'mk3', port: 'virtual', bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', virtual: { speedUp: 50, faults: [] } }, 'printers[0]')]
  })
  const observer = await startPeer(t, dir, 'observer', c => { c.offers = [] })
  await observer.libp2p.dial(printer.libp2p.getMultiaddrs()[0])
  const mk3 = (): { state: string, hotendC: number } | undefined => observer.capabilities.peer(printer.libp2p.peerId.toString())?.record.printers.find(p => p.name === 'mk3')
  await waitFor(() => mk3()?.state === 'idle', { timeoutMs: 10_000, what: 'the observer to see mk3 idle' })

  const rogueKey = await generateKeyPair('Ed25519')
  const rogue = await createMeshLibp2p({ privateKey: rogueKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { enabled: false, intervalMs: 1000 } })
  t.after(async () => { await rogue.stop() })
  await rogue.dial(observer.libp2p.getMultiaddrs()[0])
  await waitFor(() => rogue.services.pubsub.getSubscribers(PRINTER_STATE_TOPIC).length > 0, { timeoutMs: 10_000, what: 'the observer to subscribe' })
  // The rogue has a printer named mk3 of its own: its events land there, which shows they were delivered.
  const own = { name: 'mk3', state: 'idle', material: 'PLA', nozzleMm: 0.4, bedXMm: 250, bedYMm: 210, bedZMm: 210, currentJob: '', progress: 0, hotendC: 21, bedC: 21, stateSeq: 1 }
  const record = { peerId: rogue.peerId.toString(), name: 'rogue', seq: 1, issuedAt: Date.now(), offers: ['print'], tools: [], printers: [own], load: 0, queue: 0, startedAt: Date.now() }
  await rogue.services.pubsub.publish(CAPABILITY_TOPIC, await signRecord(record, rogueKey))
  await waitFor(() => observer.capabilities.peer(rogue.peerId.toString()) !== undefined, { timeoutMs: 10_000, what: 'the observer to take the rogue\'s record' })
  const forged = PrinterStateEvent.encode({ printer: 'mk3', seq: Number.MAX_SAFE_INTEGER, state: 'printing', currentJob: 'j000000000001', progress: 0.97, hotendC: 999, bedC: 999 })
  for (let i = 0; i < 10; i++) {
    await rogue.services.pubsub.publish(PRINTER_STATE_TOPIC, forged).catch(() => {})
    await sleep(50)
  }
  await waitFor(() => observer.capabilities.peer(rogue.peerId.toString())?.record.printers[0].state === 'printing', { timeoutMs: 10_000, what: 'the forged state to reach the observer' })
  assert.equal(mk3()?.state, 'idle', 'the forged "printing" was not laid over printer-pi\'s mk3')
  assert.notEqual(mk3()?.hotendC, 999)
  assert.equal(observer.capabilities.peer(rogue.peerId.toString())?.record.printers[0].hotendC, 999, 'filed under its author')
})
