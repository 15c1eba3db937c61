// The health commission's indicators (data/indicators.json): each a count over a population,
// both asked of the API with _summary=count. A count of 1 to 4 is suppressed (the server
// withholds it from regulators), and so is any ratio made with one: with the other count
// known, a ratio would tell it.
import spec from './data/indicators.json'
import { fhirGet, type Bundle } from './fhir'

export const SUPPRESS_BELOW = 5

export interface Indicator {
  key: string
  count: string
  district: string
  institution?: string
  per: keyof typeof spec.populations
  scale: number
  target?: number
  source: string
}
export const INDICATORS = spec.indicators as Indicator[]
export const POPULATIONS = spec.populations

// Where a count is narrowed to: a district (its name) or an institution (Organization id).
export interface Scope {
  district?: string
  institution?: string
}

// The day 65 years ago, in Asia/Shanghai: born on or before it is 65 or over.
function sixtyFiveYearsAgo(): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
  const [y, m, d] = today.split('-')
  return `${Number(y) - 65}-${m}-${d}`
}

export async function count(query: string, by: { param?: string; value?: string } = {}): Promise<number> {
  let q = query.replace('{age65}', sixtyFiveYearsAgo())
  if (by.param && by.value) q += `${q.includes('?') ? '&' : '?'}${by.param}=${encodeURIComponent(by.value)}`
  const b = await fhirGet<Bundle>(`${q}${q.includes('?') ? '&' : '?'}_summary=count`)
  // The server withholds a regulator's count under 5 (an outcome says so, no total): -1.
  return b.total ?? -1
}

// Withheld by the server, or small enough that the portal withholds it for anyone.
export const suppressed = (n: number) => n < 0 || (n > 0 && n < SUPPRESS_BELOW)

// The counts of every population and indicator in a district (or the whole city).
export async function countAll(district?: string): Promise<Record<string, number>> {
  const jobs: [string, Promise<number>][] = [
    ...Object.entries(POPULATIONS).map(([k, p]) => [k, count(p.query, { param: p.district, value: district })] as [string, Promise<number>]),
    ...INDICATORS.map((i) => [i.key, count(i.count, { param: i.district, value: district })] as [string, Promise<number>]),
  ]
  const values = await Promise.all(jobs.map(([, p]) => p))
  return Object.fromEntries(jobs.map(([k], n) => [k, values[n]]))
}

// An indicator's value from the counts: per 1,000 or per cent of its population; null when
// either count is suppressed or the population is empty.
export function valueOf(i: Indicator, counts: Record<string, number>): number | null {
  const part = counts[i.key] ?? 0
  const whole = counts[i.per] ?? 0
  if (!whole || suppressed(part) || suppressed(whole)) return null
  return (part * i.scale) / whole
}
