/**
 * The V8 flags a peer runs with. A peer runs for months, often on a Pi, and V8 lets an idle peer's young
 * generation grow to 32 MB, a quarter of its memory; 2 MB is plenty for its traffic. `meshnode start` puts
 * these on its own command line (src/bin/meshnode.ts); benchmarks run their peers the same way.
 */
export const DAEMON_FLAGS: readonly string[] = ['--max-semi-space-size=2']
