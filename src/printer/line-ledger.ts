import { ResendOutOfHistoryError, TooManyResendsError } from './errors.js'

/** A line the firmware owes us an answer for. `lineNumber` is null for an unnumbered command. */
export interface OwedLine<Meta> {
  lineNumber: number | null
  /** False once a resend request showed the firmware dropped it: its `ok` then acknowledges nothing. */
  valid: boolean
  meta?: Meta
}

/**
 * The bookkeeping of a numbered G-code stream: which lines await an `ok`, which the firmware wants again,
 * and the highest line it has certainly executed. It never touches the link, so every rule is testable alone.
 *
 * Answers come back in the order lines were sent, so each `ok` pays for the oldest owed line.
 * Firmware executes a numbered line only if it is the one after the last it executed, so resending is
 * always safe; what this class prevents is losing a line and resend storms.
 */
export class LineLedger<Meta> {
  private readonly history = new Map<number, { command: string, meta?: Meta }>()
  private owed: Array<OwedLine<Meta>> = []
  private lastSentNumber = 0
  private next = 1
  private acknowledgedThrough = 0
  private resendLine = -1
  private resendsInARow = 0

  constructor (private readonly historySize = 256, private readonly maxResends = 10) {}

  /** After `M110 N0`: numbering starts again at 1. */
  reset (): void {
    this.history.clear()
    this.owed = []
    this.lastSentNumber = 0
    this.next = 1
    this.acknowledgedThrough = 0
    this.resendLine = -1
    this.resendsInARow = 0
  }

  get inFlight (): number { return this.owed.length }
  get acknowledged (): number { return this.acknowledgedThrough }
  get lastSent (): number { return this.lastSentNumber }

  /** The line the firmware asked for again, if a resend is still being worked through. */
  pendingResend (): { lineNumber: number, command: string, meta?: Meta } | null {
    if (this.next > this.lastSentNumber) return null
    const entry = this.history.get(this.next)
    if (entry === undefined) throw new ResendOutOfHistoryError(this.next)
    return { lineNumber: this.next, ...entry }
  }

  /** Records a numbered line as written; returns its number. Resends pass the number they repeat. */
  sendNumbered (command: string, meta?: Meta): number {
    const lineNumber = this.next++
    if (lineNumber > this.lastSentNumber) {
      this.lastSentNumber = lineNumber
      this.history.set(lineNumber, { command, meta })
      this.history.delete(lineNumber - this.historySize)
    }
    this.owed.push({ lineNumber, valid: true, meta })
    return lineNumber
  }

  sendPlain (meta?: Meta): OwedLine<Meta> {
    const owed: OwedLine<Meta> = { lineNumber: null, valid: true, meta }
    this.owed.push(owed)
    return owed
  }

  /** The oldest owed line, whose answer the next lines from the firmware belong to. */
  head (): OwedLine<Meta> | undefined { return this.owed[0] }

  /** An `ok`: returns the owed line it paid for, or undefined for an `ok` nobody was waiting for. */
  ok (): OwedLine<Meta> | undefined {
    const paid = this.owed.shift()
    if (paid?.valid === true && paid.lineNumber !== null && paid.lineNumber > this.acknowledgedThrough) {
      this.acknowledgedThrough = paid.lineNumber
      if (this.acknowledgedThrough >= this.resendLine) this.resendsInARow = 0
    }
    return paid
  }

  /**
   * `Resend: N`. Every line before N was executed. Returns 'stale' for the duplicate requests that lines
   * already in flight draw after the first one (they are ignored), 'rewound' when the stream goes back to N.
   */
  resend (lineNumber: number): 'stale' | 'rewound' {
    const head = this.owed[0]
    if (head !== undefined && !head.valid && head.lineNumber !== null) return 'stale'
    if (lineNumber < 1 || lineNumber > this.lastSentNumber + 1 || (lineNumber <= this.lastSentNumber && !this.history.has(lineNumber))) {
      throw new ResendOutOfHistoryError(lineNumber)
    }
    if (lineNumber === this.resendLine) this.resendsInARow++
    else {
      this.resendLine = lineNumber
      this.resendsInARow = 1
    }
    if (this.resendsInARow > this.maxResends) throw new TooManyResendsError(lineNumber, this.resendsInARow - 1)
    for (const owed of this.owed) if (owed.lineNumber !== null) owed.valid = false
    this.acknowledgedThrough = Math.max(this.acknowledgedThrough, lineNumber - 1)
    this.next = lineNumber
    return 'rewound'
  }

  /**
   * The firmware went quiet with lines owed: their answers are presumed lost. The stream goes back to the
   * first line not known executed; the firmware's line check turns any repeat into a harmless resend request.
   */
  probe (): void {
    this.owed = []
    this.next = Math.min(this.next, this.acknowledgedThrough + 1)
  }

  metaOf (lineNumber: number): Meta | undefined { return this.history.get(lineNumber)?.meta }
}
