import { OWNER } from '../../src/api/caller.js'
import type { EntryView } from '../../src/library/entry.js'
import type { MeshNode } from '../../src/node/mesh-node.js'

/** Calls a method of a peer as its owner would over the unix socket. */
export async function call<T = any> (node: MeshNode, method: string, params: unknown = {}): Promise<T> {
  return node.api.call(method, params, { caller: OWNER, emit: () => {}, signal: new AbortController().signal }) as Promise<T>
}

export async function ls (node: MeshNode, query: { tag?: string, author?: string, text?: string } = {}): Promise<EntryView[]> {
  return call<EntryView[]>(node, 'library.ls', query)
}
