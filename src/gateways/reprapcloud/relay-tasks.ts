import { logger } from '@libp2p/logger'
import { checkSlicerSettings, MAX_SLICER_SETTINGS_BYTES, SLICER_SETTINGS_FILE } from '../../executors/slicer-settings.js'
import { callNotifier, notifierUrl } from './notifier.js'
import { expired } from './retention.js'
import { relayServices, type CustomService, type RelayService } from './services.js'
import { planTask, type TaskPlan } from './task-plan.js'
import { isTaskId, newTaskId, type TaskRecord } from './task-record.js'
import { contentOf, RelayRequestError, type RelayRequest } from './relay-request.js'
import type { BlobStore } from '../../blobs/blob-store.js'
import type { Caller } from '../../api/caller.js'
import type { MethodTable } from '../../api/method-table.js'
import type { RepRapCloudConfig } from '../../config/reprapcloud-config.js'
import type { TaskStore } from './task-store.js'

const log = logger('meshnode:reprapcloud')

export interface RelayTasksInit {
  methods: Pick<MethodTable, 'call'>
  blobStore: Pick<BlobStore, 'write' | 'read'>
  store: TaskStore
  config: () => RepRapCloudConfig
  /** This node's name: the task's server until a peer has run it. */
  serverName: string
  customServices: () => CustomService[]
  /** This node's printers and their device paths: printrun's device argument picks one. */
  printerPorts: () => Array<{ name: string, port: string }>
  /** Who the gateway is when it follows a task on its own, after the request that made it is gone. */
  caller: Caller
}

interface JobView {
  id: string
  state: string
  error?: string
  updatedAt: number
  stages: Array<{ kind: string, state: string, peerName?: string, command?: string[], output?: { size: number } }>
}

/**
 * The relay's tasks, each an ordinary mesh job made and watched through the node's methods: submit, follow to
 * the end (then the notifier), kill, list with retention, and the log.
 */
export class RelayTasks {
  private readonly init: RelayTasksInit
  private readonly following = new Map<string, Promise<TaskRecord>>()
  private readonly stopping = new AbortController()

  constructor (init: RelayTasksInit) {
    this.init = init
  }

  /** Picks up the tasks that were busy when the node stopped: their jobs went on, and so does the watch. */
  async start (): Promise<void> {
    for (const task of await this.init.store.list()) {
      if (task.status !== 'busy') continue
      if (task.job == null) await this.end({ ...task, status: 'failed', error: 'the node stopped before the task became a job' })
      else this.follow(task)
    }
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    await Promise.allSettled(this.following.values())
  }

  async services (): Promise<Map<string, RelayService>> {
    const { methods, caller } = this.init
    const ctx = this.ctx(caller)
    const [status, peers] = await Promise.all([methods.call('status', {}, ctx), methods.call('peers', {}, ctx)]) as [{ offers: string[] }, Array<{ offers: string[] }>]
    return relayServices(this.init.customServices(), new Set([...status.offers, ...peers.flatMap(p => p.offers)]))
  }

  /** Makes the task (failed at once when the request cannot run) and its job; the task is busy until the job ends. */
  async submit (request: RelayRequest, client: string, caller: Caller): Promise<TaskRecord> {
    const name = request.fields.get('service') ?? ''
    const service = (await this.services()).get(name)
    if (service == null) throw new RelayRequestError('service', `Requested service '${name.slice(0, 40)}' does not exist (yet).`)
    const id = newTaskId()
    const plan = planTask(id, request, service)
    const task: TaskRecord = {
      id,
      service: service.name,
      status: 'busy',
      in: plan.inputs.map(i => i.path),
      out: service.outputExtension == null ? undefined : `tasks/out/${id}${service.outputExtension === '' ? '' : `.${service.outputExtension}`}`,
      cmd: [service.pipeline.join(',') || service.name, ...plan.args, ...plan.inputs.map(i => i.path)].join(' '),
      ctime: Date.now() / 1000,
      client,
      server: this.init.serverName,
      sizeIn: plan.inputs.reduce((sum, i) => sum + i.size, 0)
    }
    const notifier = request.fields.get('notifier')
    try {
      if (notifier != null) task.notifier = notifierUrl(notifier, id, client)
    } catch (err: any) {
      plan.errors.push(err.message)
    }
    if (plan.errors.length > 0) return this.end({ ...task, status: 'failed', error: plan.errors.join(', ') })
    if (service.pipeline.length === 0) {
      // echo: its output is its input, and no peer is needed to copy a file.
      return this.end({ ...task, status: 'complete', outputHash: plan.main?.hash, sizeOut: plan.main?.size })
    }
    try {
      task.job = await this.createJob(task, service, plan, caller)
    } catch (err: any) {
      return this.end({ ...task, status: 'failed', error: String(err.message) })
    }
    await this.init.store.put(task)
    this.follow(task)
    return task
  }

  /** The task once it has ended, or as it is when `signal` aborts first (the relay's timeout, a client gone). */
  async ended (id: string, signal: AbortSignal): Promise<TaskRecord | undefined> {
    const following = this.following.get(id)
    if (following != null) {
      await new Promise<void>((resolve) => {
        const done = (): void => { signal.removeEventListener('abort', done); resolve() }
        signal.addEventListener('abort', done)
        following.then(done, done)
      })
    }
    return this.init.store.get(id)
  }

  /** One task, or undefined (unknown, or past the retention and removed now). */
  async task (id: string): Promise<TaskRecord | undefined> {
    if (!isTaskId(id)) return undefined
    const task = await this.init.store.get(id)
    if (task == null || !(await this.kept(task))) return undefined
    return task
  }

