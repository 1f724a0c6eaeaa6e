import { ControlClient } from '../api/control-client.js'

/**
 * Runs a command's action: an error becomes one clear line on stderr and a non-zero exit.
 * Actions throw; only commands exit.
 */
export async function runAction (action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action()
    process.exitCode = code ?? 0
  } catch (err: any) {
    process.stderr.write(`meshnode: ${err?.message ?? String(err)}\n`)
    process.exitCode = 1
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

export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}
