import Type from 'typebox'
import { SCOPES } from './caller.js'
import { Anything, AuditEntry, FleetEntry, Job, JobId, JobOptionsSchema, JobWithHistory, MeshOffers, NoParams, Peer, PowerStatus, Printer, QueueEntry, ScadParameters, Status, TemperatureHistory, TokenInfo, Verification, WhoAmI } from './schemas.js'
import type { MethodSpec } from './method.js'
import { LIBRARY_METHODS } from './library-methods.js'

const strict = { additionalProperties: false }
/** A design's text in a JSON body, under the HTTP API's body limit; the dashboard parses larger ones itself. */
const MAX_SCAD_SOURCE_OVER_HTTP = 60_000
const Paths = Type.Array(Type.String())
const RequestId = Type.String({ description: 'the same on every retry of one submit: a retry gets the jobs the first attempt made' })
const Pipeline = Type.Array(Type.String(), { description: 'stage names in order, e.g. ["scad", "slice"]' })
const Name = Type.Object({ name: Type.String({ description: 'the printer\'s name' }) }, strict)
const SignedDocument = Type.String({ maxLength: 96 * 1024, pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'the signed document, base64' })
const ById = Type.Object({ id: JobId }, strict)
const PrinterCommand = (verb: string, summary: string): MethodSpec => ({
  name: `printer.${verb}`, summary, access: 'operator', params: Name, result: Printer, http: { verb: 'POST', path: `/printers/:name/${verb}` }
})

/**
 * The node's methods: the single source of the unix socket's method names, the HTTP routes and the OpenAPI
 * document. A handler is attached to each by the part of the node that serves it.
 */
