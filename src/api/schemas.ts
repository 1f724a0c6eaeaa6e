import Type from 'typebox'

/**
 * Schemas of what methods return. Records are open (more fields may appear as the node grows); what a client
 * may rely on is listed.
 */
const open = { additionalProperties: true }

export const JobId = Type.String({ minLength: 1, maxLength: 64, description: 'a job id, as submit returned it' })

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

export const NoParams = Type.Object({}, { additionalProperties: false })

export const Anything = Type.Unknown()
