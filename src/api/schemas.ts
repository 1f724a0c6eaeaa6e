import Type from 'typebox'
import { MAX_COPIES } from '../jobs/copies.js'
import { PRIORITIES } from '../jobs/print-queue-order.js'

/**
 * Schemas of what methods return, and the job options two methods take. Records are open (more fields may
 * appear as the node grows); what a client may rely on is listed.
 */
const open = { additionalProperties: true }

export const JobId = Type.String({ minLength: 1, maxLength: 64, description: 'a job id, as submit returned it' })

/** Job options as submitted, of files or of a library entry: -D parameters and the choices a stage may use. */
export const JobOptionsSchema = Type.Object({
  params: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'OpenSCAD -D parameters, name to value' })),
  profile: Type.Optional(Type.String()),
  printer: Type.Optional(Type.String()),
  material: Type.Optional(Type.String()),
  notify: Type.Optional(Type.String({ description: 'an http(s) URL told when the job ends' })),
  priority: Type.Optional(Type.Union(PRIORITIES.map(p => Type.Literal(p)), { description: 'its place in the print queue: high, normal (the default) or low' })),
  copies: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COPIES, description: 'prints of the part: one render and one slice, then a copy job per print, spread over every printer that fits' }))
}, { additionalProperties: false })

export const FileRef = Type.Object({
  hash: Type.String({ description: 'sha256 of the content, lowercase hex' }),
  size: Type.Integer(),
  name: Type.String(),
  holders: Type.Array(Type.String())
}, open)

export const Stage = Type.Object({
  index: Type.Integer(),
  kind: Type.String(),
  state: Type.String(),
  attempt: Type.Integer(),
  peerName: Type.Optional(Type.String()),
  output: Type.Optional(FileRef),
  progress: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String())
}, open)

export const Job = Type.Object({
  id: Type.String(),
  state: Type.String({ description: 'running, done, failed or cancelled' }),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  input: FileRef,
  options: Type.Object({ params: Type.Record(Type.String(), Type.String()) }, open),
  stages: Type.Array(Stage),
  error: Type.Optional(Type.String())
}, open)

export const JobWithHistory = Type.Intersect([Job, Type.Object({ events: Type.Array(Type.Object({ seq: Type.Integer(), at: Type.Integer(), type: Type.String(), message: Type.String() }, open)) }, open)])

export const Printer = Type.Object({ name: Type.String(), state: Type.String(), material: Type.String() }, open)

export const PowerStatus = Type.Object({
  group: Type.Optional(Type.String({ description: 'absent when this node\'s printers are in no power group' })),
  maxHeating: Type.Optional(Type.Integer()),
  leaseMs: Type.Optional(Type.Integer()),
  slots: Type.Array(Type.Object({
    peerId: Type.String(),
    printer: Type.String(),
    state: Type.Union([Type.Literal('heating'), Type.Literal('waiting')]),
    wantedAt: Type.Number({ description: 'when it asked for power, ms since the epoch: the waiting heat in this order' }),
    local: Type.Boolean()
  }), { description: 'heating first, then the waiting in turn' })
})

export const QueueEntry = Type.Object({
  position: Type.Integer({ minimum: 1 }),
  jobId: Type.String(),
  stage: Type.Integer(),
  requester: Type.String(),
  file: Type.String(),
  material: Type.String(),
  priority: Type.String(),
  moved: Type.Optional(Type.String({ description: 'top or bottom, when moved there with queue move' })),
  held: Type.Boolean(),
  ageMs: Type.Number(),
  couldTake: Type.Array(Type.Object({ printer: Type.String({ description: 'peer/printer' }), state: Type.String() })),
  cannot: Type.Array(Type.Object({ printer: Type.String(), reason: Type.String() }))
})

export const Verification = Type.Object({
  hash: Type.String({ description: 'sha256 of the file the record is for' }),
  verified: Type.Boolean({ description: 'every stage signed by the peer it names, each started from the output of the one before, the last made the file' }),
  jobId: Type.Optional(Type.String()),
  from: Type.Optional(Type.String({ description: 'the peer whose job store held the record' })),
  stages: Type.Array(Type.Object({
    index: Type.Integer(),
    kind: Type.String(),
    peerId: Type.Optional(Type.String()),
    record: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'inputs, tool and version, command, params, profile, printer, material, output, peer, times' })),
    problem: Type.Optional(Type.String())
  })),
  problems: Type.Array(Type.String())
})

