import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { fastMessageId } from './fast-message-id.js'
import { heartbeat, type Heartbeat } from './heartbeat.js'
import { meshKeyProtector } from './mesh-key-protector.js'
import { noiseCrypto } from './noise-crypto.js'
import type { PeerBar } from './peer-bar.js'
import { quietDiscovery } from './quiet-discovery.js'

export type MeshServices = {
  identify: Identify
  heartbeat: Heartbeat
  pubsub: GossipSub
}

export type MeshLibp2p = Libp2p<MeshServices>

export interface Libp2pInit {
  privateKey: PrivateKey
  listen: string[]
  mdns: { enabled: boolean, intervalMs: number }
  /** A libp2p private-network key (the file's contents); peers without it cannot connect. */
  meshKey?: Uint8Array
  /** Gossip topics whose invalid messages count against the peer that sent them (the rooms above name them). */
  guardedTopics?: string[]
  /** Peers kept out, both ways, while they are barred (the gossip guard bars a peer it hangs up on). */
  bar?: PeerBar
}

/**
 * Builds the libp2p node every meshnode peer runs: TCP, noise, yamux, identify, heartbeat, gossipsub and,
 * when enabled, mDNS. Our own protocols are registered on it by the services in src/.
 */
export async function createMeshLibp2p (init: Libp2pInit): Promise<MeshLibp2p> {
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: noiseCrypto() })],
    streamMuxers: [yamux()],
    connectionGater: init.bar?.gater(),
    connectionProtector: init.meshKey != null ? meshKeyProtector({ psk: init.meshKey }) : undefined,
    peerDiscovery: init.mdns.enabled ? [quietDiscovery(mdns({ interval: init.mdns.intervalMs }))] : [],
    // The heartbeat service does its job (a cut link drops within 10 s) on a kept stream, for a tenth of the CPU.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      heartbeat: heartbeat(),
      pubsub: gossipsub({
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        // 500 ms, not libp2p's 1 s: announce -> start measured 69–74 ms against 76–85 ms with 1 s (same run, load 4).
        heartbeatInterval: 500,
        fastMsgIdFn: fastMessageId,
        // A small mesh. Peers on a LAN all connect to each other (mDNS), and gossipsub's flood publishing sends each
        // message straight to every peer; the mesh only forwards copies. With the default of 6 each message
        // crossed a 5-peer mesh 16 times instead of 4, and announce -> start took 38–43 ms against 29 ms (same
        // hour, market bench). A peer not connected to the author still gets it from the mesh or from the
        // IHAVE gossip of the next heartbeat.
        D: 2,
        Dlo: 1,
        Dhi: 3,
        Dout: 0,
        // Only invalid messages count against a peer (see GossipGuard); quiet peers are normal here.
        scoreParams: { topics: Object.fromEntries((init.guardedTopics ?? []).map(topic => [topic, guardedTopic()])) },
        scoreThresholds: { gossipThreshold: -100, publishThreshold: -200, graylistThreshold: -400 }
      })
    }
  })
}

function guardedTopic (): ReturnType<typeof createTopicScoreParams> {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.9
  })
}
