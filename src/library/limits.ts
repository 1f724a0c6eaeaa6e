/** Sizes the library accepts, from a user or from a peer. */
export const MAX_ENTRY_BYTES = 256 * 1024
export const MAX_TEXT_CHARS = 500
export const MAX_TAG_CHARS = 64
export const MAX_TAGS = 256
/** Stamps kept per tag: each add and remove of a tag keeps one. */
export const MAX_DOTS = 1024
export const MAX_FILES_PER_VERSION = 64
export const MAX_VERSIONS = 1000
export const MAX_OUTPUTS = 4096
export const MAX_HOLDERS = 64
/** A tag is a word a user types: letters, digits and - _ . / only. */
export const TAG = /^[\p{L}\p{N}][\p{L}\p{N}._/-]{0,63}$/u
export const ENTRY_ID = /^[0-9a-f]{12}$/
