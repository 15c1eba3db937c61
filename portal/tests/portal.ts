// What the browser tests share: signing in through the platform's login page, screenshots of
// every screen in both languages, and the accessibility check.
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'
import { PASSWORD } from './accounts'

export async function signIn(page: Page, username: string, start = '/'): Promise<void> {
  await page.goto(start)
  await page.getByTestId('sign-in').click()
  await completeLogin(page, username)
}

// On the platform's own login page (/auth/authorize).
export async function completeLogin(page: Page, username: string): Promise<void> {
  await page.waitForURL(/\/auth\/authorize/)
  await page.getByLabel('用户名 Username').fill(username)
  await page.getByLabel('密码 Password').fill(PASSWORD)
  await page.getByRole('button', { name: '登录 Sign in' }).click()
}

// A screenshot in Chinese and one in English, kept in test-results/screens/.
export async function screenshotBothLanguages(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.zh-CN.png`, fullPage: true })
  await page.getByTestId('language').click()
  await expect(page.locator('html')).toHaveAttribute('lang', 'en')
  await page.screenshot({ path: `test-results/screens/${name}.en.png`, fullPage: true })
  await page.getByTestId('language').click()
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN')
}

export async function expectNoSeriousViolations(page: Page): Promise<void> {
  // Colours are checked as they end up, not halfway through a fade-in.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'))
  const result = await new AxeBuilder({ page }).analyze()
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([])
}
