import { peerIdFromString } from '@libp2p/peer-id'
import { checkNotifyUrl } from '../../requester/notify.js'
import { checkStages, fileStage, pipelineFor, type StageDirectory } from '../../jobs/pipeline.js'
import { JobNotFoundError } from '../../store/job-store.js'
import { BadRequestError } from '../api-errors.js'
import { checkRequestId } from '../request-id.js'
import { submitterOf } from '../caller.js'
import type { BlobService } from '../../blobs/blob-service.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { Coordinator } from '../../requester/coordinator.js'
import type { JobRecord } from '../../jobs/job.js'
import type { JobStore } from '../../store/job-store.js'
import type { JobSubmitters } from '../job-submitters.js'
import type { MethodTable } from '../method-table.js'

/** A stage's output exists, but not yet. */
export class OutputNotReadyError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'OutputNotReadyError'
  }
}

export interface StoredJobsComponents {
  coordinator: Pick<Coordinator, 'submitStored'>
  jobStore: Pick<JobStore, 'get'>
  blobStore: Pick<BlobStore, 'has'>
  blobs: Pick<BlobService, 'fetch'>
  submitters: JobSubmitters
  /** The stage names the mesh knows and offers now, to refuse a mistyped pipeline before a job exists. */
  stages: () => StageDirectory
}

/**
 * The job methods that work on the blob store rather than on local paths, which is what a remote client has:
 * create jobs from uploaded content, and find a job's output for a download.
 */
export function registerStoredJobs (methods: MethodTable, components: StoredJobsComponents): void {
  const { coordinator, jobStore, blobStore, blobs, submitters } = components

  methods.register('jobs.create', async (params, ctx) => {
    const mesh = components.stages()
    for (const file of params.files) checkStages(pipelineFor(file.name, params.pipeline), mesh)
    const options = params.options ?? {}
    if (options.notify != null) checkNotifyUrl(options.notify)
    const jobs = await coordinator.submitStored({ files: params.files, extra: params.extra ?? [], pipeline: params.pipeline, options: { ...options, params: options.params ?? {} }, requestId: checkRequestId(params.requestId) })
    const submitter = submitterOf(ctx.caller)
    if (submitter != null) for (const job of jobs) await submitters.record(job.id, submitter)
    return jobs
  })

  methods.register('output', async (params) => {
    const job: JobRecord | undefined = await jobStore.get(params.id)
    if (job == null) throw new JobNotFoundError(params.id)
    const stage = params.stage == null ? fileStage(job.stages) : job.stages[params.stage]
    if (stage == null) throw new BadRequestError(`job ${job.id} has no stage ${String(params.stage)}`, 'stage')
    const result = stage.output
    if (result == null) throw new OutputNotReadyError(`job ${job.id} has no output of stage ${stage.index} (${stage.kind}) yet: the stage is ${stage.state}`)
    if (!(await blobStore.has(result.hash))) await blobs.fetch(peerIdFromString(result.holders[0]), result.hash, { expectedSize: result.size })
    return { hash: result.hash, size: result.size, name: result.name, stage: stage.index }
  })
}
