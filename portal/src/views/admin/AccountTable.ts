// The state of an account list of the administrators' API: a filtered page, its total, and the
// page asked for. Users and clients are listed alike.
import { ref, watch } from 'vue'
import { accountGet, errorText, FhirError } from '../../fhir'
import { useLoading } from '../../paging'

export const PAGE_SIZE = 20

export function useAccountList<T>(kind: 'users' | 'clients') {
  const rows = ref<T[]>([])
  const total = ref(0)
  const page = ref(1)
  const q = ref('')
  const role = ref('')
  const { loading, failure, run } = useLoading(true)
  const load = () =>
    run(async () => {
      const params = new URLSearchParams({ offset: String((page.value - 1) * PAGE_SIZE), count: String(PAGE_SIZE) })
      if (q.value.trim()) params.set('q', q.value.trim())
      if (role.value) params.set('role', role.value)
      const reply = await accountGet<{ total: number } & Record<string, T[]>>(`${kind}?${params}`)
      rows.value = reply[kind] ?? []
      total.value = reply.total
    })
  watch(page, load)
  // A new filter starts again at the first page.
  function search() {
    if (page.value === 1) void load()
    else page.value = 1
  }
  return { rows, total, page, q, role, loading, failure, load, search }
}

// The labels of the account fields the API may name as offending.
const FIELD_LABELS: Record<string, string> = {
  username: 'admin.username',
  id: 'admin.clientId',
  role: 'admin.role',
  organization: 'admin.organization',
  patient: 'admin.patient',
  password: 'admin.password',
  publicKey: 'admin.publicKey',
  redirectUris: 'admin.redirectUris',
  disabled: 'admin.status',
}

// A refused change, in the user's language: which field to correct, then what the server said.
export function saveErrorText(e: unknown, t: (key: string, values?: Record<string, unknown>) => string): string {
  const label = e instanceof FhirError ? FIELD_LABELS[e.expression] : undefined
  return label ? t('admin.checkField', { field: t(label), reason: errorText(e) }) : errorText(e)
}
