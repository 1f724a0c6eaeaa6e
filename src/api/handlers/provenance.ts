import { JobNotFoundError } from '../../store/job-store.js'
import { chainFor, verifyChain } from '../../provenance/provenance-chain.js'
import type { ProvenanceService } from '../../provenance/provenance-service.js'
import type { MethodTable } from '../method-table.js'
import type { JobStore } from '../../store/job-store.js'

/** Where parts came from: a job's signed record, and a file's, found in the mesh by its hash. */
export function registerProvenance (api: MethodTable, jobStore: Pick<JobStore, 'get'>, provenance: ProvenanceService): void {
  api.register('provenance', async (params) => {
    const id = String(params.id)
    const job = await jobStore.get(id)
    if (job == null) throw new JobNotFoundError(id)
    const last = job.stages.findLast(s => s.state === 'done' && s.output != null)
    if (last?.output == null) return { hash: '', verified: false, jobId: id, stages: [], problems: [`no stage of job ${id} has finished`] }
    return await verifyChain(last.output.hash, chainFor(job, last.output.hash) ?? [])
  })

  api.register('verify', async (params) => {
    const hash = String(params.hash)
    const found = await provenance.find(hash)
    if (found === undefined) return { hash, verified: false, stages: [], problems: ['no peer knows of a job that made this file'] }
    return { ...(await verifyChain(hash, found.chain)), from: found.from }
  })
}
