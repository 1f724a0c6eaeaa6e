import { ControlClient } from '../../src/api/control-client.js'
import type { MeshNode } from '../../src/node/mesh-node.js'
import type { TestContext } from 'node:test'

/** An HTTP answer read whole: status, headers and the body as JSON (or text when it is not JSON). */
export interface HttpAnswer {
  status: number
  headers: Headers
  body: any
}

/** The base URL of a peer's HTTP API, as it reported it. */
export function httpUrl (node: MeshNode): string {
  if (node.http == null) throw new Error(`${node.config.name} has no HTTP API`)
  return node.http.url
}

/** One request with fetch (bounded); never throws on an error status. */
export async function request (url: string, init: RequestInit & { token?: string } = {}): Promise<HttpAnswer> {
  const headers = new Headers(init.headers)
  if (init.token != null) headers.set('authorization', `Bearer ${init.token}`)
  const response = await fetch(url, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(30_000) })
  const text = await response.text()
  let body: any = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, body }
}

/** The owner's control client on a peer's unix socket, closed after the test. */
export async function ownerClient (t: TestContext, node: MeshNode): Promise<ControlClient> {
  const client = await ControlClient.connect(node.config.dataDir)
  t.after(() => { client.close() })
  return client
}

/** Makes a token through the owner's socket, as `meshnode token create` does. */
export async function makeToken (t: TestContext, node: MeshNode, name: string, scope: 'read' | 'submit' | 'operator'): Promise<string> {
  const client = await ownerClient(t, node)
  const made: { token: string } = await client.call('token.create', { name, scope })
  return made.token
}
