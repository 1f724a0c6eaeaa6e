import { readdir, readFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { packageRoot } from '../paths.js'
import { UnknownProfileError } from './errors.js'

/**
 * A named slicer profile with what each slicer needs. Network input only ever names a profile;
 * the files behind it come from meshnode itself or the node's own config.
 */
export interface SlicerProfile {
  name: string
  description: string
  /** The material the G-code is made for, matched against a printer's loaded material. */
  material: string
  /** The nozzle the G-code is made for: the ini's `nozzle_diameter`. */
  nozzleMm: number
  /** A PrusaSlicer/Slic3r config for `--load`. */
  prusaIni: string
  cura: {
    /** A printer definition from cura-wasm-definitions, e.g. `creality_ender3`. */
    machine: string
    /** `-s key=value` settings over the machine definition. */
    settings: Record<string, string>
  }
}

export class ProfileFileError extends Error {
  constructor (file: string, message: string) {
    super(`slicer profile ${file}: ${message}`)
    this.name = 'ProfileFileError'
  }
}

export const DEFAULT_PROFILE = 'pla-0.2mm'
const PROFILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

export class ProfileBook {
  private readonly byName: Map<string, SlicerProfile>

  constructor (profiles: SlicerProfile[]) {
    this.byName = new Map(profiles.map(p => [p.name, p]))
  }

  names (): string[] {
    return [...this.byName.keys()].sort()
  }

  summary (): Array<{ name: string, material: string }> {
    return this.names().map(name => ({ name, material: this.resolve(name).material }))
  }

  /** Every profile, by name. */
  all (): SlicerProfile[] {
    return this.names().map(name => this.resolve(name))
  }

  resolve (name: string = DEFAULT_PROFILE): SlicerProfile {
    const profile = this.byName.get(name)
    if (profile == null) throw new UnknownProfileError(name, this.names())
    return profile
  }
}

/** The bundled profiles (examples/profiles/), then each configured folder; a later one overrides by name. */
export async function loadProfiles (extraDirs: readonly string[] = []): Promise<ProfileBook> {
  const profiles: SlicerProfile[] = []
  for (const dir of [join(packageRoot(), 'examples', 'profiles'), ...extraDirs]) {
    const files = (await readdir(dir)).filter(f => f.endsWith('.json')).sort()
    for (const file of files) profiles.push(await readProfile(join(dir, file)))
  }
  return new ProfileBook(profiles)
}

async function readProfile (file: string): Promise<SlicerProfile> {
  const name = basename(file, '.json')
  if (!PROFILE_NAME.test(name)) throw new ProfileFileError(file, 'a profile name is lower-case letters, digits, ".", "_" and "-"')
  let raw: any
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new ProfileFileError(file, (err as Error).message)
  }
  const text = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value === '') throw new ProfileFileError(file, `"${field}" must be a non-empty string`)
    return value
  }
  const settings = raw?.cura?.settings ?? {}
  if (typeof settings !== 'object' || Object.values(settings).some(v => typeof v !== 'string')) {
    throw new ProfileFileError(file, '"cura.settings" must map setting names to string values')
  }
  const prusaIni = resolve(file, '..', text(raw?.prusa, 'prusa'))
  return {
    name,
    description: typeof raw?.description === 'string' ? raw.description : '',
    material: text(raw?.material, 'material'),
    nozzleMm: await iniNozzle(file, prusaIni),
    prusaIni,
    cura: { machine: text(raw?.cura?.machine, 'cura.machine'), settings }
  }
}

/**
 * The profile slices for printers with this nozzle (a job with no profile is sliced for the printers that will
 * print it); PrusaSlicer's own default, 0.4 mm, when the ini names none.
 */
async function iniNozzle (file: string, prusaIni: string): Promise<number> {
  let ini: string
  try {
    ini = await readFile(prusaIni, 'utf8')
  } catch (err) {
    throw new ProfileFileError(file, `cannot read ${basename(prusaIni)}: ${(err as Error).message}`)
  }
  const match = /^nozzle_diameter\s*=\s*([\d.]+)/m.exec(ini)
  const mm = match === null ? 0.4 : Number(match[1])
  if (!(mm >= 0.05 && mm <= 5)) throw new ProfileFileError(file, `${basename(prusaIni)} must give a nozzle_diameter between 0.05 and 5 mm`)
  return mm
}
