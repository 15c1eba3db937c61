// The accounts the browser tests sign in with (the demo's, on a city of 60 residents).
export const PASSWORD = 'Portal-test-2026'
// Short, so that a test can outlive a token: the portal must send the user to sign in again.
export const TOKEN_SECONDS = 30

export const accounts = [
  { username: 'resident-1', role: 'resident', binding: ['--patient', 'pat-1'], display: '居民 Resident pat-1' },
  { username: 'admin-1', role: 'admin', binding: [], display: '平台管理员 Administrator' },
  { username: 'regulator-1', role: 'regulator', binding: [], display: '卫健委 Regulator' },
]
// The health card of a resident outside every institution's care (made by the setup).
export const STRANGER_CARD = 'EHC900000000000001'
