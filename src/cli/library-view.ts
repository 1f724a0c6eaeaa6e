import type { EntryView } from '../library/entry.js'

/** One line of `library ls`: id, name, author, tags, versions. */
export function entryLine (entry: EntryView): string {
  const tags = entry.tags.length > 0 ? `  [${entry.tags.join(', ')}]` : ''
  const author = entry.author !== '' ? ` by ${entry.author}` : ''
  return `${entry.id}  ${entry.name}${author}${tags}  v${entry.versions.length}`
}

/** `library show`: every field, each version's files and the peers keeping them, the outputs. */
export function entryDetails (entry: EntryView): string {
  const lines = [
    `${entry.id}  ${entry.name}${entry.removed ? '  (removed)' : ''}`,
    `  author     ${entry.author || '-'}`,
    `  license    ${entry.license || '-'}`,
    `  source     ${entry.source || '-'}`,
    `  tags       ${entry.tags.join(', ') || '-'}`,
    `  added      ${new Date(entry.created).toISOString()}`
  ]
  for (const version of entry.versions) {
    lines.push(`  version ${version.number}  ${new Date(version.at).toISOString()}`)
    for (const file of version.files) lines.push(`    ${file.name}  ${file.size} bytes  ${file.hash.slice(0, 12)}  kept on ${(entry.holders[file.hash] ?? []).length} peer(s)`)
  }
  for (const output of entry.outputs) {
    const made = output.file != null ? `${output.file.name} (${output.file.size} bytes)` : output.state
    const params = Object.entries(output.params).map(([k, v]) => `${k}=${v}`).join(' ')
    const kept = output.file != null ? `  kept on ${(entry.holders[output.file.hash] ?? []).length} peer(s)` : ''
    lines.push(`  output     ${output.kind}: ${made}  job ${output.job}${output.profile != null ? `  profile ${output.profile}` : ''}${params !== '' ? `  ${params}` : ''}${kept}`)
  }
  return lines.join('\n')
}
