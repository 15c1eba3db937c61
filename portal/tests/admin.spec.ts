import { expect, test } from '@playwright/test'
import { PASSWORD } from './accounts'
import { completeLogin, expectNoSeriousViolations, screenshotBothLanguages, signIn } from './portal'

test('an administrator creates a clinician who then signs in, and disables them again', async ({ page, browser }) => {
  await signIn(page, 'admin-1', '/admin')
  const users = page.getByTestId('users')
  await expect(users).toContainText('admin-1')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'admin-users')

  // A clinician without an institution is refused, and the form says which field to correct.
  await page.getByTestId('new-user').click()
  await page.getByTestId('form-username').fill('doctor-new')
  await page.getByTestId('form-display').fill('医生 新')
  await page.getByTestId('form-password').fill(PASSWORD)
  await page.getByTestId('form-save').click()
  await expect(page.getByTestId('form-error')).toContainText('请检查“所属机构（Organization ID）”')
  await page.getByTestId('form-organization').fill('org-1')
  await page.getByTestId('form-save').click()
  await expect(users).toContainText('doctor-new')

  // The new account works at once: its holder reaches the clinician's screen.
  const other = await browser.newPage()
  await other.goto('/')
  await other.getByTestId('sign-in').click()
  await completeLogin(other, 'doctor-new')
  await expect(other).toHaveURL(/\/clinician$/)
  await expect(other.getByTestId('user-name')).toContainText('医生 新')

  // Disabled, it cannot sign in.
  await page.getByTestId('user-query').fill('doctor-new')
  await page.getByRole('button', { name: '查找' }).first().click()
  await expect(users.locator('tbody tr')).toHaveCount(1)
  await page.getByTestId('toggle-doctor-new').click()
  await expect(users.locator('tbody tr').first()).toContainText('已停用')
  const third = await browser.newPage()
  await third.goto('/')
  await third.getByTestId('sign-in').click()
  await completeLogin(third, 'doctor-new')
  await expect(third.getByText('用户名或密码错误 Wrong username or password')).toBeVisible()
})

test('an administrator registers a hospital system and sees the roles with their accounts', async ({ page }) => {
  await signIn(page, 'admin-1', '/admin')
  await page.getByRole('tab', { name: '系统与应用' }).click()
  const clients = page.getByTestId('clients')
  await expect(clients).toContainText('kangyun-portal')
  await page.getByTestId('new-client').click()
  await page.getByTestId('client-id').fill('his-new')
  await page.getByTestId('client-name').fill('新医院 HIS')
  await page.getByTestId('client-organization').fill('org-1')
  await page.getByTestId('client-save').click()
  // Neither a key nor a redirect URI: refused, naming what is missing.
  await expect(page.getByTestId('client-error')).toContainText('公钥')
  await page.getByTestId('client-redirects').fill('https://his-new.example.cn/callback')
  await page.getByTestId('client-save').click()
  await expect(clients).toContainText('his-new')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'admin-clients')

  await page.getByRole('tab', { name: '角色' }).click()
  const roles = page.getByTestId('roles')
  // Six people of the demo are administrators, residents, regulators...: the counts are the API's.
  await expect(roles.locator('tbody tr').filter({ hasText: '管理员' })).toContainText('1')
  await expect(roles.locator('tbody tr').filter({ hasText: '监管人员' })).toContainText('1')
  await screenshotBothLanguages(page, 'admin-roles')
})

test('an administrator finds an undelivered notification and resumes its delivery', async ({ page }) => {
  await signIn(page, 'admin-1', '/admin')
  await page.getByRole('tab', { name: '未送达的通知' }).click()
  const undelivered = page.getByTestId('undelivered')
  // The retry window of the test server is 1.8 s; the subscription is in error soon after.
  await expect(async () => {
    await page.getByRole('tab', { name: '用户' }).click()
    await page.getByRole('tab', { name: '未送达的通知' }).click()
    await expect(undelivered).toContainText('Reminders to a retired system', { timeout: 2000 })
  }).toPass({ timeout: 30000 })
  await expect(undelivered).toContainText('http://127.0.0.1:9/hook')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'admin-undelivered')
  await undelivered.getByRole('button', { name: '恢复推送' }).first().click()
  await expect(undelivered).toContainText('已恢复')
})

test('a registry clerk looks up institutions and health workers, and an administrator renames one', async ({ page }) => {
  await signIn(page, 'admin-1', '/registry')
  await page.getByRole('tab', { name: '医疗卫生机构' }).click()
  const institutions = page.getByTestId('institutions')
  await expect(institutions.locator('tbody tr').first()).toBeVisible()
  const first = (await institutions.locator('tbody tr td').first().innerText()).trim()
  await page.getByTestId('institution-query').fill(first.slice(0, 2))
  await page.getByTestId('institution-query').press('Enter')
  await expect(institutions.locator('tbody tr').first()).toContainText(first.slice(0, 2))
  await screenshotBothLanguages(page, 'registry-institutions')

  await page.getByRole('tab', { name: '卫生人员' }).click()
  const workers = page.getByTestId('workers')
  await expect(workers.locator('tbody tr').first()).toBeVisible()
  // Each post shows its institution by name, not by id.
  await expect(workers.locator('tbody tr').first().locator('td').nth(3)).not.toContainText('Organization/')
  await expectNoSeriousViolations(page)
  await screenshotBothLanguages(page, 'registry-workers')

  // The administrator's copy of the register may be changed; the change is the API's.
  await signIn(page, 'admin-1', '/admin')
  await page.getByRole('tab', { name: '医疗卫生机构' }).click()
  const editable = page.getByTestId('institutions')
  const query = page.getByTestId('institution-query')
  const find = async (text: string) => {
    await query.fill(text)
    await query.press('Enter')
    await expect(editable.locator('tbody tr').first()).toContainText(text)
  }
  await find(first)
  await screenshotBothLanguages(page, 'admin-institutions')
  await editable.locator('tbody tr').first().getByRole('button', { name: '修改' }).click()
  const name = page.getByTestId('institution-name')
  await name.fill('康云测试医院 Renamed hospital')
  await page.getByTestId('institution-save').click()
  await find('康云测试医院')
  // And back, for the other tests.
  await editable.locator('tbody tr').first().getByRole('button', { name: '修改' }).click()
  await name.fill(first)
  await page.getByTestId('institution-save').click()
  await find(first)
})
