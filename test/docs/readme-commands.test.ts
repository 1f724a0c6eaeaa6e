import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { COMMANDS } from '../../src/cli/commands.js'
import { packageRoot } from '../../src/paths.js'

const README = readFileSync(join(packageRoot(), 'README.md'), 'utf8')

/** The code in a markdown text: fenced blocks, indented blocks and inline spans, with the line each starts on. */
function codeOf (text: string): Array<{ line: number, code: string }> {
  const found: Array<{ line: number, code: string }> = []
  let fenced = false
  text.split('\n').forEach((line, i) => {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced
      return
    }
    if (fenced || /^ {4,}\S/.test(line)) found.push({ line: i + 1, code: line })
    else for (const span of line.matchAll(/`([^`]+)`/g)) found.push({ line: i + 1, code: span[1] })
  })
  return found
}

test('every README command line runs meshnode through npx', () => {
  const words = [...new Set(COMMANDS.map(c => c.name.split(' ')[0])), 'help', '<command>']
  const command = new RegExp(`(^|[^\\w/:.-])(npx )?meshnode (${words.join('|')})(?![\\w-])`, 'g')
  const code = codeOf(README)
  const bare = code.flatMap(({ line, code }) => [...code.matchAll(command)].filter(m => m[2] == null).map(() => `line ${line}: ${code.trim()}`))
  assert.deepEqual(bare, [], 'these run "meshnode" where only "npx meshnode" works after npm ci')
  const uses = code.filter(({ code }) => [...code.matchAll(command)].length > 0).length
  assert.ok(uses >= 20, `the check found the README's commands (${uses} code pieces)`)
})

test('npx meshnode works in the checkout after the build, from a folder inside it, without asking the registry', () => {
  const run = spawnSync('npx', ['--offline', '--no-install', 'meshnode', '--version'], { cwd: join(packageRoot(), 'examples'), encoding: 'utf8', timeout: 60_000 })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version)
})
