import type { AdminRoom } from '../../admin/admin-room.js'
import type { MethodTable } from '../method-table.js'

const DEFAULT_LOG_ENTRIES = 100

/** The admin methods: a signed document to judge and spread or to run, the audit log, the fleet's reports. */
export function registerAdminApi (methods: MethodTable, admin: Pick<AdminRoom, 'publish' | 'audit' | 'reports' | 'commands' | 'shareFile'>): void {
  methods.register('admin.publish', async (params) => admin.publish(Buffer.from(params.document, 'base64')))
  methods.register('admin.share', async (params) => admin.shareFile(params.path))
  methods.register('admin.run', async (params, ctx) => admin.commands.run(Buffer.from(params.document, 'base64'), output => { ctx.emit(output) }, ctx.signal))
  methods.register('admin.log', async (params) => admin.audit.recent(params.limit ?? DEFAULT_LOG_ENTRIES))
  methods.register('admin.status', async () => admin.reports.fleet())
}
