import { apply, changed, refreshAll, state } from './store.js'
import { streamEvents } from './events.js'

let stop = null

/** (Re)starts the event stream: when the page opens, and when a new token is entered. */
export function connect () {
  stop?.()
  stop = streamEvents({
    onEvent: apply,
    onOpen: () => {
      state.connected = true
      refreshAll().catch(err => { state.error = err.message; changed() })
    },
    onDown: (err) => {
      state.connected = false
      // A refused token is worth saying; a peer that is restarting is only "reconnecting".
      if (err != null && /token/i.test(err.message)) state.error = err.message
      changed()
    }
  })
}
