/**
 * The V8 flags a peer runs with. `meshnode start` puts these on its own command line (src/bin/meshnode.ts);
 * benchmarks run their peers the same way.
 *
 * - A peer runs for months, often on a Pi, and V8 lets an idle peer's young generation grow to 32 MB, a
 *   quarter of its memory; 2 MB is plenty for its traffic.
 * - A full collection starts once 70 % of the room between the last one and the old generation's limit is
 *   used (at once at 90 %). With V8's own rule, a peer receiving a 256 MiB blob started one with 10-16 MB
 *   still free: its old heap grows slowly, so V8 set the limit at 1.3-1.6 times the 17 MB of live objects,
 *   and in about half the transfers it marked the whole heap 9-26 times instead of twice, at some 75 ms
 *   of CPU each (BENCHMARKS.md, "Blobs").
 */
export const DAEMON_FLAGS: readonly string[] = [
  '--max-semi-space-size=2',
  '--incremental-marking-soft-trigger=70',
  '--incremental-marking-hard-trigger=90'
]
