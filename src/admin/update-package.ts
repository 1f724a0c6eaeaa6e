import { lstat, mkdir, open, readFile, rename, rm, symlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'

/** The largest package (the .tgz) a node takes: the built meshnode is a few MiB. */
export const MAX_PACKAGE_BYTES = 256 * 1024 ** 2
export const MAX_UNPACKED_BYTES = 1024 ** 3
export const MAX_ENTRIES = 100_000
/** Where a package's program is, inside it. */
export const PACKAGE_BIN = join('dist', 'src', 'bin', 'meshnode.js')
const BLOCK = 512
const MAX_NAME = 1024
/** A pax header or GNU long name: a name and a few fields. */
const MAX_META_BYTES = 64 * 1024
const MAX_MANIFEST_BYTES = 256 * 1024

/** A package this node will not install; the message says which entry and why. */
export class BadPackageError extends Error {
  override name = 'BadPackageError'
}

export interface UnpackLimits { maxUnpackedBytes: number, maxEntries: number }
const LIMITS: UnpackLimits = { maxUnpackedBytes: MAX_UNPACKED_BYTES, maxEntries: MAX_ENTRIES }

interface TarVisitor {
  dir(path: string): Promise<void>
  file(path: string, mode: number, size: number, body: AsyncIterable<Buffer>): Promise<void>
}

/**
 * Unpacks an npm package (a gzipped tar of `package/...`) into `dir`, a new directory: only plain files and
 * directories, every path inside `dir`. Links, devices, an entry outside package/ or with `..`, and an archive
 * over the limits are refused before anything is written for that entry; `dir` is removed on any failure.
 */
export async function unpackPackage (source: AsyncIterable<Uint8Array>, dir: string, limits = LIMITS): Promise<{ files: number, bytes: number }> {
  const root = resolve(dir)
  await mkdir(dirname(root), { recursive: true })
  await mkdir(root)
  let files = 0
  let bytes = 0
  try {
    await readPackage(source, limits, {
      dir: async path => { await mkdir(inside(root, path), { recursive: true }) },
      file: async (path, mode, size, body) => {
        const target = inside(root, path)
        await mkdir(dirname(target), { recursive: true })
        // wx: an entry twice, or one that would land on a directory, is refused rather than followed.
        const handle = await open(target, 'wx', (mode & 0o111) !== 0 ? 0o755 : 0o644)
        try {
          for await (const chunk of body) await handle.write(chunk)
        } finally {
          await handle.close()
        }
        files++
        bytes += size
      }
    })
  } catch (err: any) {
    await rm(root, { recursive: true, force: true })
    if (err.code === 'EEXIST') throw new BadPackageError(`an entry is in the package twice: ${String(err.path)}`)
    if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') throw new BadPackageError(`not a gzipped tar: ${String(err.message)}`)
    throw err
  }
  return { files, bytes }
}

/** The package.json of a package, read from its archive without unpacking it. */
export async function readManifest (source: AsyncIterable<Uint8Array>): Promise<{ name?: unknown, version?: unknown }> {
  let manifest: Buffer | undefined
  await readPackage(source, LIMITS, {
    dir: async () => {},
    file: async (path, _mode, size, body) => {
      const chunks: Buffer[] = []
      for await (const chunk of body) if (path === 'package.json' && size <= MAX_MANIFEST_BYTES) chunks.push(chunk)
      if (path === 'package.json') manifest = Buffer.concat(chunks)
    }
  }).catch((err: any) => {
    throw err.code?.startsWith('Z_') === true ? new BadPackageError(`not a gzipped tar: ${String(err.message)}`) : err
  })
  if (manifest == null) throw new BadPackageError('the package has no package.json (make it with "npm pack")')
  try {
    return JSON.parse(manifest.toString('utf8'))
  } catch {
    throw new BadPackageError('the package\'s package.json is not JSON')
  }
}

/**
 * Checks an unpacked package is this version of meshnode with its program built, and gives it the dependencies of
 * the running install when it brings none (an update that changes dependencies bundles them).
 */
export async function preparePackage (dir: string, version: string, installRoot: string): Promise<void> {
  let manifest: { name?: unknown, version?: unknown }
  try {
    manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
  } catch {
    throw new BadPackageError('the package has no readable package.json')
  }
  if (manifest.name !== 'meshnode') throw new BadPackageError(`the package is "${String(manifest.name).slice(0, 60)}", not meshnode`)
  if (manifest.version !== version) throw new BadPackageError(`the package is version ${String(manifest.version).slice(0, 40)}, not the ${version} the document names`)
  const bin = await lstat(join(dir, PACKAGE_BIN)).catch(() => undefined)
  if (bin?.isFile() !== true) throw new BadPackageError(`the package has no ${PACKAGE_BIN}: build it (npm run build) before packing`)
  if (await lstat(join(dir, 'node_modules')).catch(() => undefined) == null) await symlink(join(installRoot, 'node_modules'), join(dir, 'node_modules'))
}

/** Unpacks beside, then moves into place: a half-written version is never under its own name. */
export async function installPackage (source: AsyncIterable<Uint8Array>, dir: string, version: string, installRoot: string): Promise<void> {
  const unpacking = `${dir}.unpacking`
  await rm(unpacking, { recursive: true, force: true })
  await unpackPackage(source, unpacking)
  try {
    await preparePackage(unpacking, version, installRoot)
    await rm(dir, { recursive: true, force: true })
    await rename(unpacking, dir)
  } catch (err) {
    await rm(unpacking, { recursive: true, force: true })
    throw err
  }
}

/** The entry's path below `package/`, refused when it could land anywhere but inside the package's folder. */
export function entryPath (name: string): string {
  if (name.length > MAX_NAME) throw new BadPackageError(`an entry's name is over ${MAX_NAME} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(name)) throw new BadPackageError(`entry ${JSON.stringify(name.slice(0, 100))}: control characters or a backslash in its name`)
  const parts = name.split('/')
  if (parts[0] !== 'package') throw new BadPackageError(`entry ${JSON.stringify(name.slice(0, 100))} is not under package/ (the layout of "npm pack")`)
  const rest = parts.slice(1).filter(p => p !== '')
  if (rest.some(p => p === '..' || p === '.')) throw new BadPackageError(`entry ${JSON.stringify(name.slice(0, 100))} escapes the package's folder`)
  return rest.join('/')
}

function inside (root: string, path: string): string {
  const target = resolve(root, path)
  if (target !== root && !target.startsWith(root + sep)) throw new BadPackageError(`entry ${path.slice(0, 100)} escapes the package's folder`)
  return target
}

async function readPackage (source: AsyncIterable<Uint8Array>, limits: UnpackLimits, visitor: TarVisitor): Promise<void> {
  await pipeline(source, createGunzip(), async (gunzipped: AsyncIterable<Buffer>) => { await readTar(new ByteQueue(gunzipped[Symbol.asyncIterator]()), limits, visitor) })
}

/** A tar stream (ustar, with pax and GNU long names), read entry by entry without holding a file in memory. */
async function readTar (q: ByteQueue, limits: UnpackLimits, visitor: TarVisitor): Promise<void> {
  let longName: string | undefined
  let paxSize: number | undefined
  let total = 0
  for (let entries = 0; ; entries++) {
    if (entries > limits.maxEntries) throw new BadPackageError(`more than ${limits.maxEntries} entries`)
    const header = await q.take(BLOCK)
    if (header == null) throw new BadPackageError('the archive ends without its end block')
    if (header.every(b => b === 0)) return
    checkChecksum(header)
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156])
    const size = paxSize ?? octal(header, 124, 12, 'size')
    const padded = size + (BLOCK - size % BLOCK) % BLOCK
    total += BLOCK + padded
    if (total > limits.maxUnpackedBytes) throw new BadPackageError(`unpacks to more than ${limits.maxUnpackedBytes} bytes`)
    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_META_BYTES) throw new BadPackageError(`a ${type} header of ${size} bytes`)
      const body = await q.take(padded)
      if (body == null) throw new BadPackageError('the archive is cut short')
      if (type === 'L') longName = body.subarray(0, size).toString('utf8').replace(/\0+$/, '')
      if (type === 'x') {
        const pax = readPax(body.subarray(0, size))
        longName = pax.path ?? longName
        paxSize = pax.size
      }
      continue
    }
    const name = longName ?? ustarName(header)
    longName = undefined
    paxSize = undefined
    const path = entryPath(name)
    if (type === '5') {
      await q.skip(padded)
      await visitor.dir(path)
    } else if (type === '0' || type === '7') {
      if (path === '') throw new BadPackageError('a file where the package\'s folder should be')
      // What the visitor leaves unread is skipped, so the next header is found wherever it stopped.
      const end = q.offset + padded
      await visitor.file(path, octal(header, 100, 8, 'mode'), size, q.exactly(size))
      await q.skip(end - q.offset)
    } else {
      throw new BadPackageError(`entry ${JSON.stringify(name.slice(0, 100))} is a ${KINDS[type] ?? `type ${JSON.stringify(type)} entry`}: a package holds only files and folders`)
    }
  }
}

