import { ControlClient, NoDaemonError } from '../api/control-client.js'
import { RECONNECT_WAIT_MS, RetryingClient } from '../api/retrying-client.js'
import { suggestedCommand } from './suggested-command.js'

/**
 * Runs a command and gives its exit code: an error it throws becomes one clear line on stderr and 1.
 * Commands throw; only the CLI's entry exits.
 */
export async function runAction (action: () => Promise<number | void>): Promise<number> {
  try {
    return (await action()) ?? 0
  } catch (err: any) {
    // The API knows no command lines; the CLI says how to start the daemon it looked for.
    const hint = err instanceof NoDaemonError ? `; start one with: ${suggestedCommand(['start'], { dataDir: err.dataDir })}` : ''
    process.stderr.write(`meshnode: ${err?.message ?? String(err)}${hint}\n`)
    return 1
  }
}

/** Connects to the daemon of a data dir, runs `use`, and always closes the connection. */
export async function withDaemon<T> (dataDir: string, use: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect(dataDir)
  try {
    return await use(client)
  } finally {
    client.close()
  }
}

/** withDaemon for calls that are safe to send twice: a call whose connection drops is sent again, once, saying so. */
export async function withRetryingDaemon<T> (dataDir: string, use: (client: RetryingClient) => Promise<T>): Promise<T> {
  const client = await RetryingClient.connect(dataDir, (method) => {
    process.stderr.write(`meshnode: lost the daemon during ${method}; sending the same request again once it is back (waiting up to ${RECONNECT_WAIT_MS / 1000} s)\n`)
  })
  try {
    return await use(client)
  } finally {
    client.close()
  }
}

export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}
