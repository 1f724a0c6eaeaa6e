/** Marlin/RepRap line checksum: XOR of every byte of `N<n> <command>`, as the firmware recomputes it. */
export function gcodeChecksum (text: string): number {
  let sum = 0
  for (let i = 0; i < text.length; i++) sum ^= text.charCodeAt(i) & 0xff
  return sum
}

/** The wire form of one numbered line, without the newline. */
export function frameLine (lineNumber: number, command: string): string {
  const body = `N${lineNumber} ${command}`
  return `${body}*${gcodeChecksum(body)}`
}
