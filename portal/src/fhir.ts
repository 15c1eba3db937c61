// The portal's only way to the platform: the public FHIR API with the user's token, under the
// same reach rules and audit as any connected system. A 401 (the token expired) sends the user
// to sign in again and back to the screen they were on.
import { session, signIn, signOut } from './auth/session'

export interface Bundle<T = FhirResource> {
  resourceType: 'Bundle'
  total?: number
  link?: { relation: string; url: string }[]
  entry?: { resource: T; search?: { mode?: string } }[]
}

export interface FhirResource {
  resourceType: string
  id?: string
  [key: string]: unknown
}

// A resource's JSON, read field by field: `obj` and `str` give {} and '' for what is absent.
export type Json = Record<string, unknown>
export const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {})
export const str = (v: unknown): string => (typeof v === 'string' ? v : '')

export class FhirError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly expression = '', // the offending element an OperationOutcome names
  ) {
    super(message)
  }
}

// The diagnostics of an OperationOutcome, or the status.
async function errorOf(res: Response): Promise<FhirError> {
  try {
    const oo = (await res.json()) as { issue?: { diagnostics?: string; expression?: string[] }[] }
    const text = oo.issue?.map((i) => i.diagnostics).filter(Boolean).join('; ')
    return new FhirError(res.status, text || `HTTP ${res.status}`, oo.issue?.[0]?.expression?.[0] ?? '')
  } catch {
    return new FhirError(res.status, `HTTP ${res.status}`)
  }
}

// `headers`: for a clinician's break-glass access, `X-Break-Glass: <reason>` (docs/security.md).
export function fhirGet<T = FhirResource>(path: string, headers: Record<string, string> = {}): Promise<T> {
  return request<T>('GET', path, undefined, headers)
}

// Every resource a search matches, following its pages.
export async function fhirGetAll(path: string): Promise<FhirResource[]> {
  const all: FhirResource[] = []
  let url: string | undefined = path
  while (url) {
    const page: Bundle = await fhirGet<Bundle>(url)
    all.push(...resourcesOf(page))
    url = nextLink(page)
  }
  return all
}

export function fhirPost<T = FhirResource>(path: string, body: unknown): Promise<T> {
  return request<T>('POST', path, body)
}

// `headers`: If-Match, so that a change made meanwhile by someone else is refused.
export function fhirPut<T = FhirResource>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  return request<T>('PUT', path, body, headers)
}

export function fhirDelete(path: string): Promise<unknown> {
  return request('DELETE', path)
}

// The administrators' account API (/auth/admin/users, /auth/admin/clients): plain JSON, with
// errors as OperationOutcomes like the FHIR API's.
export function accountGet<T>(path: string): Promise<T> {
  return request<T>('GET', `/auth/admin/${path}`)
}

export function accountPut<T>(path: string, body: unknown): Promise<T> {
  return request<T>('PUT', `/auth/admin/${path}`, body)
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<T> {
  // Paging links are absolute, the account API is under /auth; everything else is under /fhir.
  const url = path.startsWith('http') || path.startsWith('/auth/') ? path : `/fhir/${path.replace(/^\//, '')}`
  const res = await fetch(url, {
    method,
    headers: {
      Accept: 'application/fhir+json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
      ...(session.token ? { Authorization: `Bearer ${session.token}` } : {}),
      ...extra,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 401) {
    const here = window.location.pathname + window.location.search
    signOut()
    await signIn(here)
    throw new FhirError(401, 'signed out')
  }
  if (!res.ok) throw await errorOf(res)
  const text = await res.text() // a DELETE answers 204 with no body
  return (text ? JSON.parse(text) : undefined) as T
}

// What a failed request or sign-in says, for showing to the user.
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export function resourcesOf<T = FhirResource>(b: Bundle<T>): T[] {
  return (b.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource)
}

export function nextLink(b: Bundle): string | undefined {
  return b.link?.find((l) => l.relation === 'next')?.url
}