export const Peer = Type.Object({ peerId: Type.String(), name: Type.String(), offers: Type.Array(Type.String()) }, open)

export const Status = Type.Object({
  peerId: Type.String(),
  name: Type.String(),
  addresses: Type.Array(Type.String()),
  http: Type.Optional(Type.String({ description: 'where the HTTP API listens, e.g. http://127.0.0.1:8450' })),
  gateways: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'where each gateway listens, by name (octoprint, reprapcloud)' })),
  listenFailures: Type.Optional(Type.Array(Type.String(), { description: 'listeners the last config reload could not move, open or close, each with why and where it stayed' })),
  offers: Type.Array(Type.String()),
  uptimeMs: Type.Number(),
  peers: Type.Integer()
}, open)

export const TokenInfo = Type.Object({ name: Type.String(), scope: Type.String(), createdAt: Type.Integer() })

export const TemperatureHistory = Type.Object({
  name: Type.String(),
  samples: Type.Array(Type.Object({
    at: Type.Integer({ description: 'ms since the epoch' }),
    hotend: Type.Optional(Type.Number()),
    hotendTarget: Type.Optional(Type.Number()),
    bed: Type.Optional(Type.Number()),
    bedTarget: Type.Optional(Type.Number())
  }))
})

export const MeshOffers = Type.Object({
  stages: Type.Array(Type.String(), { description: 'stages some peer offers now' }),
  profiles: Type.Array(Type.Object({ name: Type.String(), material: Type.String() }, open), { description: 'slicer profiles a job may name' }),
  materials: Type.Array(Type.String(), { description: 'materials loaded on the mesh\'s printers' }),
  printers: Type.Array(Type.Object({ name: Type.String(), peerName: Type.String(), material: Type.String(), state: Type.String() }, open))
}, open)

export const WhoAmI = Type.Object({
  kind: Type.String({ description: 'owner, token or loopback' }),
  name: Type.Optional(Type.String({ description: 'the token\'s name' })),
  scope: Type.String({ description: 'read, submit or operator (a loopback caller while no tokens exist: operator; the owner: owner)' })
})

const ScadParameter = Type.Object({
  name: Type.String(),
  group: Type.String(),
  description: Type.String(),
  initial: Type.String({ description: 'the design\'s value as a -D literal' }),
  type: Type.String({ description: 'number, boolean, string or vector' }),
  widget: Type.String({ description: 'slider, dropdown, spinbox, checkbox, text or vector' }),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  step: Type.Optional(Type.Number()),
  maxLength: Type.Optional(Type.Integer()),
  options: Type.Optional(Type.Array(Type.Object({ value: Type.Union([Type.Number(), Type.String()]), label: Type.String() })))
})

export const ScadParameters = Type.Object({ parameters: Type.Array(ScadParameter) })

export const NoParams = Type.Object({}, { additionalProperties: false })

export const Anything = Type.Unknown()

/** One decision of the admin audit log. */
export const AuditEntry = Type.Object({
  seq: Type.Optional(Type.Integer()),
  at: Type.Optional(Type.Number()),
  decision: Type.String({ description: 'accepted | applied | rejected | refused | held (a copy of one already held)' }),
  key: Type.Optional(Type.String({ description: 'the document\'s kind and target, e.g. config:slicers' })),
  revision: Type.Optional(Type.Number()),
  admin: Type.Optional(Type.String()),
  from: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String())
}, open)

/** One node of `admin.status`. */
export const FleetEntry = Type.Object({
  peerId: Type.String(),
  name: Type.String(),
  tags: Type.Array(Type.String()),
  version: Type.String(),
  configRevision: Type.Number({ description: 'the config document applied; 0 for none' }),
  rejectedRevision: Type.Number(),
  rejectedReason: Type.String(),
  startedAt: Type.Number(),
  drained: Type.Boolean(),
  pending: Type.Integer(),
  services: Type.Array(Type.String(), { description: 'services admins pushed to it' }),
  updateState: Type.Optional(Type.String({ description: 'its part in the newest update for it: fetching, waiting, waiting-for-print, restarting, trying, updated, rolled-back, halted, failed; empty for none' })),
  updateRevision: Type.Optional(Type.Number()),
  updateVersion: Type.Optional(Type.String({ description: 'the version that update brings' })),
  updateReason: Type.Optional(Type.String({ description: 'why it waits, rolled back, halted or failed' })),
  heardAt: Type.Number(),
  self: Type.Boolean()
}, open)
