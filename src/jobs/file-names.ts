export class UnsafeFileNameError extends Error {
  constructor (name: string) {
    super(`file name "${name.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}" is not allowed: a plain name of letters, digits, ".", "_" or "-"`)
    this.name = 'UnsafeFileNameError'
  }
}

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/

/**
 * Names from the network are display names; a job directory only ever holds plain names, so none can climb
 * out of it (`../`), be absolute, hide, or carry a NUL.
 */
export function checkFileName (name: string): string {
  if (!PLAIN.test(name) || name.includes('..')) throw new UnsafeFileNameError(name)
  return name
}

/** The extension of a plain name, lowercased, e.g. ".scad"; "" when it has none. */
export function extensionOf (name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot).toLowerCase() : ''
}
