/** The tool ran and failed; the message carries the tool's own words (e.g. OpenSCAD's parser error). */
export class ToolFailedError extends Error {
  readonly tool: string
  readonly exitCode?: number

  constructor (tool: string, message: string, exitCode?: number) {
    super(`${tool} failed: ${message}`)
    this.name = 'ToolFailedError'
    this.tool = tool
    this.exitCode = exitCode
  }
}

export class ToolTimeoutError extends Error {
  constructor (tool: string, timeoutMs: number) {
    super(`${tool} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`)
    this.name = 'ToolTimeoutError'
  }
}

export class ToolCancelledError extends Error {
  constructor (tool: string) {
    super(`${tool} was cancelled`)
    this.name = 'ToolCancelledError'
  }
}

/** A `-D` override that is not a plain name with a literal value. */
export class ScadParameterError extends Error {
  readonly parameter: string

  constructor (parameter: string, message: string) {
    super(`parameter ${JSON.stringify(parameter)}: ${message}`)
    this.name = 'ScadParameterError'
    this.parameter = parameter
  }
}

/** A design that would read a file other than the job's own. */
export class UnsafeDesignError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnsafeDesignError'
  }
}

export class UnknownProfileError extends Error {
  constructor (profile: string, known: string[]) {
    super(`unknown slicer profile ${JSON.stringify(profile)} (known: ${known.join(', ') || 'none'})`)
    this.name = 'UnknownProfileError'
  }
}

export class UnsupportedInputError extends Error {
  constructor (tool: string, inputName: string, accepted: readonly string[]) {
    super(`${tool} cannot read ${JSON.stringify(inputName)} (accepts ${accepted.map(e => '.' + e).join(', ')})`)
    this.name = 'UnsupportedInputError'
  }
}

/** A tool stopped for going over one of the node's limits; the message names the limit and its config field. */
export class ToolLimitError extends Error {
  constructor (tool: string, message: string) {
    super(`${tool} ${message}`)
    this.name = 'ToolLimitError'
  }
}

/** Native tools are offered but cannot be walled in: the node refuses to start rather than run them open. */
export class SandboxUnavailableError extends Error {
  constructor (tools: readonly string[], reason: string) {
    super(`this node offers native tools (${tools.join(', ')}) but cannot run them in a sandbox: ${reason}. ` +
      'Install bubblewrap (Debian: apt-get install bubblewrap), or leave the tools out (tools.<tool>: false, or offers without their stage), ' +
      'or set tools.sandbox: false to run them with the node\'s own rights (see SECURITY.md)')
    this.name = 'SandboxUnavailableError'
  }
}