  /** Every task, oldest first; tasks past the retention are removed on the way, as the relay's listing did. */
  async list (): Promise<TaskRecord[]> {
    const kept: TaskRecord[] = []
    for (const task of await this.init.store.list()) if (await this.kept(task)) kept.push(task)
    return kept
  }

  /** The relay's kill: cancels the task's job; the task ends failed. */
  async kill (id: string, caller: Caller): Promise<TaskRecord | undefined> {
    const task = await this.task(id)
    if (task?.status !== 'busy' || task.job == null) return task
    await this.init.methods.call('cancel', { id: task.job }, this.ctx(caller))
    return this.ended(id, AbortSignal.timeout(10_000))
  }

  /** What the job said as it ran, the tools' output among it: the relay's tasks/log/ID. */
  async logText (task: TaskRecord): Promise<string> {
    const lines: string[] = []
    if (task.job != null) {
      const ctx = { ...this.ctx(this.init.caller), emit: (event: any) => { if (lines.length < 100_000) lines.push(String(event?.message ?? '')) } }
      await this.init.methods.call('logs', { id: task.job }, ctx).catch((err: Error) => { lines.push(`log unavailable: ${err.message}`) })
    }
    if (task.error != null) lines.push(`error: ${task.error}`)
    return lines.map(line => `${line}\n`).join('')
  }

  private async kept (task: TaskRecord): Promise<boolean> {
    if (!expired(task, this.init.config().maxDataRetentionHours, Date.now())) return true
    await this.init.store.delete(task.id)
    return false
  }

  private async createJob (task: TaskRecord, service: RelayService, plan: TaskPlan, caller: Caller): Promise<string> {
    const main = plan.main as NonNullable<TaskPlan['main']>
    const extra = plan.extra.map(i => ({ hash: i.hash, size: i.size, name: i.name }))
    if (plan.settings != null) extra.push({ ...await this.settingsFile(plan.settings.hash, plan.settings.size), name: SLICER_SETTINGS_FILE })
    const options: Record<string, string> = {}
    const device = plan.args[0]
    if (device != null) options.printer = this.printerOn(device)
    const jobs = await this.init.methods.call('jobs.create', {
      files: [{ hash: main.hash, size: main.size, name: main.name }],
      extra,
      pipeline: service.pipeline,
      options,
      requestId: `reprapcloud-${task.id}`
    }, this.ctx(caller)) as Array<{ id: string }>
    return jobs[0].id
  }

  /** The uploaded --load= config, checked, as a blob of only the settings that passed. */
  private async settingsFile (hash: string, size: number): Promise<{ hash: string, size: number }> {
    if (size > MAX_SLICER_SETTINGS_BYTES) throw new RelayRequestError('prearg', `the --load= config is larger than ${MAX_SLICER_SETTINGS_BYTES} bytes`)
    const chunks: Uint8Array[] = []
    for await (const chunk of this.init.blobStore.read(hash)) chunks.push(chunk)
    const checked = checkSlicerSettings(Buffer.concat(chunks).toString('utf8'))
    return this.init.blobStore.write(contentOf(checked.ini))
  }

  private printerOn (device: string): string {
    const printers = this.init.printerPorts()
    const printer = printers.find(p => p.port === device)
    if (printer == null) throw new RelayRequestError('arg0', `no printer on ${device} here${printers.length === 0 ? ' (this node has none)' : ` (its printers: ${printers.map(p => `${p.name} on ${p.port}`).join(', ')})`}`)
    return printer.name
  }

  private follow (task: TaskRecord): void {
    const following = this.watch(task).then(async ended => this.end(ended), async (err: any) => {
      if (this.stopping.signal.aborted) return task
      log.error('following task %s failed %e', task.id, err)
      return this.end({ ...task, status: 'failed', error: String(err?.message ?? err) })
    }).finally(() => { this.following.delete(task.id) })
    this.following.set(task.id, following)
  }

  /** Waits for the task's job to end, then reads what the relay's record needs from it. */
  private async watch (task: TaskRecord): Promise<TaskRecord> {
    const { methods, caller } = this.init
    const id = task.job as string
    await methods.call('watch', { ids: [id], progress: false }, this.ctx(caller))
    if (this.stopping.signal.aborted) throw new Error('stopping')
    const job = await methods.call('job', { id }, this.ctx(caller)) as JobView
    const last = job.stages.at(-1)
    const ended: TaskRecord = {
      ...task,
      status: job.state === 'done' ? 'complete' : 'failed',
      etime: job.updatedAt / 1000,
      server: last?.peerName ?? task.server,
      cmd: last?.command?.join(' ') ?? task.cmd
    }
    if (job.state !== 'done') return { ...ended, error: job.error ?? `the job was ${job.state}` }
    if (task.out == null) return ended
    const output = await methods.call('output', { id }, this.ctx(caller)) as { hash: string, size: number }
    if (output.size === 0) return { ...ended, status: 'failed', error: 'empty output file', sizeOut: 0 }
    return { ...ended, outputHash: output.hash, sizeOut: output.size }
  }

  /** Records the end; then the notifier is called (not awaited: a slow one must not hold the reply). */
  private async end (task: TaskRecord): Promise<TaskRecord> {
    const ended = { ...task, etime: task.etime ?? Date.now() / 1000 }
    await this.init.store.put(ended)
    if (ended.notifier != null) void callNotifier(ended.notifier)
    return ended
  }

  private ctx (caller: Caller): { caller: Caller, signal: AbortSignal, emit: () => void } {
    return { caller, signal: this.stopping.signal, emit: () => {} }
  }
}
