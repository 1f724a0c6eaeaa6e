import { basename, isAbsolute } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { checkRequestId } from '../request-id.js'
import { TERMINAL_JOB_STATES, type JobRecord } from '../../jobs/job.js'
import { checkNotifyUrl } from '../../requester/notify.js'
import { BUILT_IN_STAGES, checkStages, fileStage, pipelineFor, type StageDirectory } from '../../jobs/pipeline.js'
import { JobNotFoundError } from '../../store/job-store.js'
import type { BlobService } from '../../blobs/blob-service.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { CapabilityService } from '../../capabilities/capability-service.js'
import type { ServiceConfig } from '../../config/service-config.js'
import type { Coordinator } from '../../requester/coordinator.js'
import type { JobStore } from '../../store/job-store.js'
import type { MethodTable } from '../method-table.js'

class BadRequestError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BadRequestError'
  }
}

export interface JobsComponents {
  jobs: Pick<Coordinator, 'submit' | 'cancel' | 'progressOf' | 'addEventListener' | 'removeEventListener'>
  jobStore: Pick<JobStore, 'get' | 'list' | 'events'>
  blobStore: Pick<BlobStore, 'has' | 'exportTo'>
  blobs: Pick<BlobService, 'fetch'>
  /** The stages the mesh knows and offers now (see `stageDirectory`). */
  stages(): StageDirectory
}

