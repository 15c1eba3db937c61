// The platform's roles (docs/security.md says what each may do); their names are the API's.
export const ROLES = ['resident', 'clinician', 'family-doctor', 'elder-care', 'regulator', 'insurer', 'admin'] as const
export type RoleName = (typeof ROLES)[number]

// What an account of the role must name besides its role (auth/accounts.cpp CheckRoleBinding).
export function needsOrganization(role: string): boolean {
  return ['clinician', 'family-doctor', 'elder-care', 'insurer'].includes(role)
}
