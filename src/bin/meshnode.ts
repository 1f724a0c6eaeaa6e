#!/usr/bin/env node
import { enableCompileCache } from 'node:module'
import { DAEMON_FLAGS } from '../node/daemon-flags.js'

// V8 reads these flags only at start, so `start` replaces itself once (same pid, nothing else loaded yet)
// with them on its command line.
if (process.argv[2] === 'start' && process.execve != null && !DAEMON_FLAGS.every(flag => process.execArgv.includes(flag))) {
  process.execve(process.execPath, [process.execPath, ...DAEMON_FLAGS, ...process.execArgv, ...process.argv.slice(1)])
}

// Every command is a short-lived process, so V8's compiled code is kept on disk between runs
// (in the system temp dir); the CLI is loaded only after the cache is on.
enableCompileCache()
await import('../cli/main.js')
