import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { setToken, token } from '../api.js'
import { state } from '../store.js'
import { connect } from '../live.js'

/** The bearer token the page sends, kept in this browser's localStorage; empty on a loopback peer without tokens. */
export function Login () {
  const [value, setValue] = useState(token())
  const onSubmit = (e) => {
    e.preventDefault()
    setToken(value.trim())
    connect()
  }
  return html`
    <form class="login" onSubmit=${onSubmit}>
      <label>Token <input type="password" name="token" autocomplete="off" value=${value} onInput=${e => setValue(e.target.value)} placeholder="none on loopback" /></label>
      <button type="submit">Use</button>
      <span class="scope" data-testid="scope">${state.whoami?.scope ?? ''}</span>
    </form>`
}
