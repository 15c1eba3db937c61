import { expect, test } from '@playwright/test'
import { TOKEN_SECONDS } from './accounts'
import { completeLogin, expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test('a resident signs in, reads their record as a timeline and who accessed it', async ({ page }) => {
  await signIn(page, 'resident-1')
  await expect(page).toHaveURL(/\/resident$/)
  await expect(page.getByTestId('user-name')).toHaveText('居民 Resident pat-1')
  const timeline = page.getByTestId('timeline')
  await expect(timeline.locator('.el-timeline-item').first()).toBeVisible()
  // Dates as read in China: 2026年7月1日.
  await expect(timeline.locator('.el-timeline-item__timestamp').first()).toHaveText(/\d{4}年\d{1,2}月\d{1,2}日/)
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-timeline')

  await page.getByRole('tab', { name: '健康趋势' }).click()
  // Blood pressure over the year, drawn once the readings are in.
  await expect(page.getByTestId('trend-85354-9').locator('canvas')).toBeVisible()
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-trends')

  await page.getByRole('tab', { name: '谁查看了我的记录' }).click()
  const access = page.getByTestId('access-list')
  // Their own reads just now are among the accesses recorded.
  await expect(access.locator('tbody tr').first()).toBeVisible()
  await expect(access).toContainText('居民 Resident pat-1')
  await expect(access).toContainText('登录') // their sign-in, in their language
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-access')
})

test('the portal switches to English and back', async ({ page }) => {
  await signIn(page, 'resident-1')
  await page.getByTestId('language').click()
  await expect(page.getByRole('heading', { name: 'My health record' })).toBeVisible()
  await expect(page.getByRole('tab', { name: 'Who accessed my record' })).toBeVisible()
  await page.getByTestId('language').click()
  await expect(page.getByRole('heading', { name: '我的健康记录' })).toBeVisible()
})

test('a resident cannot open the clinician screen', async ({ page }) => {
  await signIn(page, 'resident-1')
  await expect(page).toHaveURL(/\/resident$/)
  await page.evaluate(() => window.history.pushState({}, '', '/clinician'))
  await page.evaluate(() => window.dispatchEvent(new PopStateEvent('popstate')))
  await expect(page).toHaveURL(/\/resident$/)
})

test('a token that expires mid-session leads to the login and back to the same place', async ({ page }) => {
  await signIn(page, 'resident-1')
  await expect(page.getByTestId('timeline')).toBeVisible()
  await page.waitForTimeout((TOKEN_SECONDS + 1) * 1000)
  await page.getByRole('tab', { name: '谁查看了我的记录' }).click()
  await completeLogin(page, 'resident-1')
  await expect(page).toHaveURL(/\/resident$/)
  await expect(page.getByTestId('timeline')).toBeVisible()
})

test('a resident lets an institution see their record, then withdraws it', async ({ page }) => {
  await signIn(page, 'resident-1')
  await page.getByRole('tab', { name: '我的授权' }).click()
  const consents = page.getByTestId('consents')
  await expect(consents).toContainText('暂无授权')
  await page.getByTestId('consent-institution').click()
  const first = page.getByRole('listbox', { name: '机构' }).getByRole('option').first()
  const institution = (await first.innerText()).trim()
  await first.click()
  await page.getByRole('button', { name: '保存' }).click()
  await expect(consents.locator('tbody tr')).toHaveCount(1)
  await expect(consents).toContainText('允许查看')
  await expect(consents).toContainText(institution)
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-consents')
  await consents.getByRole('button', { name: '撤销' }).click()
  await expect(consents).toContainText('暂无授权')
})

test("a resident sees their family doctor's contract", async ({ page }) => {
  await signIn(page, 'resident-1')
  await page.getByRole('tab', { name: '我的家庭医生' }).click()
  const card = page.getByTestId('family-doctor').locator('.el-card').first()
  // pat-1 of the test city holds a family-doctor contract with a community institution: its
  // name (not a reference), the term in 年月日 and the service package.
  await expect(card.locator('.el-card__header')).toHaveText(/(卫生|社区|医院)/)
  await expect(card).toContainText(/签约期：\d{4}年\d{1,2}月\d{1,2}日 至 \d{4}年/)
  await expect(card).toContainText('基础性签约服务包')
  // The team that serves them, with its members by name and role.
  await expect(card).toContainText('服务团队：家庭医生团队（')
  await expect(card).toContainText(/家庭医生 Family doctor：\S+/)
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-family-doctor')
})

test('a resident reads the reminders sent to them', async ({ page }) => {
  await signIn(page, 'resident-1')
  await page.getByRole('tab', { name: '我的消息' }).click()
  const messages = page.getByTestId('messages')
  await expect(messages).toContainText('明天上午九点复诊')
  await expect(messages).toContainText('就诊提醒')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'resident-messages')
})
