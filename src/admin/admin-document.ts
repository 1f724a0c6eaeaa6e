import { verify } from 'node:crypto'
import { AdminDocument, SignedAdminDocument, type AdminTarget } from '../../protocols/admin.js'
import { adminKeyOf, verifyingKey, type AdminSigner } from './admin-key.js'

/** The largest signed document a node takes: a whole node config fits many times over. */
export const MAX_DOCUMENT_BYTES = 64 * 1024
const MAX_TARGETS = 256
export const KINDS = ['config', 'service', 'run', 'update'] as const
export type AdminKind = typeof KINDS[number]

/** A document whose signature, key and expiry were checked, with its body parsed. */
export interface OpenedDocument {
  /** What a newer revision replaces: its kind and target. */
  key: string
  kind: AdminKind
  target: AdminTarget
  revision: number
  issuedAt: number
  expiresAt: number
  body: unknown
  /** The key that signed it, as trust.admin writes it. */
  admin: string
  /** The signed bytes as received, to store and pass on unchanged. */
  bytes: Uint8Array
}

/** Why a node did not obey a document; the audit log keeps the message. */
export class RefusedDocumentError extends Error {
  override name = 'RefusedDocumentError'
}

export interface NewDocument {
  kind: AdminKind
  target: AdminTarget
  revision: number
  expiresAt: number
  body: unknown
}

/** Encodes and signs a document on the operator's machine. */
export function sealDocument (doc: NewDocument, signer: AdminSigner, now = Date.now()): Uint8Array {
  const document = AdminDocument.encode({
    kind: doc.kind,
    target: doc.target,
    revision: doc.revision,
    issuedAt: now,
    expiresAt: doc.expiresAt,
    body: new TextEncoder().encode(JSON.stringify(doc.body))
  })
  return SignedAdminDocument.encode({ document, publicKey: new Uint8Array(signer.publicKey), signature: new Uint8Array(signer.sign(document)) })
}

/**
 * Decodes a signed document and checks it before anything reads its payload: signed, by a key in `trusted`
 * (trust.admin), over these very bytes, not expired. Every failure is a RefusedDocumentError saying why.
 */
export function openDocument (bytes: Uint8Array, trusted: readonly string[], now = Date.now()): OpenedDocument {
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) throw new RefusedDocumentError(`a document of ${bytes.byteLength} bytes is over the limit of ${MAX_DOCUMENT_BYTES}`)
  let signed: SignedAdminDocument
  try {
    signed = SignedAdminDocument.decode(bytes, { limits: {} })
  } catch (err: any) {
    throw new RefusedDocumentError(`malformed document: ${err.message}`)
  }
  // One encoding only: bytes that decode to the same document some other way (a changed wire type, a field twice)
  // are not what the admin sent.
  if (!Buffer.from(SignedAdminDocument.encode(signed)).equals(bytes)) throw new RefusedDocumentError('malformed document: not in canonical encoding')
  if (signed.signature.byteLength === 0) throw new RefusedDocumentError('unsigned document')
  if (signed.publicKey.byteLength !== 32) throw new RefusedDocumentError('the document names no Ed25519 admin key')
  const admin = adminKeyOf(signed.publicKey)
  if (!trusted.includes(admin)) throw new RefusedDocumentError(`signed by ${admin}, which this node's trust.admin does not list`)
  let valid = false
  try {
    valid = verify(null, signed.document, verifyingKey(signed.publicKey), signed.signature)
  } catch {
    // a signature of the wrong length throws instead of failing to verify
  }
  if (!valid) throw new RefusedDocumentError(`bad signature (claimed by ${admin})`)
  let doc: AdminDocument
  try {
    doc = AdminDocument.decode(signed.document, { limits: { target: { names: MAX_TARGETS } } })
  } catch (err: any) {
    throw new RefusedDocumentError(`malformed document: ${err.message}`)
  }
  if (!(KINDS as readonly string[]).includes(doc.kind)) throw new RefusedDocumentError(`unknown kind "${doc.kind.slice(0, 40)}"`)
  const target = doc.target ?? { all: false, names: [] }
  if (!target.all && target.names.length === 0) throw new RefusedDocumentError('the document targets no node')
  if (!Number.isSafeInteger(doc.revision) || doc.revision <= 0) throw new RefusedDocumentError('the document has no revision')
  if (!(doc.expiresAt > now)) throw new RefusedDocumentError(`expired at ${new Date(doc.expiresAt).toISOString()}`)
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(doc.body))
  } catch (err: any) {
    throw new RefusedDocumentError(`the body is not JSON: ${err.message}`)
  }
  const kind = doc.kind as AdminKind
  const service = kind === 'service' ? (body as { service?: { name?: unknown } } | null)?.service?.name : undefined
  if (kind === 'service' && (typeof service !== 'string' || service.length > 40)) throw new RefusedDocumentError('a service document names no service')
  return { key: documentKey(kind, target, service as string | undefined), kind, target, revision: doc.revision, issuedAt: doc.issuedAt, expiresAt: doc.expiresAt, body, admin, bytes }
}

/**
 * One key per kind (and service) and target: `config:slicers`, `config:all`, `service/pov:render`. A newer
 * revision of a key replaces the older.
 */
export function documentKey (kind: string, target: AdminTarget, service?: string): string {
  return `${kind}${service != null ? `/${service}` : ''}:${target.all ? 'all' : [...target.names].sort().join(',')}`
}

/** Whether the target means a node of this name and these tags. */
export function targets (target: AdminTarget, node: { name: string, tags: readonly string[] }): boolean {
  return target.all || target.names.some(n => n === node.name || node.tags.includes(n))
}

/** `--to slicers,ws1`: node names or tags, separated by commas, or `all`. */
export function parseTarget (to: string): AdminTarget {
  const names = to.split(',').map(w => w.trim()).filter(w => w !== '')
  if (names.length === 0) throw new Error('--to names no node: give node names or tags separated by commas, or "all"')
  return names.includes('all') ? { all: true, names: [] } : { all: false, names }
}
