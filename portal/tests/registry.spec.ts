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
  await page.getByRole('link', { name: '主索引审核' }).click()
  await expect(page).toHaveURL(/\/registry$/)
})
