import { createHash, randomBytes } from 'node:crypto'
import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isScope, type Scope } from './caller.js'
import { BadRequestError } from './api-errors.js'

export const TOKENS_FILE = 'http-tokens.json'
/** Tokens start with this, so a leaked one is recognisable (and greppable) for what it is. */
const TOKEN_PREFIX = 'mnt_'

export interface TokenInfo {
  name: string
  scope: Scope
  createdAt: number
}

interface StoredToken extends TokenInfo {
  /** sha256 of the token, hex: the token itself is shown once and never written down. */
  hash: string
}

export class TokenNotFoundError extends Error {
  constructor (name: string) {
    super(`no token named ${name}`)
    this.name = 'TokenNotFoundError'
  }
}

/**
 * The HTTP API's tokens: a file in the data dir that only the owner can read (0600), holding each token's
 * name, scope and sha256. A token is 32 random bytes, so its plain hash is as strong as a slow one.
 */
export class TokenStore {
  private readonly path: string
  private tokens: StoredToken[]
  private byHash: Map<string, StoredToken>

  private constructor (path: string, tokens: StoredToken[]) {
    this.path = path
    this.tokens = tokens
    this.byHash = new Map(tokens.map(t => [t.hash, t]))
  }

  static async open (dataDir: string): Promise<TokenStore> {
    const path = join(dataDir, TOKENS_FILE)
    let tokens: StoredToken[] = []
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
      if (Array.isArray(parsed)) tokens = parsed.filter(isStoredToken)
    } catch (err: any) {
      if (err.code !== 'ENOENT') throw new Error(`cannot read the HTTP tokens in ${path}: ${String(err.message)}`, { cause: err })
    }
    return new TokenStore(path, tokens)
  }

  get size (): number {
    return this.tokens.length
  }

  list (): TokenInfo[] {
    return this.tokens.map(({ name, scope, createdAt }) => ({ name, scope, createdAt }))
  }

  /** Makes a token and returns it: the only time it is ever seen. */
  async create (name: string, scope: Scope): Promise<{ name: string, scope: Scope, token: string }> {
    if (this.tokens.some(t => t.name === name)) throw new BadRequestError(`a token named ${name} exists; revoke it first or choose another name`, 'name')
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    await this.save([...this.tokens, { name, scope, createdAt: Date.now(), hash: hashToken(token) }])
    return { name, scope, token }
  }

  async revoke (name: string): Promise<TokenInfo> {
    const found = this.tokens.find(t => t.name === name)
    if (found == null) throw new TokenNotFoundError(name)
    await this.save(this.tokens.filter(t => t !== found))
    return { name: found.name, scope: found.scope, createdAt: found.createdAt }
  }

  /** The token's name and scope, or undefined when it is no token of this node. */
  verify (token: string): TokenInfo | undefined {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return undefined
    const found = this.byHash.get(hashToken(token))
    return found == null ? undefined : { name: found.name, scope: found.scope, createdAt: found.createdAt }
  }

  private async save (tokens: StoredToken[]): Promise<void> {
    const temp = `${this.path}.${process.pid}.tmp`
    await writeFile(temp, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 })
    await chmod(temp, 0o600)
    await rename(temp, this.path)
    this.tokens = tokens
    this.byHash = new Map(tokens.map(t => [t.hash, t]))
  }
}

function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function isStoredToken (value: any): value is StoredToken {
  return typeof value?.name === 'string' && isScope(value.scope) && typeof value.hash === 'string' && typeof value.createdAt === 'number'
}
