// What a resident's record shows of each resource: its kind, when, and a line of text.
import { obj, str, type FhirResource, type Json } from './fhir'

export interface RecordItem {
  id: string
  kind: string
  when: string
  text: string
  institution?: string // "Organization/…": the encounter's service provider
  encounter?: string // "Encounter/…" the resource was recorded in
}


function conceptText(v: unknown): string {
  const c = obj(v)
  if (str(c.text)) return str(c.text)
  const coding = Array.isArray(c.coding) ? (c.coding as Json[]) : []
  return coding.map((x) => str(x.display) || str(x.code)).find(Boolean) ?? ''
}

function valueText(r: Json): string {
  const q = obj(r.valueQuantity)
  if (q.value !== undefined) return `${q.value} ${str(q.unit) || str(q.code)}`.trim()
  const parts = Array.isArray(r.component) ? (r.component as Json[]) : []
  const values = parts
    .map((p) => obj(p.valueQuantity))
    .filter((q2) => q2.value !== undefined)
    .map((q2) => String(q2.value))
  if (values.length) return `${values.join('/')} ${str(obj(obj(parts[0]).valueQuantity).unit)}`.trim()
  return str(r.valueString) || conceptText(r.valueCodeableConcept)
}

const WHEN: Record<string, string[]> = {
  Encounter: ['period.start'],
  Condition: ['onsetDateTime', 'recordedDate'],
  Observation: ['effectiveDateTime', 'issued'],
  MedicationRequest: ['authoredOn'],
  Immunization: ['occurrenceDateTime'],
  ImagingStudy: ['started'],
  DiagnosticReport: ['effectiveDateTime', 'issued'],
}

function at(r: Json, path: string): string {
  let v: unknown = r
  for (const k of path.split('.')) v = obj(v)[k]
  return str(v)
}

export function toRecordItem(resource: FhirResource): RecordItem | null {
  const r = resource as Json
  const kind = resource.resourceType
  const paths = WHEN[kind]
  if (!paths) return null
  const when = paths.map((p) => at(r, p)).find(Boolean) ?? ''
  let text = ''
  switch (kind) {
    case 'Encounter':
      text = conceptText((r.type as unknown[] | undefined)?.[0]) || conceptText(r.serviceType)
      break
    case 'Observation': {
      const v = valueText(r)
      text = conceptText(r.code) + (v ? `: ${v}` : '')
      break
    }
    case 'MedicationRequest':
      text = conceptText(r.medicationCodeableConcept)
      break
    case 'Immunization':
      text = conceptText(r.vaccineCode)
      break
    case 'ImagingStudy':
      text = str(r.description) || conceptText((r.procedureCode as unknown[] | undefined)?.[0])
      break
    default:
      text = conceptText(r.code)
  }
  const provider = str(obj(r.serviceProvider).reference)
  const encounter = str(obj(r.encounter).reference) || str(obj(r.context).reference)
  return {
    id: `${kind}/${resource.id ?? ''}`,
    kind,
    when,
    text,
    institution: provider || undefined,
    encounter: encounter.startsWith('Encounter/') ? encounter : undefined,
  }
}

// Each item's institution: its own, or that of the encounter it was recorded in.
export function withInstitutions(items: RecordItem[]): RecordItem[] {
  const of = new Map(items.filter((i) => i.kind === 'Encounter').map((i) => [i.id, i.institution]))
  return items.map((i) => (i.institution || !i.encounter ? i : { ...i, institution: of.get(i.encounter) }))
}
