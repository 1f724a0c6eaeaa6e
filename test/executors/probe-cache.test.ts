import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { detectExecutors } from '../../src/capabilities/tools.js'
import { parseToolsConfig } from '../../src/config/service-config.js'

test('a tool\'s version is asked once per binary: a restart reuses it, a changed binary is asked again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'meshnode-probe-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const runs = join(dir, 'runs')
  const tool = join(dir, 'openscad')
  const script = (version: string): string => `#!/bin/sh\necho run >> ${runs}\necho "OpenSCAD version ${version}" >&2\n`
  await writeFile(tool, script('2021.01'))
  await chmod(tool, 0o755)
  const tools = parseToolsConfig({ openscad: tool, prusaSlicer: false, slic3r: false, curaEngine: false, embedded: { openscad: false, cura: false } }, 'tools')
  const cacheFile = join(dir, 'tools.json')
  const versions = async (): Promise<string[]> => (await detectExecutors(tools, [], { cacheFile })).map(e => `${e.tool.name} ${e.tool.version}`)
  const count = async (): Promise<number> => (await readFile(runs, 'utf8')).trim().split('\n').length

  assert.deepEqual(await versions(), ['openscad 2021.01'])
  assert.deepEqual(await versions(), ['openscad 2021.01'])
  assert.equal(await count(), 1, 'the second detection read the cache instead of starting the tool')

  await writeFile(tool, script('2024.12'))
  await utimes(tool, new Date(), new Date(Date.now() + 5000))
  assert.deepEqual(await versions(), ['openscad 2024.12'], 'an upgraded binary is asked again')
  assert.equal(await count(), 2)
})
