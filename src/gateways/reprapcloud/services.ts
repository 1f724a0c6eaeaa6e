/**
 * A relay service as the gateway runs it: the mesh stages that do its work and what the relay's service
 * config said about its arguments. Only these shapes exist; a request never adds a program or an argument.
 */
export interface RelayService {
  name: string
  /** The mesh pipeline; empty for echo, whose output is its input and needs no peer. */
  pipeline: string[]
  /** The extension given to a fileIn sent as content, with no file name to take one from. */
  inputExtension: string
  /** `tasks/out/<id>.<ext>`; '' for none (echo's `tasks/out/<id>`); undefined when there is no output (printrun). */
  outputExtension?: string
  /** The one preargN the service accepts (slic3r's `--load=`, its config file). */
  prearg?: string
  /** argN and nativeArgs must start with one of these (printrun's device paths). */
  argPrefixes: readonly string[]
}

const BUILT_IN: readonly RelayService[] = [
  { name: 'echo', pipeline: [], inputExtension: 'txt', outputExtension: '', argPrefixes: [] },
  { name: 'openscad', pipeline: ['scad'], inputExtension: 'scad', outputExtension: 'stl', argPrefixes: [] },
  { name: 'slic3r', pipeline: ['slice'], inputExtension: 'stl', outputExtension: 'gcode', prearg: '--load=', argPrefixes: [] },
  { name: 'slicer', pipeline: ['slice'], inputExtension: 'stl', outputExtension: 'gcode', prearg: '--load=', argPrefixes: [] },
  { name: 'printrun', pipeline: ['print'], inputExtension: 'gcode', argPrefixes: ['/dev/ttyUSB', '/dev/ttyACM'] }
]

/** What the relay's own openjscad service made, for a peer that offers a stage of that name. */
const OPENJSCAD: RelayService = { name: 'openjscad', pipeline: ['openjscad'], inputExtension: 'jscad', outputExtension: 'stl', argPrefixes: [] }

/** A custom service from this node's config, as far as the gateway needs it. */
export interface CustomService {
  name: string
  outputExtension: string
  inputExtensions?: string[]
}

/**
 * The services the gateway offers now: those of the relay's own, of this node's custom services and openjscad
 * whose every stage some peer (or this node) offers at this moment; echo always. A service nobody can run is
 * refused at once, as the relay refused one it had no config for, rather than left to wait for a peer.
 */
export function relayServices (custom: readonly CustomService[], offeredStages: ReadonlySet<string>): Map<string, RelayService> {
  const candidates = [...BUILT_IN, OPENJSCAD, ...custom.map(service => ({
    name: service.name,
    pipeline: [service.name],
    inputExtension: service.inputExtensions?.[0] ?? 'txt',
    outputExtension: service.outputExtension,
    argPrefixes: []
  }))]
  const services = new Map<string, RelayService>()
  for (const service of candidates) {
    if (!services.has(service.name) && service.pipeline.every(stage => offeredStages.has(stage))) services.set(service.name, service)
  }
  return services
}

/** Names the relay's `meta` lists: sorted, comma-joined. */
export function serviceList (services: ReadonlyMap<string, RelayService>): string {
  return [...services.keys()].sort().join(',')
}
