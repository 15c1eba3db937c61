import { expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { PASSWORD } from './accounts'
import { expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test('the health commission sees the plans\' indicators by district, small counts suppressed', async ({ page }) => {
  await signIn(page, 'regulator-1')
  await expect(page).toHaveURL(/\/dashboard$/)
  const cards = page.getByTestId('indicators')
  await expect(cards).toContainText('每千人口床位数')
  await expect(cards).toContainText('老年人健康管理率')
  await expect(cards).toContainText('健康档案完整率')
  // An indicator is the API's two counts, as a regulator may ask them: complete records
  // (citizen ID, sex, birth date, address, phone) among residents.
  const token = execFileSync(join(import.meta.dirname, '..', '..', 'scripts', 'token'), [
    'regulator-1', PASSWORD, process.env.KANGYUN_PORTAL_URL!, 'kangyun-portal', `${process.env.KANGYUN_PORTAL_URL}/callback`,
  ]).toString().trim()
  const total = async (query: string) =>
    ((await (await page.request.get(`/fhir/${query}&_summary=count`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { total?: number }).total
  const complete = await total(
    'Patient?identifier=urn:oid:2.16.156.10011.1.3|&gender:missing=false&birthdate:missing=false&address:missing=false&phone:missing=false',
  )
  const residents = await total('Patient?_count=0')
  expect(complete).toBeGreaterThanOrEqual(5)
  await expect(page.getByTestId('indicator-complete')).toContainText(`${((complete! * 100) / residents!).toFixed(1)}%`)
  // The beds of a city of 60 are fewer than 5: the server withholds the count from a
  // regulator, and the dashboard shows neither it nor the rate made with it.
  expect(await total('Location?physical-type=bd')).toBeUndefined()
  await expect(page.getByTestId('indicator-beds')).toContainText('计数 <5')
  await expect(page.getByTestId('indicator-beds')).toContainText('目标 8.3')

  const districts = page.getByTestId('districts').locator('tbody tr')
  await expect(districts.first()).toBeVisible()
  // In a city of 60, some district counts are under 5: shown as "<5", never as the number,
  // and the rates made with them are left out.
  const text = await page.getByTestId('districts').innerText()
  expect(text).toMatch(/<5/)
  expect(text).toMatch(/—/)
  expect(text).not.toMatch(/(^|\s)[1-4](\s|$)/)
  await expect(page.locator('canvas').first()).toBeVisible()
  // Another indicator's chart, and a district's institutions on a click.
  await page.getByTestId('indicator-nurses').click()
  await expect(page.getByRole('heading', { name: /每千人口注册护士数/ })).toBeVisible()
  await districts.first().click()
  const institutions = page.getByTestId('district-institutions')
  await expect(institutions.locator('tbody tr').first()).toBeVisible()
  await expect(institutions).toContainText('床位')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'dashboard')
})

test('a regulator stays on their own screen', async ({ page }) => {
  await signIn(page, 'regulator-1')
  await expect(page).toHaveURL(/\/dashboard$/)
  // A resident's screen is not the regulator's (nor would the API give them the record).
  await page.evaluate(() => window.history.pushState({}, '', '/resident'))
  await page.evaluate(() => window.dispatchEvent(new PopStateEvent('popstate')))
  await expect(page).toHaveURL(/\/dashboard$/)
})

test('a role without a screen yet is told so, not left on a blank page', async ({ page }) => {
  await signIn(page, 'insurer-1')
  await expect(page).toHaveURL(/\/none$/)
  await expect(page.getByRole('heading', { name: '暂无页面' })).toBeVisible()
})
