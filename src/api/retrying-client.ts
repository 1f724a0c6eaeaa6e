import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectionLostError, ControlClient, NoDaemonError, RemoteError } from './control-client.js'

/**
 * How long a call whose connection dropped waits for the daemon to come back. A supervisor restarts a daemon
 * within a second or two, and a daemon takes a few more to open its store, find its tools and listen again.
 */
export const RECONNECT_WAIT_MS = 15_000
const RECONNECT_POLL_MS = 200

/** The daemon went away and a call could not be sent again: whether it ran is not known. */
export class DaemonLostError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DaemonLostError'
  }
}

/**
 * A control connection for calls that are safe to send twice (a submit with its request id, watch, get). A call
 * whose connection drops is sent once more on a new connection, as soon as the daemon (perhaps restarting)
 * answers again; `onRetry` hears of it first.
 */
export class RetryingClient {
  private readonly dataDir: string
  private readonly onRetry: (method: string) => void
  private client: ControlClient

  private constructor (dataDir: string, client: ControlClient, onRetry: (method: string) => void) {
    this.dataDir = dataDir
    this.client = client
    this.onRetry = onRetry
  }

  /** Connects once: with no daemon there nothing was sent, so there is nothing to wait for. */
  static async connect (dataDir: string, onRetry: (method: string) => void = () => {}): Promise<RetryingClient> {
    return new RetryingClient(dataDir, await ControlClient.connect(dataDir), onRetry)
  }

  async call<T = any> (method: string, params: unknown = {}, onEvent?: (event: any) => void): Promise<T> {
    try {
      return await this.client.call<T>(method, params, onEvent)
    } catch (err) {
      if (!(err instanceof ConnectionLostError)) throw err
    }
    this.onRetry(method)
    this.client.close()
    this.client = await this.reconnect()
    try {
      return await this.client.call<T>(method, params, onEvent)
    } catch (err) {
      if (err instanceof ConnectionLostError) throw new DaemonLostError(`the daemon closed the control connection twice during ${method}`)
      throw err
    }
  }

  close (): void {
    this.client.close()
  }

  private async reconnect (): Promise<ControlClient> {
    const deadline = Date.now() + RECONNECT_WAIT_MS
    for (;;) {
      try {
        return await ControlClient.connect(this.dataDir)
      } catch (err) {
        // A daemon coming up has no socket yet, or one not yet listening, or a token file not yet rewritten.
        const starting = err instanceof NoDaemonError || err instanceof ConnectionLostError || (err instanceof RemoteError && err.name === 'UnauthorizedError')
        if (!starting) throw err
        if (Date.now() >= deadline) throw new DaemonLostError(`the daemon closed the control connection and did not come back within ${RECONNECT_WAIT_MS / 1000} s`)
      }
      await sleep(RECONNECT_POLL_MS)
    }
  }
}
