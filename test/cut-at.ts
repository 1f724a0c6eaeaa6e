/** `whole` cut at the given points (taken modulo its length, repeats dropped), as a pipe or a socket may deliver it. */
export function cutAt<T extends string | Uint8Array> (whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map(cut => cut % (whole.length + 1)))].sort((a, b) => a - b)
  const pieces: T[] = []
  let from = 0
  for (const at of [...points, whole.length]) {
    pieces.push(whole.slice(from, at) as T)
    from = at
  }
  return pieces
}
