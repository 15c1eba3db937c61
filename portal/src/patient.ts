// What screens show of a Patient: name, citizen ID number, phone, home address.
import type { FhirResource, Json } from './fhir'

export const CITIZEN_ID = 'urn:oid:2.16.156.10011.1.3'

export function nameOf(p: FhirResource): string {
  const names = ((p as Json).name ?? []) as Json[]
  const n = names.find((x) => x.use === 'official') ?? names[0] ?? {}
  return String(n.text ?? `${n.family ?? ''}${((n.given ?? []) as string[]).join('')}`)
}

export function citizenIdOf(p: FhirResource): string {
  const ids = ((p as Json).identifier ?? []) as Json[]
  return String(ids.find((i) => i.system === CITIZEN_ID)?.value ?? '')
}

export function phoneOf(p: FhirResource): string {
  const telecom = ((p as Json).telecom ?? []) as Json[]
  return String(telecom.find((t) => t.system === 'phone')?.value ?? '')
}

export function addressOf(p: FhirResource): string {
  const a = ((((p as Json).address ?? []) as Json[])[0] ?? {}) as Json
  return String(a.text ?? [a.city, a.district, ...((a.line as string[] | undefined) ?? [])].filter(Boolean).join(''))
}
