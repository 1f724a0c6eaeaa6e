/** A failure the virtual printer stages on request. Line numbers are the host's `N` numbers. */
export type VirtualFault =
  | { kind: 'resend', ratio: number }
  | { kind: 'checksum', line: number }
  | { kind: 'no-line-number', line: number }
  | { kind: 'silence', line: number, seconds: number }
  | { kind: 'disconnect', line: number }

export class FaultSpecError extends Error {
  constructor (readonly spec: string, detail: string) {
    super(`bad fault spec "${spec}": ${detail}`)
    this.name = 'FaultSpecError'
  }
}

/** The fault syntax of `meshnode virtual-printer --fault` and of a virtual printer's config. */
export const FAULT_SYNTAX = [
  'resend:RATIO            answer a random RATIO (0..1) of numbered lines with a checksum error (seeded)',
  'checksum:N              answer line N with a checksum mismatch the first time it arrives',
  'no-line-number:N        treat line N as if its N word were lost, the first time it arrives',
  'silence:N:SECONDS       run line N but lose its ok and ignore all input for SECONDS',
  'disconnect:N            drop the link when line N arrives (the line is not run)'
].join('\n')

export function parseFaultSpec (spec: string): VirtualFault {
  const [kind, ...args] = spec.trim().split(':')
  const lineArg = (value: string | undefined): number => {
    if (value === undefined || !/^\d{1,9}$/.test(value) || Number(value) < 1) throw new FaultSpecError(spec, 'expected a line number >= 1')
    return Number(value)
  }
  const arity = (n: number): void => {
    if (args.length !== n) throw new FaultSpecError(spec, `"${kind}" takes ${n} argument(s)`)
  }
  switch (kind) {
    case 'resend': {
      arity(1)
      const ratio = Number(args[0])
      if (args[0] === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new FaultSpecError(spec, 'expected a ratio between 0 and 1')
      return { kind, ratio }
    }
    case 'checksum':
    case 'no-line-number':
    case 'disconnect':
      arity(1)
      return { kind, line: lineArg(args[0]) }
    case 'silence': {
      arity(2)
      const seconds = Number(args[1])
      if (args[1] === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new FaultSpecError(spec, 'expected seconds between 0 and 3600')
      return { kind, line: lineArg(args[0]), seconds }
    }
    default:
      throw new FaultSpecError(spec, 'unknown fault; one of resend, checksum, no-line-number, silence, disconnect')
  }
}
