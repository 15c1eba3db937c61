// Reading for screens: the loading and failure states every screen shows, and a list read a
// page at a time from a FHIR search.
import { ref, type Ref } from 'vue'
import { errorText, fhirGet, nextLink, resourcesOf, type Bundle, type FhirResource } from './fhir'

// The state of a screen's reads: `run` marks it loading, and keeps what a failure says.
export function useLoading(initially = false) {
  const loading = ref(initially)
  const failure = ref('')
  async function run(work: () => Promise<void>) {
    loading.value = true
    failure.value = ''
    try {
      await work()
    } catch (e) {
      failure.value = errorText(e)
    } finally {
      loading.value = false
    }
  }
  return { loading, failure, run }
}

// `rowOf` makes a row of a resource, or null to leave it out.
export function usePagedList<T>(rowOf: (r: FhirResource) => T | null | Promise<T | null>) {
  const rows = ref([]) as Ref<T[]>
  const next = ref<string>()
  const { loading, failure, run } = useLoading()
  // Appends the page at `url`; `headers` as for fhirGet (break-glass).
  const load = (url: string, headers: Record<string, string> = {}) =>
    run(async () => {
      const page = await fhirGet<Bundle>(url, headers)
      const made = await Promise.all(resourcesOf(page).map(rowOf))
      rows.value.push(...made.filter((row): row is Awaited<T> => row !== null))
      next.value = nextLink(page)
    })
  function reset() {
    rows.value = []
    next.value = undefined
  }
  return { rows, next, loading, failure, load, reset }
}