const KINDS: Record<string, string> = { 1: 'hard link', 2: 'symbolic link', 3: 'character device', 4: 'block device', 6: 'named pipe', K: 'long link name' }

function ustarName (header: Buffer): string {
  const name = cString(header, 0, 100)
  const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header, 345, 155) : ''
  return prefix !== '' ? `${prefix}/${name}` : name
}

function cString (buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length)
  const end = field.indexOf(0)
  return field.subarray(0, end < 0 ? length : end).toString('utf8')
}

function octal (header: Buffer, start: number, length: number, what: string): number {
  const text = header.subarray(start, start + length).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '')
  if (!/^[0-7]{0,12}$/.test(text)) throw new BadPackageError(`an entry's ${what} is not an octal number`)
  return text === '' ? 0 : parseInt(text, 8)
}

function checkChecksum (header: Buffer): void {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]
  if (octal(header, 148, 8, 'checksum') !== sum) throw new BadPackageError('a tar header\'s checksum does not match: not a tar, or damaged')
}

/** The `path` and `size` of a pax extended header ("LEN key=value\n" records). */
function readPax (body: Buffer): { path?: string, size?: number } {
  const out: { path?: string, size?: number } = {}
  let pos = 0
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos)
    const length = Number(body.subarray(pos, space).toString('latin1'))
    if (space < 0 || !Number.isSafeInteger(length) || length <= space - pos || pos + length > body.length) throw new BadPackageError('a malformed pax header')
    const record = body.subarray(space + 1, pos + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    const key = record.slice(0, eq)
    const value = record.slice(eq + 1)
    if (key === 'path') out.path = value
    if (key === 'size') {
      if (!/^\d{1,15}$/.test(value)) throw new BadPackageError('a pax size that is not a number')
      out.size = Number(value)
    }
    pos += length
  }
  return out
}

