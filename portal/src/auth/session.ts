// The signed-in user's session: SMART App Launch (authorization code with PKCE) against the
// platform's own /auth. The access token lives in this module's memory only, never in
// localStorage or sessionStorage: a reload or a new tab signs in again. Only the PKCE verifier
// and state cross the redirect to the login page, in sessionStorage, and are removed on return.
import { reactive } from 'vue'

export const CLIENT_ID = 'kangyun-portal'
const PENDING = 'kangyun.pendingLogin'
const RETURN_TO = 'kangyun.returnTo'

export interface User {
  name: string
  role: string // resident, clinician, family-doctor, elder-care, regulator, insurer, admin
  patient?: string
  organization?: string
  practitioner?: string
}

export const session = reactive<{ token: string | null; expires: number; user: User | null }>({
  token: null,
  expires: 0,
  user: null,
})

export function redirectUri(): string {
  return `${window.location.origin}/callback`
}

function base64Url(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)))
}

// Sends the browser to the login page; `returnTo` is where to come back to afterwards.
export async function signIn(returnTo = '/'): Promise<void> {
  const verifier = randomString()
  const state = randomString()
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  )
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }))
  sessionStorage.setItem(RETURN_TO, returnTo)
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    state,
    aud: `${window.location.origin}/fhir`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  window.location.assign(`/auth/authorize?${q}`)
}

function claimsOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? ''
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0))
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
}

// Completes a sign-in on the callback page; returns where the user was going.
export async function completeSignIn(params: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string
    state: string
  } | null
  sessionStorage.removeItem(PENDING)
  const error = params.get('error')
  if (error) throw new Error(params.get('error_description') ?? error)
  if (!pending || params.get('state') !== pending.state) throw new Error('state')
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: params.get('code') ?? '',
    redirect_uri: redirectUri(),
    client_id: CLIENT_ID,
    code_verifier: pending.verifier,
  })
  const res = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  })
  const out = (await res.json()) as { access_token?: string; expires_in?: number; error_description?: string }
  if (!res.ok || !out.access_token) throw new Error(out.error_description ?? `HTTP ${res.status}`)
  const c = claimsOf(out.access_token)
  session.token = out.access_token
  session.expires = Date.now() + (out.expires_in ?? 0) * 1000
  session.user = {
    name: String(c.name ?? c.sub ?? ''),
    role: String(c.role ?? ''),
    patient: c.patient ? String(c.patient) : undefined,
    organization: c.organization ? String(c.organization) : undefined,
    practitioner: c.practitioner ? String(c.practitioner) : undefined,
  }
  const back = sessionStorage.getItem(RETURN_TO) ?? '/'
  sessionStorage.removeItem(RETURN_TO)
  return back.startsWith('/') && !back.startsWith('//') ? back : '/'
}

export function signOut(): void {
  session.token = null
  session.expires = 0
  session.user = null
}

// Where a user of this role starts.
export function homeOf(user: User | null): string {
  switch (user?.role) {
    case undefined:
    case '':
      return '/login'
    case 'resident':
      return '/resident'
    case 'regulator':
      return '/dashboard'
    case 'admin':
      return '/registry'
    case 'clinician':
    case 'family-doctor':
    case 'elder-care':
      return '/clinician'
    default:
      return '/none' // an insurer's screens are to come
  }
}
