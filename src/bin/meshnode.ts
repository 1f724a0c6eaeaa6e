#!/usr/bin/env node
import { enableCompileCache } from 'node:module'

// Every command is a short-lived process, so V8's compiled code is kept on disk between runs
// (in the system temp dir); the CLI is loaded only after the cache is on.
enableCompileCache()
await import('../cli/main.js')
