// The state of an account list of the administrators' API: a filtered page, its total, and the
// page asked for; and of the dialog that creates or changes one. Users and clients alike.
import { ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { accountGet, accountPut, errorText, FhirError } from '../../fhir'
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
  // Creating or changing one: `open` shows the dialog, `save` writes what it holds (by id) and
  // says what to correct when refused; `toggle` disables or enables an account from the list.
  const { t } = useI18n()
  const editing = ref(false)
  const creating = ref(false)
  const saving = ref(false)
  const saveFailure = ref('')
  async function put(id: string, body: Record<string, unknown>) {
    await accountPut(`${kind}/${encodeURIComponent(id)}`, body)
    await load()
  }
  function open(isNew: boolean) {
    creating.value = isNew
    saveFailure.value = ''
    editing.value = true
  }
  async function save(id: string, body: Record<string, unknown>) {
    saving.value = true
    saveFailure.value = ''
    try {
      await put(id.trim(), body)
      editing.value = false
    } catch (e) {
      saveFailure.value = saveErrorText(e, t)
    } finally {
      saving.value = false
    }
  }
  async function toggle(id: string, disabled: boolean) {
    try {
      await put(id, { disabled: !disabled })
    } catch (e) {
      failure.value = errorText(e)
    }
  }
  const editor = { editing, creating, saving, saveFailure, open, save, toggle }
  return { rows, total, page, q, role, loading, failure, load, search, editor }
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
