import { expect, test } from '@playwright/test'
import { expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test('the health commission sees counts by district, small ones suppressed', async ({ page }) => {
  await signIn(page, 'regulator-1')
  await expect(page).toHaveURL(/\/dashboard$/)
  const cards = page.getByTestId('indicators')
  // The city of the tests has 60 residents (and their duplicates in the registry).
  await expect(cards).toContainText('居民')
  const districts = page.getByTestId('districts').locator('tbody tr')
  await expect(districts.first()).toBeVisible()
  // In a city of 60, some district counts are under 5: shown as "<5", never as the number.
  const text = await page.getByTestId('districts').innerText()
  expect(text).toMatch(/<5/)
  expect(text).not.toMatch(/(^|\s)[1-4](\s|$)/)
  await expect(page.locator('canvas').first()).toBeVisible()
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
