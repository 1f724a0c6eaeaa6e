import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parsePrinterConfig } from '../../src/printer/printer-config.js'
import { startPeer, tempDir } from '../market/mesh-fixture.js'
import { httpUrl } from '../api/http-fixture.js'
import { sampleGcode } from '../e2e/print/printer-record.js'
import { launchBrowser, SCREENSHOTS } from './browser.js'

const SEEN_TIMEOUT_MS = 60_000

test('an interrupted print in the dashboard: the card offers resume from the line after the last one acknowledged, and abandon; abandoning (confirmed) leaves the part on the bed', async (t) => {
  const browser = await launchBrowser(t)
  if (browser == null) return
  const dir = await tempDir(t, 'meshnode-dashboard-interrupted-')
  // The link drops at line 60: the print stops half way and waits for an operator.
  const pi = await startPeer(t, dir, 'pi', c => {
    c.offers = ['print']
    c.printers = [parsePrinterConfig({ name: 'flaky', port: 'virtual', baud: 250000, bed: { x: 250, y: 210, z: 210 }, nozzleMm: 0.4, material: 'PLA', virtual: { speedUp: 50, faults: ['disconnect:60'] } }, 'printers[0]')]
  })
  const gcode = join(dir, 'part.gcode')
  await writeFile(gcode, sampleGcode(8, 1))
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('pageerror', err => problems.push(err.message))
  await page.goto(`${httpUrl(pi)}/#/submit`)
  await page.setInputFiles('[data-testid=file-input]', gcode)
  assert.equal(await page.locator('[data-testid=entry] input[name=pipeline]').inputValue(), 'print', 'G-code goes straight to a printer')
  await page.click('[data-testid=submit]')
  await page.waitForURL(/#\/job\//, { timeout: SEEN_TIMEOUT_MS })
  const jobId = decodeURIComponent(page.url().split('#/job/')[1])

  await page.click('nav >> text=Printers')
  const card = page.locator('[data-testid=printer][data-printer=flaky][data-state=interrupted]')
  await card.waitFor({ timeout: SEEN_TIMEOUT_MS })
  const fromLine = Number(await card.locator('input[type=number]').inputValue())
  const checkpoint = pi.printers.get('flaky')?.status().interrupted
  assert.equal(checkpoint?.jobId, jobId)
  assert.equal(fromLine, (checkpoint?.lastAckedLine ?? 0) + 1, 'resume is offered from the line after the last one the printer acknowledged')
  assert.equal(await card.locator('button', { hasText: 'Resume from line' }).isEnabled(), true)
  await page.screenshot({ path: join(SCREENSHOTS, 'printer-interrupted.png'), fullPage: true })

  let asked = ''
  page.once('dialog', dialog => { asked = dialog.message(); void dialog.dismiss() })
  await card.locator('button', { hasText: 'Abandon' }).click()
  assert.match(asked, /Abandon/)
  assert.equal(await page.locator('[data-testid=printer][data-printer=flaky]').getAttribute('data-state'), 'interrupted', 'a dismissed confirmation does nothing')
  page.once('dialog', dialog => { void dialog.accept() })
  await card.locator('button', { hasText: 'Abandon' }).click()
  await page.locator('[data-testid=printer][data-printer=flaky][data-state=bed-occupied]').waitFor({ timeout: SEEN_TIMEOUT_MS })
  await page.goto(`${httpUrl(pi)}/#/job/${encodeURIComponent(jobId)}`)
  await page.locator('[data-testid=job-state]', { hasText: 'failed' }).waitFor({ timeout: SEEN_TIMEOUT_MS })
  assert.deepEqual(problems, [], 'the page threw no errors')
})