/** The job commands of the control API: submit, watch, list, show, logs, get, cancel. */
export function registerJobs (api: MethodTable, components: JobsComponents): void {
  const { jobs, jobStore } = components
  const withProgress = (job: JobRecord): JobRecord => progressed(jobs, job)

  const mustGet = async (id: unknown): Promise<JobRecord> => {
    const job = typeof id === 'string' ? await jobStore.get(id) : undefined
    if (job == null) throw new JobNotFoundError(String(id))
    return job
  }

  /** The stages each file would go through, checked against the mesh: unknown ones throw; gives those no peer offers now. */
  const checkPipelines = (files: string[], pipeline: string[] | undefined): string[] => {
    const mesh = components.stages()
    return [...new Set(files.flatMap(file => checkStages(pipelineFor(basename(file), pipeline), mesh)))]
  }

  api.register('check-pipeline', async (params) => ({ unoffered: checkPipelines(absolutePaths(params.files, 'files'), params.pipeline) }))

  api.register('submit', async (params) => {
    const files = absolutePaths(params.files, 'files')
    if (files.length === 0) throw new BadRequestError('give at least one file to submit')
    checkPipelines(files, params.pipeline)
    const options = params.options ?? {}
    if (options.notify != null) checkNotifyUrl(options.notify)
    // The same id on a retry gets the jobs the first attempt stored, not new ones (see SubmitRequest.requestId).
    const requestId = checkRequestId(params.requestId)
    return jobs.submit({ files, extra: absolutePaths(params.extra ?? [], 'extra'), pipeline: params.pipeline, options: { params: options.params ?? {}, profile: options.profile, printer: options.printer, material: options.material, notify: options.notify, copies: options.copies, priority: options.priority }, requestId })
  })

  api.register('watch', async (params, ctx) => {
    const ids = new Set<string>(params.ids)
    const latest = new Map<string, JobRecord>()
    for (const id of ids) latest.set(id, await mustGet(id))
    const finished = (): boolean => [...latest.values()].every(j => TERMINAL_JOB_STATES.includes(j.state))
    return new Promise((resolve) => {
      // Every job once, then only the job that changed: a batch of a hundred would otherwise send all hundred
      // records on each of their events. A caller that shows no progress (`progress: false`) gets only the end.
      const send = (changed: JobRecord[]): void => {
        if (params.progress !== false) ctx.emit({ jobs: changed.map(j => withProgress(j)) })
        if (finished()) { stop(); resolve([...latest.values()]) }
      }
      const onJob = (evt: Event): void => {
        const job = (evt as CustomEvent<JobRecord>).detail
        if (!ids.has(job.id)) return
        latest.set(job.id, job)
        send([job])
      }
      const onProgress = (evt: Event): void => {
        const job = latest.get((evt as CustomEvent).detail.jobId)
        if (job != null) send([job])
      }
      const stop = (): void => {
        jobs.removeEventListener('job', onJob)
        jobs.removeEventListener('progress', onProgress)
      }
      jobs.addEventListener('job', onJob)
      jobs.addEventListener('progress', onProgress)
      ctx.signal.addEventListener('abort', () => { stop(); resolve([]) })
      send([...latest.values()])
    })
  })

  api.register('jobs', async (params) => {
    const all = await jobStore.list()
    return (params.all === true ? all : all.filter(j => !TERMINAL_JOB_STATES.includes(j.state) || Date.now() - j.updatedAt < 24 * 3600_000)).map(j => withProgress(j))
  })

  api.register('job', async (params) => {
    const job = await mustGet(params.id)
    // Each copy's printer and state, as its own job has them.
    const copies = job.copies == null ? {} : { copyJobs: await Promise.all(job.copies.map(async id => withProgress(await mustGet(id)))) }
    return { ...withProgress(job), ...copies, events: (await jobStore.events(params.id)).filter(e => e.type !== 'log') }
  })

  api.register('logs', async (params, ctx) => {
    await mustGet(params.id)
    let seq = 0
    for (;;) {
      const events = await jobStore.events(params.id, seq)
      for (const event of events) ctx.emit(event)
      seq = events.at(-1)?.seq ?? seq
      const job = await mustGet(params.id)
      if (params.follow !== true || TERMINAL_JOB_STATES.includes(job.state) || ctx.signal.aborted) return { state: job.state }
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  })

  api.register('get', async (params) => {
    const job = await mustGet(params.id)
    const out = absolutePaths([params.out], 'out')[0]
    const stage = params.stage == null ? fileStage(job.stages) : Number.isInteger(params.stage) ? job.stages[params.stage] : undefined
    if (stage == null) throw new BadRequestError(`job ${job.id} has no stage ${String(params.stage)}`)
    const result = stage.output
    if (result == null) throw new BadRequestError(`job ${job.id} has no output of stage ${stage.index + 1} (${stage.kind}) yet: the stage is ${stage.state}`)
    if (!(await components.blobStore.has(result.hash))) {
      await components.blobs.fetch(peerIdFromString(result.holders[0]), result.hash, { expectedSize: result.size })
    }
    await components.blobStore.exportTo(result.hash, out)
    return { path: out, name: result.name, size: result.size, hash: result.hash, stage: stage.index }
  })

  api.register('cancel', async (params) => jobs.cancel((await mustGet(params.id)).id))
}

/**
 * Stage names this node has heard of (built in, a tool in any peer's record or its own, a service in its config)
 * and those some peer, or this node, offers right now.
 */
export function stageDirectory (capabilities: Pick<CapabilityService, 'local' | 'peers'>, services: ServiceConfig[]): StageDirectory {
  const peers = capabilities.peers().map(p => p.record)
  const records = [capabilities.local(), ...peers]
  const offered = new Set(records.flatMap(r => r.offers))
  const known = new Set([...BUILT_IN_STAGES, ...offered, ...records.flatMap(r => r.tools.map(t => t.stage)), ...services.map(s => s.name)])
  return { known, offered, peers: peers.length }
}

function progressed (jobs: Pick<Coordinator, 'progressOf'>, job: JobRecord): JobRecord {
  return { ...job, stages: job.stages.map(s => s.state === 'running' ? { ...s, progress: jobs.progressOf(job.id, s.index) ?? s.progress } : s) }
}

/** Longest file name component Linux file systems take; a longer one can only be an attack or a mistake. */
const MAX_NAME_BYTES = 255

function absolutePaths (value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string' || !isAbsolute(v))) throw new BadRequestError(`${field} must be a list of absolute paths`)
  for (const path of value as string[]) {
    // Refused here with a short message, not by the file system with the whole path in it.
    if (path.includes('\0')) throw new BadRequestError(`${field}: a path may not contain NUL`)
    if (path.split('/').some(part => Buffer.byteLength(part) > MAX_NAME_BYTES)) throw new BadRequestError(`${field}: a file name is too long (over ${MAX_NAME_BYTES} bytes)`)
  }
  return value
}
