import { resolve } from 'node:path'
import { UsageError, type Command } from './command.js'
import { DATA_DIR_FLAG, dataDirOf } from './data-dir.js'
import { entryDetails, entryLine } from './library-view.js'
import { printJson, withDaemon } from './run-action.js'
import type { EntryView } from '../library/entry.js'

interface AddFlags { name?: string, author?: string, tag?: string[], license?: string, source?: string, with?: string[], to?: string, json?: boolean, dataDir?: string }

export const libraryAdd: Command = {
  args: [{ name: '<files...>', help: 'design files (.scad, .stl, .3mf, .gcode), one entry each; the type is read from the content too' }],
  flags: [
    { spec: '--name <name>', help: 'the entry\'s name (one file only; default: the file\'s name)' },
    { spec: '--author <name>', help: 'who made the design' },
    { spec: '--tag <tag>', help: 'a tag, repeatable', repeatable: true },
    { spec: '--license <license>', help: 'e.g. CC-BY-4.0' },
    { spec: '--source <url>', help: 'where the design comes from' },
    { spec: '--with <file>', help: 'a file the design includes (kept with it), repeatable', repeatable: true },
    { spec: '--to <id>', help: 'add the file as a new version of this entry' },
    { spec: '--json', help: 'print JSON' },
    DATA_DIR_FLAG
  ],
  run: async (files: string[], flags: AddFlags) => {
    if (flags.name != null && files.length > 1) throw new UsageError('--name names one file\'s entry; give one file')
    const added: Array<{ outcome: string, entry: EntryView }> = await withDaemon(dataDirOf(flags), async c => c.call('library.add', {
      files: files.map(f => resolve(f)),
      extra: (flags.with ?? []).map(f => resolve(f)),
      name: flags.name,
      author: flags.author,
      tags: flags.tag,
      license: flags.license,
      source: flags.source,
      to: flags.to
    }))
    if (flags.json === true) return printJson(added)
    const said = { new: 'added', version: 'new version of', unchanged: 'already in the library:' }
    for (const { outcome, entry } of added) process.stdout.write(`${said[outcome as keyof typeof said]} ${entryLine(entry)}\n`)
  }
}

export const libraryLs: Command = {
  flags: [
    { spec: '--tag <tag>', help: 'only entries with this tag' },
    { spec: '--author <name>', help: 'only entries by this author' },
    { spec: '--text <words>', help: 'only entries whose name, tags, author, license, source or file names hold every word (or a word that starts with it)' },
    { spec: '--json', help: 'print JSON' },
    DATA_DIR_FLAG
  ],
  run: async (_args, flags: { tag?: string, author?: string, text?: string, json?: boolean, dataDir?: string }) => {
    const entries: EntryView[] = await withDaemon(dataDirOf(flags), async c => c.call('library.ls', { tag: flags.tag, author: flags.author, text: flags.text }))
    if (flags.json === true) return printJson(entries)
    if (entries.length === 0) process.stdout.write('no entries (add some with "meshnode library add FILE")\n')
    for (const entry of entries) process.stdout.write(entryLine(entry) + '\n')
  }
}

export const libraryShow: Command = {
  args: [{ name: '<id>', help: 'the entry\'s id (or its first characters)' }],
  flags: [{ spec: '--json', help: 'print JSON' }, DATA_DIR_FLAG],
  run: async ([id], flags: { json?: boolean, dataDir?: string }) => {
    const entry: EntryView = await withDaemon(dataDirOf(flags), async c => c.call('library.show', { id }))
    if (flags.json === true) return printJson(entry)
    process.stdout.write(entryDetails(entry) + '\n')
  }
}

export const libraryTag: Command = {
  args: [{ name: '<id>', help: 'the entry\'s id' }, { name: '<changes...>', help: '+TAG adds a tag, -TAG removes one' }],
  flags: [DATA_DIR_FLAG],
  dashArgs: true,
  run: async ([id, ...changes], flags: { dataDir?: string }) => {
    const add: string[] = []
    const remove: string[] = []
    for (const change of changes) {
      if (change.startsWith('+')) add.push(change.slice(1))
      else if (change.startsWith('-')) remove.push(change.slice(1))
      else throw new UsageError(`"${change}": write +TAG to add a tag or -TAG to remove one`)
    }
    const entry: EntryView = await withDaemon(dataDirOf(flags), async c => c.call('library.tag', { id, add, remove }))
    process.stdout.write(entryLine(entry) + '\n')
  }
}

export const libraryRm: Command = {
  args: [{ name: '<id>', help: 'the entry\'s id' }],
  flags: [DATA_DIR_FLAG],
  run: async ([id], flags: { dataDir?: string }) => {
    const entry: EntryView = await withDaemon(dataDirOf(flags), async c => c.call('library.rm', { id }))
    process.stdout.write(`removed ${entry.id} ${entry.name} from the library (on every peer, as the removal spreads)\n`)
  }
}

export const libraryGet: Command = {
  args: [{ name: '<id>', help: 'the entry\'s id' }],
  flags: [
    { spec: '-o, --output <file>', help: 'where to write the design file', required: true },
    { spec: '--version <n>', help: 'which version (1 is the first; default: the newest)' },
    DATA_DIR_FLAG
  ],
  run: async ([id], flags: { output: string, version?: string, dataDir?: string }) => {
    const version = flags.version == null ? undefined : Number(flags.version)
    if (version != null && (!Number.isInteger(version) || version < 1)) throw new UsageError(`--version takes a version number from 1, not "${flags.version ?? ''}"`)
    const got = await withDaemon(dataDirOf(flags), async c => c.call('library.get', { id, out: resolve(flags.output), version }))
    process.stdout.write(`wrote ${String(got.path)}: ${String(got.name)}, version ${String(got.version)}, ${String(got.size)} bytes, sha256 ${String(got.hash)}\n`)
  }
}
