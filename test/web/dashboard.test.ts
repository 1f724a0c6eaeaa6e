import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { meshnodeBin, packageRoot } from '../../src/paths.js'
import { tempDir } from '../market/mesh-fixture.js'
import { httpUrl, makeToken } from '../api/http-fixture.js'
import { launchBrowser, SCREENSHOTS } from './browser.js'
import { PRINTER, startWorkshop } from './workshop.js'
import type { Page } from 'playwright-core'
import type { JobRecord } from '../../src/jobs/job.js'

const run = promisify(execFile)
/** Render, slice and print the bracket on a loaded 2-core machine: bounded, with room. */
const JOB_TIMEOUT_MS = 300_000
const SEEN_TIMEOUT_MS = 30_000

/**
 * Records every state the page shows for a stage or a printer card, so a state the page showed only for a
 * moment is still seen by the test.
 */
const RECORD_STATES = `
  window.__seen = new Set()
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-testid=stage]')) window.__seen.add('stage ' + el.dataset.kind + ' ' + el.dataset.state + ' ' + el.dataset.peer)
    for (const el of document.querySelectorAll('[data-testid=printer]')) window.__seen.add('printer ' + el.dataset.state)
    for (const el of document.querySelectorAll('[data-testid=printer-progress]')) if (Number(el.value) > 0) window.__seen.add('progress')
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true })
`

async function seen (page: Page): Promise<string[]> {
  return page.evaluate(() => [...(globalThis as any).__seen] as string[])
}

