import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { packageRoot } from '../../src/paths.js'
import { skipOutsideCi } from '../skip-reason.js'
import type { TestContext } from 'node:test'

/** Debian's chromium, which .ci/run installs; playwright's own browser download cannot work here. */
export const CHROMIUM = process.env.MESHNODE_CHROMIUM ?? '/usr/bin/chromium'

/** Where the dashboard tests write their screenshots (gitignored). */
export const SCREENSHOTS = join(packageRoot(), 'test-output', 'screenshots')

/**
 * A headless Chromium, closed after the test. Without the binary the test is skipped with the reason (in CI it fails).
 */
export async function launchBrowser (t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    skipOutsideCi(t, `no Chromium at ${CHROMIUM} (apt-get install chromium, or set MESHNODE_CHROMIUM)`)
    return undefined
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] })
  t.after(async () => { await browser.close() })
  await mkdir(SCREENSHOTS, { recursive: true })
  return browser
}
