import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { GcodeFacts } from '../../protocols/market.js'

export type { GcodeFacts }

/** The header comments of PrusaSlicer, SuperSlicer, Orca and Cura fit here; past it come the moves. */
export const HEAD_BYTES = 64 * 1024
/** PrusaSlicer, SuperSlicer and Orca write their settings after the last move. */
export const TAIL_BYTES = 64 * 1024
/** Past this, the moves are not streamed (a scan of some seconds): the extents come from header comments, if any. */
export const MAX_MOVE_SCAN_BYTES = 512 * 1024 * 1024
/** A longer line is no move and no setting a printer needs (a thumbnail, a settings blob): it is skipped. */
export const MAX_LINE_CHARS = 4096

export const NOZZLE_RANGE_MM = [0.05, 5] as const
export const TEMPERATURE_RANGE_C = [0, 500] as const
export const MAX_EXTENT_MM = 10000
/** A material or printer model as slicers write them: "PETG", "PLA+", "Original Prusa MK3S", "Ultimaker S5". */
export const FACT_NAME = /^[A-Za-z0-9][A-Za-z0-9 +._-]{0,63}$/

/** Unknown facts are 0 or "": a G-code that says nothing asks nothing of the printer. */
export const NO_FACTS: GcodeFacts = { nozzleMm: 0, material: '', extentXMm: 0, extentYMm: 0, extentZMm: 0, hotendC: 0, bedC: 0, printerModel: '' }

/** A G-code file as bytes from an offset on: a file on disk, or a blob of the store. */
export interface GcodeSource {
  size: number
  read: (offset: number) => AsyncIterable<Uint8Array>
}

export function fileSource (path: string, size: number): GcodeSource {
  return { size, read: (offset) => createReadStream(path, { start: offset, highWaterMark: 64 * 1024 }) }
}

export function isGcode (name: string): boolean {
  return /\.(gcode|gco|g)$/i.test(name)
}

export async function readGcodeFileFacts (path: string): Promise<GcodeFacts> {
  return await readGcodeFacts(fileSource(path, (await stat(path)).size))
}

/**
 * What a G-code asks of its printer, as its slicer wrote it in header and trailer comments and as its moves
 * show: only the first and last `HEAD_BYTES`/`TAIL_BYTES` are read for comments, the moves are streamed for
 * the extents, and nothing is held beyond one line. Never throws for any content.
 */
export async function readGcodeFacts (source: GcodeSource): Promise<GcodeFacts> {
  const settings = new Map<string, string>()
  const moves = new MoveExtents()
  const tailStart = Math.max(0, source.size - TAIL_BYTES)
  const scanMoves = source.size <= MAX_MOVE_SCAN_BYTES
  const onLine = (line: string, at: number): void => {
    if (at < HEAD_BYTES || at >= tailStart) readSetting(line, settings)
    if (scanMoves) moves.add(line)
  }
  if (scanMoves) {
    await forEachLine(source, 0, source.size, onLine)
  } else {
    await forEachLine(source, 0, HEAD_BYTES, onLine)
    await forEachLine(source, tailStart, source.size, onLine)
  }
  return factsFrom(settings, scanMoves ? moves : null)
}

/** Calls `onLine` with each whole line that starts in [from, to) and its byte offset; lines are cut at MAX_LINE_CHARS. */
async function forEachLine (source: GcodeSource, from: number, to: number, onLine: (line: string, at: number) => void): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: false })
  let line = ''
  let overlong = false
  // A tail is read from the byte before it: the line it starts in is skipped up to its newline, which is that
  // very byte when the tail starts at a line.
  const start = Math.max(0, from - 1)
  let lineStart = start
  let offset = start
  let skipping = from > 0
  for await (const chunk of source.read(start)) {
    let pieceStart = 0
    for (let i = 0; i <= chunk.length; i++) {
      if (i < chunk.length && chunk[i] !== 10) continue
      // Decoded even when skipped, so a character cut between chunks never spills into the next line.
      const text = decoder.decode(chunk.subarray(pieceStart, i), { stream: i === chunk.length })
      if (!skipping && !overlong) {
        line += text
        if (line.length > MAX_LINE_CHARS) { line = ''; overlong = true }
      }
      if (i === chunk.length) break
      if (!skipping && !overlong) onLine(line, lineStart)
      skipping = false
      overlong = false
      line = ''
      lineStart = offset + i + 1
      if (lineStart >= to) return
      pieceStart = i + 1
    }
    offset += chunk.length
  }
  if (!skipping && !overlong && line !== '') onLine(line, lineStart)
}

const PRUSA_SETTING = /^;\s*([A-Za-z0-9_]+)\s*=\s*(.*)$/
const CURA_SETTING = /^;([A-Z0-9_.]+):(.*)$/

/** `; key = value` (PrusaSlicer, SuperSlicer, Orca) or `;KEY:value` (Cura); the first value of a key wins. */
function readSetting (line: string, settings: Map<string, string>): void {
  const match = PRUSA_SETTING.exec(line) ?? CURA_SETTING.exec(line)
  if (match === null) return
  const key = match[1].toLowerCase()
  if (!settings.has(key)) settings.set(key, match[2].trim())
}