async function screenshot (page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

test('the dashboard in Chromium: submit a customized bracket, watch it render, slice and print, clear the bed, a read token sees no commands', async (t) => {
  const browser = await launchBrowser(t)
  if (browser == null) return
  const dir = await tempDir(t, 'meshnode-dashboard-')
  const { printerPi } = await startWorkshop(t, dir)
  const base = httpUrl(printerPi)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', err => problems.push(err.message))
  const requested: string[] = []
  page.on('request', r => requested.push(r.url()))
  await page.addInitScript(RECORD_STATES)
  await page.goto(base + '/')
  await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
  await page.locator('[data-peer=build-server]').waitFor({ timeout: SEEN_TIMEOUT_MS })
  await screenshot(page, 'mesh')

  let jobId = ''
  await t.test('submit: bracket.scad becomes a form of its Customizer parameters; one changed value goes with the job', async () => {
    await page.click('nav >> text=Submit')
    await page.setInputFiles('[data-testid=file-input]', join(packageRoot(), 'examples', 'bracket.scad'))
    const entry = page.locator('[data-testid=entry][data-file="bracket.scad"]')
    await entry.waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.equal(await entry.locator('input[name=pipeline]').inputValue(), 'scad,slice,print', 'a design goes to the printer the mesh offers')
    assert.equal(await entry.locator('input[name=param-gusset]').isChecked(), true)
    await entry.locator('input[name=param-width]').fill('30')
    await screenshot(page, 'submit')
    await page.click('[data-testid=submit]')
    await page.waitForURL(/#\/job\//, { timeout: SEEN_TIMEOUT_MS })
    jobId = decodeURIComponent(page.url().split('#/job/')[1])
    const job = printerPi.jobStore.get(jobId)
    assert.deepEqual((await job)?.options.params, { width: '30' }, 'only the changed parameter is sent, as a -D literal')
  })

  await t.test('the job page shows each stage go live on the peer that won it', async () => {
    await page.locator('[data-testid=stage][data-kind=print][data-state=running]').waitFor({ timeout: JOB_TIMEOUT_MS })
    await screenshot(page, 'job')
    const states = await seen(page)
    for (const [kind, peer] of [['scad', 'workstation'], ['slice', 'build-server']]) {
      assert.ok(states.some(s => s.startsWith(`stage ${kind} `) && !s.includes(' done ') && s.endsWith(` ${peer}`)), `${kind} went live on ${peer}: ${states.join(' | ')}`)
      assert.ok(states.includes(`stage ${kind} done ${peer}`), `${kind} done on ${peer}: ${states.join(' | ')}`)
    }
    assert.ok(states.includes('stage print running printer-pi'), states.join(' | '))
  })

  await t.test('the printer card shows the print\'s progress, then the bed occupied; Clear bed (confirmed) makes it idle', async () => {
    await page.click('nav >> text=Printers')
    const card = page.locator(`[data-testid=printer][data-printer=${PRINTER}]`)
    await page.locator(`[data-testid=printer][data-printer=${PRINTER}][data-state=bed-occupied]`).waitFor({ timeout: JOB_TIMEOUT_MS })
    const states = await seen(page)
    assert.ok(states.includes('printer printing') && states.includes('progress'), `the card showed the print under way: ${states.join(' | ')}`)
    await screenshot(page, 'printers')
    let asked = ''
    page.once('dialog', dialog => { asked = dialog.message(); void dialog.accept() })
    await card.locator('button', { hasText: 'Clear bed' }).click()
    await page.locator(`[data-testid=printer][data-printer=${PRINTER}][data-state=idle]`).waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.match(asked, /bed/, 'clearing the bed asks first')
  })

  await t.test('the G-code downloaded from the job page is the one `meshnode job ID --json` names', async () => {
    await page.goto(`${base}/#/job/${encodeURIComponent(jobId)}`)
    await page.locator('[data-testid=job-state]', { hasText: 'done' }).waitFor({ timeout: JOB_TIMEOUT_MS })
    const { stdout } = await run(process.execPath, [meshnodeBin, 'job', jobId, '--json', '--data-dir', printerPi.config.dataDir], { timeout: 30_000 })
    const job = JSON.parse(stdout) as JobRecord
    const slice = job.stages.find(s => s.kind === 'slice')
    assert.ok(slice?.output != null, stdout)
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: SEEN_TIMEOUT_MS }), page.click(`[data-testid=download][data-stage="${slice.index}"]`)])
    const file = join(dir, 'downloaded.gcode')
    await download.saveAs(file)
    assert.equal(createHash('sha256').update(await readFile(file)).digest('hex'), slice.output.hash)
    await screenshot(page, 'job-done')
  })

  await t.test('submit again makes a new job of the same design and parameters; cancel (confirmed) ends it', async () => {
    await page.click('button:has-text("Submit again")')
    await page.waitForURL(url => url.hash.startsWith('#/job/') && !url.hash.endsWith(encodeURIComponent(jobId)), { timeout: SEEN_TIMEOUT_MS })
    const again = decodeURIComponent(page.url().split('#/job/')[1])
    const record = await printerPi.jobStore.get(again)
    assert.deepEqual([record?.input.name, record?.options.params, record?.stages.map(st => st.kind)], ['bracket.scad', { width: '30' }, ['scad', 'slice', 'print']])
    page.once('dialog', dialog => { void dialog.accept() })
    await page.click('button:has-text("Cancel job")')
    await page.locator('[data-testid=job-state]', { hasText: 'cancelled' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
    await page.goto(`${base}/#/job/${encodeURIComponent(jobId)}`)
    await page.locator('[data-testid=job-state]', { hasText: 'done' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
  })

  await t.test('the viewers load only when opened: the G-code layer by layer, the STL in 3D (its own loader with it)', async () => {
    assert.ok(!requested.some(url => /gcode-viewer|model-viewer/.test(url)), 'no viewer is loaded with the page')
    await page.click('button:has-text("G-code layers")')
    await page.locator('[data-testid=gcode-viewer] input[type=range]').waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.ok(requested.some(url => /gcode-viewer/.test(url)))
    await screenshot(page, 'gcode-preview')
    await page.click('button:has-text("3D model")')
    await page.locator('[data-testid=model-viewer] canvas').waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.ok(requested.some(url => /model-viewer/.test(url)) && requested.some(url => /STLLoader/.test(url)))
    await screenshot(page, 'stl-preview')
  })

  await t.test('by keyboard, on a phone, in the dark', async () => {
    await page.focus('nav a[href="#/jobs"]')
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/jobs$/, { timeout: SEEN_TIMEOUT_MS })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.click('nav >> text=Printers')
    await page.locator(`[data-testid=printer][data-printer=${PRINTER}]`).waitFor({ timeout: SEEN_TIMEOUT_MS })
    const overflow: number = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
    assert.ok(overflow <= 1, `nothing sticks out sideways on a phone: ${overflow} px`)
    await screenshot(page, 'printers-phone')
    const background = async (): Promise<string> => page.evaluate('getComputedStyle(document.body).backgroundColor')
    const light = await background()
    await page.emulateMedia({ colorScheme: 'dark' })
    assert.notEqual(await background(), light, 'the page follows prefers-color-scheme')
    await screenshot(page, 'printers-phone-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  await t.test('the jobs list shows the job, done', async () => {
    await page.click('nav >> text=Jobs')
    await page.locator(`[data-testid=job-row][data-job="${jobId}"]`, { hasText: 'done' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
    await screenshot(page, 'jobs')
  })

  await t.test('a read-only token sees no operator buttons and no submit; the API refuses its forged operator call', async () => {
    const token = await makeToken(t, printerPi, 'wall-screen', 'read')
    const reader = await context.newPage()
    await reader.goto(base + '/')
    await reader.fill('input[name=token]', token)
    await reader.click('.login button')
    await reader.locator('[data-testid=scope]', { hasText: 'read' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.equal(await reader.locator('nav a', { hasText: 'Submit' }).count(), 0)
    await reader.click('nav >> text=Printers')
    await reader.locator(`[data-testid=printer][data-printer=${PRINTER}]`).waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.equal(await reader.locator('[data-testid=printer] button').count(), 0)
    await reader.goto(`${base}/#/job/${encodeURIComponent(jobId)}`)
    await reader.locator('[data-testid=job-state]').waitFor({ timeout: SEEN_TIMEOUT_MS })
    assert.equal(await reader.locator('button', { hasText: /Cancel job|Submit again/ }).count(), 0)
    const forged = await reader.evaluate(async ([name, t]) => (await fetch(`/api/v1/printers/${name}/clear`, { method: 'POST', headers: { authorization: `Bearer ${t}` } })).status, [PRINTER, token])
    assert.equal(forged, 403)
    await screenshot(reader, 'read-only')
  })

  assert.deepEqual(problems, [], 'the page threw no errors')
})
