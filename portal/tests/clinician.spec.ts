import { expect, test } from '@playwright/test'
import { expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test("a clinician finds a patient and opens the shared record", async ({ page }) => {
  await signIn(page, 'clinician-1')
  await expect(page).toHaveURL(/\/clinician$/)
  await expectNoSeriousViolations(page)
  // By name in characters, then by citizen ID number: both find pat-1, cared for here.
  const name = process.env.KANGYUN_TEST_PATIENT_NAME!
  await page.getByTestId('patient-query').fill(name)
  await page.getByRole('button', { name: '查找' }).click()
  const rows = page.getByTestId('patients').locator('tbody tr')
  await expect(rows.first()).toContainText(name)
  await page.getByTestId('patient-query').fill(process.env.KANGYUN_TEST_PATIENT_CID!)
  await page.getByRole('button', { name: '查找' }).click()
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(name)
  await rows.first().click()
  await expect(page.getByTestId('timeline').locator('.el-timeline-item').first()).toBeVisible()
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'clinician-record')
})
