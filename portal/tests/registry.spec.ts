import { expect, test } from '@playwright/test'
import { expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test('a registry operator links a second registration to its person, then undoes it', async ({ page }) => {
  await signIn(page, 'admin-1')
  await expect(page).toHaveURL(/\/registry$/)
  const review = page.getByTestId('review').first()
  // The two records side by side: the same name, the new one without an ID number.
  await expect(review).toContainText('新登记记录')
  await expect(review).toContainText('候选记录')
  await expect(review).toContainText('匹配概率')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'registry-review')
  await review.getByRole('button', { name: '同一人：关联' }).click()
  await expect(review.getByTestId('decision')).toContainText('已关联为同一人')
  await review.getByRole('button', { name: '撤销' }).click()
  await expect(review.getByTestId('decision')).toContainText('已撤销')
  // Decided: the queue no longer holds it.
  await page.reload()
  await signIn(page, 'admin-1', '/registry')
  await expect(page.getByText('没有待审核的记录')).toBeVisible()
})

test('an administrator moves between the registry and the patient search', async ({ page }) => {
  await signIn(page, 'admin-1')
  await page.getByRole('link', { name: '查找患者' }).click()
  await expect(page).toHaveURL(/\/clinician$/)
  await page.getByRole('link', { name: '注册管理' }).click()
  await expect(page).toHaveURL(/\/registry$/)
})

test('an administrator searches the audit trail by resident and for failures', async ({ page, request }) => {
  // Something to find: a request without a token (refused, and recorded as a failure) and an
  // administrator's look at pat-1's record.
  expect((await request.get('/fhir/Patient/pat-1')).status()).toBe(401)
  await signIn(page, 'admin-1')
  await page.getByRole('link', { name: '查找患者' }).click()
  await page.getByTestId('patient-query').fill(process.env.KANGYUN_TEST_PATIENT_CID!)
  await page.getByRole('button', { name: '查找' }).click()
  await page.getByTestId('patients').locator('tbody tr').first().click()
  await expect(page.getByTestId('timeline')).toBeVisible()

  await page.getByRole('link', { name: '审计日志' }).click()
  await expect(page).toHaveURL(/\/audit$/)
  const trail = page.getByTestId('access-list')
  await expect(trail.locator('tbody tr').first()).toBeVisible()
  // pat-1's records: every row names pat-1.
  await page.getByTestId('audit-patient').fill('pat-1')
  await page.getByRole('button', { name: '查找' }).click()
  await expect(trail.locator('tbody tr').first()).toContainText('Patient/pat-1')
  const residents = await trail.locator('tbody tr td:nth-child(4)').allInnerTexts()
  expect(residents.every((r) => r.includes('Patient/pat-1'))).toBe(true)
  // Failures only: the refused request is among them, and every row shows 失败.
  await page.getByTestId('audit-patient').fill('')
  await page.getByLabel('仅看失败').check()
  await page.getByRole('button', { name: '查找' }).click()
  await expect(trail.locator('tbody tr').first()).toContainText('失败')
  const outcomes = await trail.locator('tbody tr td:nth-child(5)').allInnerTexts()
  expect(outcomes.every((o) => o.includes('失败'))).toBe(true)
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'admin-audit')
})
