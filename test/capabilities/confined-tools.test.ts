import assert from 'node:assert/strict'
import { test } from 'node:test'
import { confinedExecutors } from '../../src/capabilities/confined-tools.js'
import { detectExecutors } from '../../src/capabilities/tools.js'
import { CustomServiceExecutor } from '../../src/executors/custom-service.js'
import { OpenscadWasmExecutor } from '../../src/executors/openscad-wasm.js'
import { NoConfinement } from '../../src/executors/sandbox.js'
import { parseServiceConfig, parseToolsConfig } from '../../src/config/service-config.js'

const missing = new NoConfinement('bubblewrap is not at /usr/bin/bwrap or /bin/bwrap')
const service = parseServiceConfig({ name: 'stl-repair', command: '/usr/bin/cp', args: ['{input}', '{output}'], outputExtension: 'stl', timeoutSec: 60 }, 'services[0]')

test('a node that offers a native tool and has no sandbox refuses to start, saying what to install and how to opt out', () => {
  const executors = [new OpenscadWasmExecutor('test'), new CustomServiceExecutor(service, missing)]
  assert.throws(() => confinedExecutors(executors, missing, () => true), (err: Error) => {
    assert.equal(err.name, 'SandboxUnavailableError')
    assert.match(err.message, /offers native tools \(\/usr\/bin\/cp\) but cannot run them in a sandbox: bubblewrap is not at/)
    assert.match(err.message, /apt-get install bubblewrap/)
    assert.match(err.message, /tools\.sandbox: false/)
    return true
  })
})

test('without a sandbox, native tools the node does not offer are left out and the embedded engines stay', () => {
  const wasm = new OpenscadWasmExecutor('test')
  const kept = confinedExecutors([wasm, new CustomServiceExecutor(service, missing)], missing, stage => stage === 'scad')
  assert.deepEqual(kept, [wasm])
})

test('a native tool that slipped past would not run open: it fails naming the missing sandbox', async () => {
  assert.throws(() => missing.command('/usr/bin/cp'), { name: 'SandboxUnavailableError' })
})

test('on this machine (bubblewrap installed) the detected native tools run in the sandbox', async () => {
  const executors = await detectExecutors(parseToolsConfig({ embedded: { openscad: false, cura: false } }, 'tools'), [service])
  assert.ok(executors.some(e => e.tool.name === 'stl-repair'))
})
