import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { strToU8, zipSync } from 'three/examples/jsm/libs/fflate.module.js'
import { parseServiceConfig } from '../../src/config/service-config.js'
import { startPeer, tempDir, unsandboxed } from '../market/mesh-fixture.js'
import { httpUrl } from '../api/http-fixture.js'
import { launchBrowser, SCREENSHOTS } from './browser.js'
import type { Page } from 'playwright-core'

const SEEN_TIMEOUT_MS = 60_000

/** A 20 mm tetrahedron, Z up, as a 3MF package (the archive three.js's 3MFLoader reads). */
function tetrahedron3mf (): Uint8Array {
  const model = `<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
  <resources><object id="1" type="model"><mesh>
    <vertices><vertex x="0" y="0" z="0"/><vertex x="20" y="0" z="0"/><vertex x="0" y="20" z="0"/><vertex x="0" y="0" z="20"/></vertices>
    <triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles>
  </mesh></object></resources>
  <build><item objectid="1"/></build>
</model>`
  const rels = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>`
  const types = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>`
  return zipSync({ '[Content_Types].xml': strToU8(types), '_rels/.rels': strToU8(rels), '3D/3dmodel.model': strToU8(model) })
}

const TETRAHEDRON_OBJ = 'v 0 0 0\nv 20 0 0\nv 0 20 0\nv 0 0 20\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n'

/** A `cp` stage whose output is named with `extension`: a job whose output is the model it was given. */
function copyTo (extension: string, index: number): ReturnType<typeof parseServiceConfig> {
  return parseServiceConfig({ name: `to-${extension}`, command: '/bin/cp', args: ['{input}', '{output}'], outputExtension: extension, timeoutSec: 30 }, `services[${index}]`)
}

/**
 * Pixels of the model's colour (orange: red well over blue) in the viewer's canvas, read in the page in an
 * animation frame right after the viewer's own draw of that frame, before the browser clears it.
 */
async function modelPixels (canvas: any): Promise<number> {
  const page = globalThis as any
  return new Promise(resolve => page.requestAnimationFrame(() => {
    const copy = page.document.createElement('canvas')
    copy.width = canvas.width
    copy.height = canvas.height
    const context = copy.getContext('2d')
    context.drawImage(canvas, 0, 0)
    const data = context.getImageData(0, 0, copy.width, copy.height).data
    let count = 0
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] > data[i + 2] + 60) count++
    resolve(count)
  }))
}

/** The viewer of `scope` shows the model: a good part of its canvas in the model's colour, and no error. */
async function shown (page: Page, scope: string): Promise<void> {
  const viewer = page.locator(`${scope} [data-testid=model-viewer]`)
  const canvas = viewer.locator('canvas')
  await canvas.waitFor({ timeout: SEEN_TIMEOUT_MS })
  assert.equal(await viewer.locator('.error').count(), 0, await viewer.innerText())
  const pixels = await canvas.evaluate(modelPixels)
  assert.ok(pixels > 2000, `the model is drawn: ${pixels} pixels of its colour`)
}

test('3MF and OBJ in 3D: a file about to be submitted and a job\'s output, each format\'s loader fetched only when one is opened; a broken 3MF says so', async (t) => {
  const browser = await launchBrowser(t)
  if (browser == null) return
  const dir = await tempDir(t, 'meshnode-dashboard-previews-')
  const peer = await startPeer(t, dir, 'desk', c => {
    c.services = [copyTo('3mf', 0), copyTo('obj', 1)]
    c.offers = ['to-3mf', 'to-obj']
    unsandboxed(c)
  })
  const files = { threeMf: join(dir, 'part.3mf'), obj: join(dir, 'part.obj'), broken: join(dir, 'broken.3mf') }
  await writeFile(files.threeMf, tetrahedron3mf())
  await writeFile(files.obj, TETRAHEDRON_OBJ)
  await writeFile(files.broken, 'not a zip archive')

  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', err => problems.push(err.message))
  const requested: string[] = []
  page.on('request', r => requested.push(r.url()))
  const loaded = (what: RegExp): boolean => requested.some(url => what.test(url))
  await page.goto(`${httpUrl(peer)}/#/submit`)

  await t.test('before submitting: each model previews from the file itself; a broken one names itself and why', async () => {
    await page.setInputFiles('[data-testid=file-input]', [files.threeMf, files.obj, files.broken])
    assert.ok(!loaded(/model-viewer|Loader/), 'no viewer or loader with the page or with the files chosen')
    const entry = (name: string): string => `[data-testid=entry][data-file="${name}"]`
    await page.click(`${entry('part.3mf')} >> button:has-text("3D preview")`)
    await shown(page, entry('part.3mf'))
    assert.ok(loaded(/3MFLoader/) && !loaded(/OBJLoader/), 'the 3MF loader came with the 3MF, the OBJ one not yet')
    await page.click(`${entry('part.obj')} >> button:has-text("3D preview")`)
    await shown(page, entry('part.obj'))
    assert.ok(loaded(/OBJLoader/))
    await page.click(`${entry('broken.3mf')} >> button:has-text("3D preview")`)
    await page.locator(`${entry('broken.3mf')} [data-testid=model-viewer] .error`, { hasText: 'broken.3mf' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
    await page.screenshot({ path: join(SCREENSHOTS, 'submit-previews.png'), fullPage: true })
    for (const name of ['part.3mf', 'part.obj', 'broken.3mf']) await page.click(`button[aria-label="remove ${name}"]`)
    assert.equal(await page.locator('[data-testid=model-viewer]').count(), 0, 'a removed file takes its preview with it')
  })

  for (const [extension, file] of [['3mf', files.threeMf], ['obj', files.obj]] as const) {
    await t.test(`a job's .${extension} output opens in 3D on the job page`, async () => {
      await page.goto(`${httpUrl(peer)}/#/submit`)
      await page.setInputFiles('[data-testid=file-input]', file)
      await page.locator('[data-testid=entry] input[name=pipeline]').fill(`to-${extension}`)
      await page.click('[data-testid=submit]')
      await page.waitForURL(/#\/job\//, { timeout: SEEN_TIMEOUT_MS })
      await page.locator('[data-testid=job-state]', { hasText: 'done' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
      await page.click('button:has-text("3D model")')
      await shown(page, '')
      await page.screenshot({ path: join(SCREENSHOTS, `job-${extension}-preview.png`), fullPage: true })
    })
  }
  assert.deepEqual(problems, [], 'the page threw no errors')
})
