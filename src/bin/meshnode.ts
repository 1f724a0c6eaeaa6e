#!/usr/bin/env node
import { enableCompileCache } from 'node:module'

// A peer runs for months, often on a Pi. V8 lets an idle peer's young generation grow to 32 MB, a quarter of
// its memory; 2 MB is plenty for its traffic. The flag only works at start, so `start` replaces itself once
// (same pid, nothing loaded yet) with the flag on the command line.
const DAEMON_FLAGS = ['--max-semi-space-size=2']
if (process.argv[2] === 'start' && process.execve != null && !DAEMON_FLAGS.every(flag => process.execArgv.includes(flag))) {
  process.execve(process.execPath, [process.execPath, ...DAEMON_FLAGS, ...process.execArgv, ...process.argv.slice(1)])
}

// Every command is a short-lived process, so V8's compiled code is kept on disk between runs
// (in the system temp dir); the CLI is loaded only after the cache is on.
enableCompileCache()
await import('../cli/main.js')