function factsFrom (settings: Map<string, string>, moves: MoveExtents | null): GcodeFacts {
  const first = (...keys: string[]): string | undefined => keys.map(k => settings.get(k)).find(v => v !== undefined && v !== '')
  const facts: GcodeFacts = { ...NO_FACTS }
  facts.nozzleMm = inRange(firstNumber(first('nozzle_diameter', 'extruder_train.0.nozzle.diameter')), NOZZLE_RANGE_MM) ?? 0
  facts.material = name(first('filament_type', 'extruder_train.0.material.type'))
  facts.printerModel = name(first('printer_model', 'target_machine.name'))
  facts.hotendC = inRange(firstNumber(first('first_layer_temperature', 'nozzle_temperature_initial_layer', 'extruder_train.0.initial_temperature', 'temperature')), TEMPERATURE_RANGE_C) ??
    moves?.hotendC ?? 0
  facts.bedC = inRange(firstNumber(first('first_layer_bed_temperature', 'bed_temperature_initial_layer_single', 'hot_plate_temp_initial_layer', 'build_plate.initial_temperature', 'bed_temperature')), TEMPERATURE_RANGE_C) ??
    moves?.bedC ?? 0
  const fromMoves = moves?.extent()
  const fromHeader = headerExtent(first)
  const extent = fromMoves ?? fromHeader
  if (extent !== undefined) {
    facts.extentXMm = extent.x
    facts.extentYMm = extent.y
    facts.extentZMm = extent.z
  }
  return facts
}

/** Cura's `;MINX:` ... `;MAXZ:` (Marlin flavour) or `;PRINT.SIZE.MIN.X:` ... (Griffin). */
function headerExtent (first: (...keys: string[]) => string | undefined): { x: number, y: number, z: number } | undefined {
  const axis = (a: string): number | undefined => {
    const min = firstNumber(first(`min${a}`, `print.size.min.${a}`))
    const max = firstNumber(first(`max${a}`, `print.size.max.${a}`))
    return min === undefined || max === undefined ? undefined : inRange(round(max - min), [0, MAX_EXTENT_MM])
  }
  const maxZ = inRange(firstNumber(first('maxz', 'print.size.max.z')), [0, MAX_EXTENT_MM])
  const x = axis('x')
  const y = axis('y')
  return x === undefined || y === undefined || maxZ === undefined ? undefined : { x, y, z: round(maxZ) }
}

/** "0.6", "0.6,0.4" (one per extruder), "PETG;PLA": the first. */
function firstValue (value: string | undefined): string | undefined {
  return value?.split(/[;,]/)[0].replace(/^"|"$/g, '').trim()
}

function firstNumber (value: string | undefined): number | undefined {
  const text = firstValue(value)
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) return undefined
  return Number(text)
}

function name (value: string | undefined): string {
  const text = firstValue(value)
  return text !== undefined && FACT_NAME.test(text) ? text : ''
}

function inRange (value: number | undefined, [min, max]: readonly [number, number]): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= min && value <= max ? value : undefined
}

function round (mm: number): number {
  return Math.round(mm * 100) / 100
}

const WORD = /([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))/g

/**
 * The box the extruding moves fill: travel moves (a park, a wipe off the bed) print nothing. Follows G90/G91,
 * M82/M83 and G92, as Marlin does; also the first heater targets, for a G-code whose slicer wrote none as a
 * comment.
 */
class MoveExtents {
  hotendC: number | undefined
  bedC: number | undefined
  private readonly at = { X: 0, Y: 0, Z: 0, E: 0 }
  private relative = false
  private relativeE = false
  private min = { X: Infinity, Y: Infinity }
  private max = { X: -Infinity, Y: -Infinity, Z: -Infinity }

  add (line: string): void {
    const code = line.split(';', 1)[0].trim().toUpperCase()
    if (code === '') return
    const command = /^([GM])0*(\d+)/.exec(code)
    if (command === null) return
    const id = command[1] + command[2]
    const words = new Map<string, number>()
    for (const [, letter, value] of code.slice(command[0].length).matchAll(WORD)) if (!words.has(letter)) words.set(letter, Number(value))
    switch (id) {
      case 'G90': this.relative = false; this.relativeE = false; return
      case 'G91': this.relative = true; this.relativeE = true; return
      case 'M82': this.relativeE = false; return
      case 'M83': this.relativeE = true; return
      case 'G92': for (const axis of ['X', 'Y', 'Z', 'E'] as const) { const v = words.get(axis); if (v !== undefined) this.at[axis] = v } return
      case 'M104': case 'M109': this.hotendC ??= positive(words.get('S')); return
      case 'M140': case 'M190': this.bedC ??= positive(words.get('S')); return
      case 'G0': case 'G1': case 'G2': case 'G3': this.move(words); return
    }
  }

  extent (): { x: number, y: number, z: number } | undefined {
    if (this.max.X < this.min.X) return undefined
    const x = round(this.max.X - this.min.X)
    const y = round(this.max.Y - this.min.Y)
    const z = round(Math.max(0, this.max.Z))
    return x <= MAX_EXTENT_MM && y <= MAX_EXTENT_MM && z <= MAX_EXTENT_MM ? { x, y, z } : undefined
  }

  private move (words: Map<string, number>): void {
    const from = { ...this.at }
    for (const axis of ['X', 'Y', 'Z'] as const) {
      const v = words.get(axis)
      if (v !== undefined && Number.isFinite(v)) this.at[axis] = this.relative ? this.at[axis] + v : v
    }
    const e = words.get('E')
    if (e === undefined || !Number.isFinite(e)) return
    const extruded = this.relativeE ? e : e - this.at.E
    this.at.E = this.relativeE ? this.at.E + e : e
    if (extruded <= 0) return
    for (const point of [from, this.at]) {
      this.min.X = Math.min(this.min.X, point.X)
      this.min.Y = Math.min(this.min.Y, point.Y)
      this.max.X = Math.max(this.max.X, point.X)
      this.max.Y = Math.max(this.max.Y, point.Y)
      this.max.Z = Math.max(this.max.Z, point.Z)
    }
  }
}

function positive (value: number | undefined): number | undefined {
  return inRange(value, TEMPERATURE_RANGE_C) !== undefined && (value as number) > 0 ? value : undefined
}
