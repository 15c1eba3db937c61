// Times the portal in Debian's Chromium against a running server (make demo):
//   node bench/measure.mjs ORIGIN USER PASSWORD CITIZEN_ID
// prints the first screen's first contentful paint (a fresh browser, nothing cached) and the
// time from choosing a patient to their record's first page drawn. Five runs each; medians.
import { chromium } from '@playwright/test'

const [origin, user, password, citizenId] = process.argv.slice(2)
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const paints = []
const records = []
for (let run = 0; run < 5; run++) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args })
  const page = await browser.newPage()
  await page.goto(`${origin}/login`)
  await page.getByText('登录', { exact: true }).waitFor()
  paints.push(await page.evaluate(() =>
    performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN))
  await page.getByText('登录', { exact: true }).click()
  await page.getByLabel('用户名 Username').fill(user)
  await page.getByLabel('密码 Password').fill(password)
  await page.getByRole('button', { name: '登录 Sign in' }).click()
  // An administrator starts at the registry; a reload would lose the token held in memory.
  await page.getByRole('link', { name: '查找患者' }).click()
  await page.locator('[data-test=patient-query]').fill(citizenId)
  await page.getByRole('button', { name: '查找' }).click()
  const row = page.locator('[data-test=patients] tbody tr').first()
  await row.waitFor()
  const t0 = Date.now()
  await row.click()
  await page.locator('[data-test=timeline] .el-timeline-item').first().waitFor()
  records.push(Date.now() - t0)
  await browser.close()
}
console.log(JSON.stringify({ firstContentfulPaintMs: median(paints), recordOpenMs: median(records), paints, records }))