export const METHODS: readonly MethodSpec[] = [
  { name: 'status', summary: 'this node: identity, addresses, what it offers, its tools and printers', access: 'read', params: NoParams, result: Status, http: { verb: 'GET', path: '/status' } },
  { name: 'peers', summary: 'the peers this node knows and what each offers', access: 'read', params: NoParams, result: Type.Array(Peer), http: { verb: 'GET', path: '/peers' } },
  {
    name: 'jobs',
    summary: 'jobs this node submitted: running ones and those ended in the last day (all with all=true)',
    access: 'read',
    params: Type.Object({ all: Type.Optional(Type.Boolean()) }, strict),
    result: Type.Array(Job),
    http: { verb: 'GET', path: '/jobs' }
  },
  { name: 'job', summary: 'one job and its history', access: 'read', params: ById, result: JobWithHistory, http: { verb: 'GET', path: '/jobs/:id' } },
  {
    name: 'logs',
    summary: 'a job\'s events, tool output included; with follow, streamed until it ends (socket only)',
    access: 'read',
    params: Type.Object({ id: JobId, follow: Type.Optional(Type.Boolean()) }, strict),
    result: Type.Object({ state: Type.String(), events: Type.Optional(Type.Array(Anything, { description: 'over HTTP: the events the socket streams' })) }),
    http: { verb: 'GET', path: '/jobs/:id/logs' }
  },
  {
    name: 'queue',
    summary: 'the mesh\'s print queue: every print waiting for a printer, in the order printers take them (priority, then age), with the printers that could take each and why the others cannot',
    access: 'read',
    params: NoParams,
    result: Type.Array(QueueEntry),
    http: { verb: 'GET', path: '/queue' }
  },
  { name: 'queue.move', summary: 'moves a job of this node to the top (or bottom) of the print queue, ahead of (or behind) every priority', access: 'submit', ownJob: true, params: Type.Object({ id: JobId, to: Type.Union([Type.Literal('top'), Type.Literal('bottom')]) }, strict), result: Job, http: { verb: 'POST', path: '/jobs/:id/queue/move' } },
  { name: 'queue.hold', summary: 'holds a job\'s print back: no printer takes it until it is released', access: 'submit', ownJob: true, params: ById, result: Job, http: { verb: 'POST', path: '/jobs/:id/queue/hold' } },
  { name: 'queue.release', summary: 'releases a held print: it takes its place in the queue again', access: 'submit', ownJob: true, params: ById, result: Job, http: { verb: 'POST', path: '/jobs/:id/queue/release' } },
  { name: 'provenance', summary: 'a job\'s signed record: each stage\'s inputs, tool and version, settings, output and peer, every signature checked', access: 'read', params: ById, result: Verification, http: { verb: 'GET', path: '/jobs/:id/provenance' } },
  {
    name: 'verify',
    summary: 'finds the signed record of a file by its sha256 (this node\'s jobs, then every peer\'s) and checks every signature',
    access: 'read',
    params: Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, strict),
    result: Verification,
    http: { verb: 'GET', path: '/verify/:hash' }
  },
  { name: 'cancel', summary: 'cancels a job; a submit token cancels only its own', access: 'submit', ownJob: true, params: ById, result: Job, http: { verb: 'POST', path: '/jobs/:id/cancel' } },
  {
    name: 'output',
    summary: 'where a job\'s output is (the last file stage\'s, or stage N\'s), fetched into this node\'s blob store',
    access: 'read',
    params: Type.Object({ id: JobId, stage: Type.Optional(Type.Integer({ minimum: 0 })) }, strict),
    result: Type.Object({ hash: Type.String(), size: Type.Integer(), name: Type.String(), stage: Type.Integer() })
  },
  {
    name: 'jobs.create',
    summary: 'creates jobs from files already in this node\'s blob store (an HTTP upload lands there first)',
    access: 'submit',
    params: Type.Object({
      files: Type.Array(Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }), size: Type.Integer({ minimum: 0 }), name: Type.String() }, strict), { minItems: 1 }),
      extra: Type.Optional(Type.Array(Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }), size: Type.Integer({ minimum: 0 }), name: Type.String() }, strict))),
      pipeline: Type.Optional(Pipeline),
      options: Type.Optional(JobOptionsSchema),
      requestId: Type.Optional(RequestId)
    }, strict),
    result: Type.Array(Job),
    http: { verb: 'POST', path: '/jobs/from-blobs' }
  },
  { name: 'events', summary: 'live events: jobs, stages, progress, printers, peers (Server-Sent Events over HTTP)', access: 'read', params: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }, strict), result: Anything },
  { name: 'printers', summary: 'every printer in the mesh and its state', access: 'read', params: NoParams, result: Type.Array(Printer), http: { verb: 'GET', path: '/printers' } },
  {
    name: 'power',
    summary: 'the power group of this node\'s printers: which printers heat up now and which wait for power, in turn',
    access: 'read',
    params: NoParams,
    result: PowerStatus,
    http: { verb: 'GET', path: '/power' }
  },
  PrinterCommand('clear', 'the operator cleared the bed: the printer may start the next print'),
  {
    name: 'printer.load',
    summary: 'the filament and nozzle now on a printer',
    access: 'operator',
    params: Type.Object({ name: Type.String(), material: Type.Optional(Type.String()), nozzleMm: Type.Optional(Type.Union([Type.String(), Type.Number()])) }, strict),
    result: Printer,
    http: { verb: 'POST', path: '/printers/:name/load' }
  },
  PrinterCommand('pause', 'pauses the print under way'),
  PrinterCommand('resume', 'resumes a paused print'),
  PrinterCommand('cancel', 'cancels the print under way'),
  { name: 'printer.temperatures', summary: 'a printer of this node: its nozzle and bed temperatures of the last 30 minutes, one sample a second at most', access: 'read', params: Name, result: TemperatureHistory, http: { verb: 'GET', path: '/printers/:name/temperatures' } },
  { name: 'offers', summary: 'what the mesh offers a job: stages, slicer profiles, materials loaded and printers', access: 'read', params: NoParams, result: MeshOffers, http: { verb: 'GET', path: '/offers' } },
  { name: 'whoami', summary: 'who the caller is and what its scope lets it do (a dashboard shows only the buttons that work)', access: 'read', params: NoParams, result: WhoAmI, http: { verb: 'GET', path: '/whoami' } },
  {
    name: 'scad.parameters',
    summary: 'the Customizer parameters of an OpenSCAD design: groups, ranges, steps, drop-downs, booleans, strings',
    access: 'read',
    params: Type.Object({ source: Type.String({ maxLength: MAX_SCAD_SOURCE_OVER_HTTP, description: 'the design\'s text' }) }, strict),
    result: ScadParameters,
    http: { verb: 'POST', path: '/scad/parameters' }
  },
  { name: 'print.abandon', summary: 'gives up an interrupted print', access: 'operator', params: Type.Object({ job: Type.String() }, strict), result: Printer, http: { verb: 'POST', path: '/prints/:job/abandon' } },
  { name: 'print.resume', summary: 'resumes an interrupted print from a G-code line', access: 'operator', params: Type.Object({ job: Type.String(), fromLine: Type.Integer({ minimum: 1 }) }, strict), result: Printer, http: { verb: 'POST', path: '/prints/:job/resume' } },
  { name: 'check-pipeline', summary: 'checks the stages local files would go through', access: 'owner', params: Type.Object({ files: Paths, pipeline: Type.Optional(Pipeline) }, strict), result: Type.Object({ unoffered: Type.Array(Type.String()) }) },
  { name: 'submit', summary: 'submits local files (paths on this machine), one job per file', access: 'owner', params: Type.Object({ files: Paths, extra: Type.Optional(Paths), pipeline: Type.Optional(Pipeline), options: Type.Optional(JobOptionsSchema), requestId: Type.Optional(RequestId) }, strict), result: Type.Array(Job) },
  { name: 'watch', summary: 'streams jobs\' progress until they end', access: 'read', params: Type.Object({ ids: Type.Array(Type.String()), progress: Type.Optional(Type.Boolean()) }, strict), result: Type.Array(Job) },
  { name: 'get', summary: 'writes a job\'s output to a local path', access: 'owner', params: Type.Object({ id: Type.String(), out: Type.String(), stage: Type.Optional(Type.Integer()) }, strict), result: Type.Object({ path: Type.String(), name: Type.String(), size: Type.Integer(), hash: Type.String(), stage: Type.Integer() }) },
  { name: 'invite', summary: 'a one-time code that lets one machine join the mesh', access: 'owner', params: Type.Object({ expiresMs: Type.Number({ minimum: 0 }) }, strict), result: Type.Object({ code: Type.String(), expiresAt: Type.Number() }, { additionalProperties: true }) },
  { name: 'token.create', summary: 'makes an HTTP API token; its secret is shown once', access: 'owner', params: Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), scope: Type.Union(SCOPES.map(s => Type.Literal(s))) }, strict), result: Type.Object({ name: Type.String(), scope: Type.String(), token: Type.String() }) },
  { name: 'token.list', summary: 'the HTTP API tokens (names and scopes, never secrets)', access: 'owner', params: NoParams, result: Type.Array(TokenInfo) },
  {
    name: 'admin.publish',
    summary: 'judges a signed admin document (made by "meshnode admin" with the admin\'s key) here, then sends it to the mesh',
    access: 'operator',
    params: Type.Object({ document: SignedDocument }, strict),
    result: AuditEntry,
    http: { verb: 'POST', path: '/admin/documents' }
  },
  { name: 'admin.log', summary: 'the audit log: every admin document this node took, refused, applied or rejected, and why', access: 'operator', params: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, strict), result: Type.Array(AuditEntry), http: { verb: 'GET', path: '/admin/log' } },
  { name: 'admin.share', summary: 'puts a local file in this node\'s blob store for a service document to name (what "admin service push" sends)', access: 'owner', params: Type.Object({ path: Type.String() }, strict), result: Type.Object({ hash: Type.String(), size: Type.Integer(), holder: Type.String() }) },
  {
    name: 'admin.run',
    summary: 'runs a signed run document on the nodes it targets; their output streamed as events (socket only)',
    access: 'operator',
    params: Type.Object({ document: SignedDocument }, strict),
    result: Type.Array(Type.Object({ node: Type.String(), exitCode: Type.Optional(Type.Integer()), timedOut: Type.Boolean(), error: Type.Optional(Type.String()) }))
  },
  { name: 'admin.status', summary: 'the fleet: per node its version, config revision applied or rejected and why, uptime, last heard, drained, pending documents, its step in an update', access: 'read', params: NoParams, result: Type.Array(FleetEntry), http: { verb: 'GET', path: '/admin/status' } },
  { name: 'token.revoke', summary: 'revokes an HTTP API token', access: 'owner', params: Type.Object({ name: Type.String() }, strict), result: TokenInfo },
  ...LIBRARY_METHODS
]
