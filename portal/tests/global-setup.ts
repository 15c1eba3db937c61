// Generates a small synthetic city, loads it, adds the demo accounts and the portal's client,
// and starts `kangyun serve --auth` with the built portal; stops it when the tests end.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { accounts, PASSWORD, STRANGER_CARD, TOKEN_SECONDS } from './accounts'

const root = resolve(import.meta.dirname, '..', '..')
const binary = process.env.KANGYUN_BINARY ?? join(root, 'build', 'kangyun')

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no server at ${url}`)
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const work = mkdtempSync(join(tmpdir(), 'kangyun-portal-'))
  const db = `sqlite:${join(work, 'city.db')}`
  const run = (...args: string[]) => execFileSync(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  run('generate', '--residents', '60', '--seed', '2026', '--out', join(work, 'city'))
  run('load', '--db', db, join(work, 'city'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  const origin = `http://127.0.0.1:${port}`
  // The clinician works at the hospital that cared for pat-1.
  const encounter = readFileSync(join(work, 'city', 'Encounter.ndjson'), 'utf8')
    .split('\n')
    .find((l) => l.includes('"Patient/pat-1"'))
  const hospital = /"serviceProvider":\{"reference":"Organization\/([^"]+)"/.exec(encounter ?? '')?.[1]
  if (!hospital) throw new Error('no hospital for pat-1 in the city')
  run('user', 'add', '--db', db, '--username', 'clinician-1', '--role', 'clinician',
    '--organization', hospital, '--display', '医生 Clinician', '--password', PASSWORD)
  // pat-1's name and citizen ID number, for the clinician's search.
  const patient = JSON.parse(
    readFileSync(join(work, 'city', 'Patient.ndjson'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"id":"pat-1"')) ?? '{}',
  ) as { name?: { text?: string; use?: string }[]; identifier?: { system?: string; value?: string }[] }
  process.env.KANGYUN_TEST_PATIENT_NAME = patient.name?.[0]?.text ?? ''
  // The name in pinyin, as the synthetic city writes it beside the characters (use "usual").
  process.env.KANGYUN_TEST_PATIENT_PINYIN = patient.name?.find((n) => n.use === 'usual')?.text ?? ''
  process.env.KANGYUN_TEST_PATIENT_CID =
    patient.identifier?.find((i) => i.system === 'urn:oid:2.16.156.10011.1.3')?.value ?? ''
  // An insurer: a role the portal has no screen for yet.
  run('user', 'add', '--db', db, '--username', 'insurer-1', '--role', 'insurer',
    '--organization', hospital, '--display', '医保 Insurer', '--password', PASSWORD)
  for (const a of accounts)
    run('user', 'add', '--db', db, '--username', a.username, '--role', a.role, ...a.binding,
      '--display', a.display, '--password', PASSWORD)
  run('client', 'add', '--db', db, '--id', 'kangyun-portal', '--role', 'clinician',
    '--organization', 'platform', '--redirect-uri', `${origin}/callback`)
  const server = spawn(binary, ['serve', '--db', db, '--auth', '--port', String(port),
    '--portal', join(root, 'portal', 'dist'), '--access-token-seconds', String(TOKEN_SECONDS),
    // A retry window of 1.8 s, so that a notification to a dead endpoint is undelivered soon.
    '--subscription-http-endpoints', '--subscription-retry-hours', '0.0005'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  server.stderr.on('data', (d) => (log += d))
  await waitFor(`${origin}/healthz`).catch((e) => {
    server.kill()
    throw new Error(`${e}\n${log}`)
  })
  process.env.KANGYUN_PORTAL_URL = origin
  // A second registration of pat-2 through the API (name, sex and birth date, no ID number):
  // the person registry queues it for review.
  const token = execFileSync(join(root, 'scripts', 'token'),
    ['admin-1', PASSWORD, origin, 'kangyun-portal', `${origin}/callback`]).toString().trim()
  const twin = JSON.parse(
    readFileSync(join(work, 'city', 'Patient.ndjson'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"id":"pat-2"')) ?? '{}',
  ) as { name?: unknown[]; gender?: string; birthDate?: string }
  const posted = await fetch(`${origin}/fhir/Patient`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Patient',
      name: twin.name?.slice(0, 1),
      gender: twin.gender,
      birthDate: twin.birthDate,
    }),
  })
  if (posted.status !== 201) throw new Error(`registering pat-2 again: HTTP ${posted.status}`)
  // A subscription whose endpoint never answers: the reminder below cannot be delivered to
  // it, and the administrator finds it among the undelivered notifications.
  const subscription = await fetch(`${origin}/fhir/Subscription`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'requested',
      reason: '提醒推送到停用的系统 Reminders to a retired system',
      criteria: 'Communication?subject=Patient/pat-1',
      channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook', payload: 'application/fhir+json' },
    }),
  })
  if (subscription.status !== 201) throw new Error(`subscribing: HTTP ${subscription.status}`)
  // A reminder sent to pat-1, as the reminders service sends them (docs/reminders.md).
  const reminder = await fetch(`${origin}/fhir/Communication`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Communication',
      status: 'completed',
      category: [{ coding: [{ system: 'https://kangyun.cn/fhir/CodeSystem/notification', code: 'reminder' }] }],
      subject: { reference: 'Patient/pat-1' },
      recipient: [{ reference: 'Patient/pat-1' }],
      sent: new Date().toISOString(),
      payload: [{ contentString: '明天上午九点复诊 Follow-up tomorrow at 9:00' }],
    }),
  })
  if (reminder.status !== 201) throw new Error(`sending a reminder: HTTP ${reminder.status}`)
  // A resident no institution cares for: a clinician reaches them only by break-glass.
  const stranger = await fetch(`${origin}/fhir/Patient`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Patient',
      identifier: [{ system: 'https://kangyun.cn/fhir/sid/health-card', value: STRANGER_CARD }],
      name: [{ use: 'official', text: '欧阳远客', family: '欧阳', given: ['远客'] }],
      gender: 'male',
      birthDate: '1950-03-03',
    }),
  })
  if (stranger.status !== 201) throw new Error(`registering a stranger: HTTP ${stranger.status}`)
  return async () => {
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
    rmSync(work, { recursive: true, force: true })
  }
}
