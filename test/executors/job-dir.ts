import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../../src/paths.js'
import { TEST_LIMITS } from './confinement.js'
import type { TestContext } from 'node:test'
import type { JobFile, StageRun } from '../../src/executors/executor.js'

export interface TestJob extends StageRun {
  logs: string[]
  progress: number[]
  abort: AbortController
}

/** A fresh job directory holding `files` (name -> contents), removed when the test ends. */
export async function makeJob (t: TestContext, files: Record<string, string | Buffer>, options: Partial<StageRun> = {}): Promise<TestJob> {
  const workDir = await mkdtemp(join(tmpdir(), 'meshnode-exec-'))
  t.after(async () => rm(workDir, { recursive: true, force: true }))
  const placed: JobFile[] = []
  for (const [name, contents] of Object.entries(files)) {
    await writeFile(join(workDir, name), contents)
    placed.push({ name, path: join(workDir, name) })
  }
  const abort = new AbortController()
  const logs: string[] = []
  const progress: number[] = []
  return {
    workDir,
    input: placed[0],
    extraFiles: placed.slice(1),
    params: {},
    signal: abort.signal,
    timeoutMs: 120_000,
    limits: TEST_LIMITS,
    onLog: line => logs.push(line),
    onProgress: percent => progress.push(percent),
    ...options,
    logs,
    progress,
    abort
  }
}

export async function example (name: string): Promise<string> {
  return readFile(join(packageRoot(), 'examples', name), 'utf8')
}

export async function copyExample (name: string, workDir: string): Promise<void> {
  await copyFile(join(packageRoot(), 'examples', name), join(workDir, name))
}

/** Facet count and bounding box of an ASCII STL, or throws if it is not one. */
export function readAsciiStl (text: string): { facets: number, min: number[], max: number[] } {
  if (!text.startsWith('solid')) throw new Error('not an ASCII STL: ' + text.slice(0, 40))
  const min = [Infinity, Infinity, Infinity]
  const max = [-Infinity, -Infinity, -Infinity]
  for (const match of text.matchAll(/vertex\s+(\S+)\s+(\S+)\s+(\S+)/g)) {
    for (let i = 0; i < 3; i++) {
      const v = Number(match[i + 1])
      min[i] = Math.min(min[i], v)
      max[i] = Math.max(max[i], v)
    }
  }
  return { facets: (text.match(/\bfacet normal\b/g) ?? []).length, min, max }
}

/** What a printer host needs from G-code: moves and the hotend temperature commands. */
export function gcodeSummary (text: string): { moves: number, hotend: number[], bed: number[], lines: number } {
  const lines = text.split('\n')
  const temps = (re: RegExp): number[] => lines.flatMap(l => { const m = re.exec(l); return m == null ? [] : [Number(m[1])] })
  return {
    lines: lines.length,
    moves: lines.filter(l => /^G1 /.test(l)).length,
    hotend: temps(/^M10[49] S(\d+)/),
    bed: temps(/^M1[49]0 S(\d+)/)
  }
}