/** Bytes from an async source, taken a block at a time or streamed on. */
class ByteQueue {
  private buffered: Buffer = Buffer.alloc(0)
  /** Bytes taken so far. */
  offset = 0
  private readonly source: AsyncIterator<Buffer>

  constructor (source: AsyncIterator<Buffer>) {
    this.source = source
  }

  /** Exactly n bytes, or undefined when the source ends first. */
  async take (n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = []
    let have = 0
    for await (const chunk of this.stream(n)) {
      parts.push(chunk)
      have += chunk.length
    }
    return have === n ? Buffer.concat(parts) : undefined
  }

  async skip (n: number): Promise<void> {
    if (await this.take(n) == null) throw new BadPackageError('the archive is cut short')
  }

  /** n bytes as they come; an archive that ends first is cut short. */
  async * exactly (n: number): AsyncGenerator<Buffer> {
    let have = 0
    for await (const chunk of this.stream(n)) {
      have += chunk.length
      yield chunk
    }
    if (have < n) throw new BadPackageError('the archive is cut short')
  }

  /** Up to n bytes as they come; the caller checks it got them all. */
  private async * stream (n: number): AsyncGenerator<Buffer> {
    let left = n
    while (left > 0) {
      if (this.buffered.length === 0) {
        const next = await this.source.next()
        if (next.done === true) return
        this.buffered = next.value
        continue
      }
      const piece = this.buffered.subarray(0, left)
      this.buffered = this.buffered.subarray(piece.length)
      left -= piece.length
      this.offset += piece.length
      yield piece
    }
  }
}
