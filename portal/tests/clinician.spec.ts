import { expect, test } from '@playwright/test'
import { STRANGER_CARD } from './accounts'
import { expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test("a clinician finds a patient and opens the shared record", async ({ page }) => {
  await signIn(page, 'clinician-1')
  await expect(page).toHaveURL(/\/clinician$/)
  await expectNoSeriousViolations(page)
  // By name in characters, in pinyin, then by citizen ID number: each finds pat-1, cared for
  // here.
  const name = process.env.KANGYUN_TEST_PATIENT_NAME!
  await page.getByTestId('patient-query').fill(name)
  await page.getByRole('button', { name: '查找' }).click()
  const rows = page.getByTestId('patients').locator('tbody tr')
  await expect(rows.first()).toContainText(name)
  // In pinyin, as a clinician types it without the characters.
  await page.getByTestId('patient-query').fill(process.env.KANGYUN_TEST_PATIENT_PINYIN!.toLowerCase())
  await page.getByRole('button', { name: '查找' }).click()
  await expect(rows.first()).toContainText(name)
  await page.getByTestId('patient-query').fill(process.env.KANGYUN_TEST_PATIENT_CID!)
  await page.getByRole('button', { name: '查找' }).click()
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(name)
  await rows.first().click()
  await expect(page.getByTestId('timeline').locator('.el-timeline-item').first()).toBeVisible()
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'clinician-record')
  // Grouped by the institutions that recorded it, each named.
  await page.getByText('按机构').click()
  const groups = page.getByTestId('institution-group')
  await expect(groups.first().locator('h4')).toHaveText(/(医院|卫生|社区|诊所|养老)/)
  await expect(groups.first().locator('.el-timeline-item').first()).toBeVisible()
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'clinician-record-by-institution')
})

test('a clinician opens a record outside their care only by break-glass, with a reason', async ({ page }) => {
  await signIn(page, 'clinician-1')
  await page.getByTestId('patient-query').fill(STRANGER_CARD)
  await page.getByRole('button', { name: '查找' }).click()
  // Outside the institution's care the API finds no one.
  await expect(page.getByTestId('patients')).toContainText('未找到患者')
  await page.getByTestId('break-glass').click()
  await page.getByTestId('break-glass-reason').fill('急诊抢救 emergency')
  await page.getByRole('button', { name: '确认紧急访问' }).click()
  const rows = page.getByTestId('patients').locator('tbody tr')
  await expect(rows.first()).toContainText('欧阳远客')
  await expect(page.getByTestId('break-glass-on')).toContainText('急诊抢救 emergency')
  await rows.first().click()
  await expect(page.getByText('共享健康记录')).toBeVisible()
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'clinician-break-glass')
})
