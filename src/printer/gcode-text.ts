/**
 * The command part of one G-code file line: `;` comments, `(...)` comments and surrounding whitespace removed.
 * An empty string means there is nothing to send.
 */
export function gcodeCommand (rawLine: string): string {
  let text = rawLine
  const semicolon = text.indexOf(';')
  if (semicolon >= 0) text = text.slice(0, semicolon)
  if (text.includes('(')) text = text.replace(/\([^)]*\)/g, '')
  // A `*` in a file line would be read by the firmware as the start of our checksum.
  if (text.includes('*')) text = text.slice(0, text.indexOf('*'))
  return text.trim()
}
