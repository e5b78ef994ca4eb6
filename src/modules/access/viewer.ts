/** The roles of API keys (the `Role` enum of the schema). */
export const ROLES = ['ADMIN', 'ANALYST', 'INTEGRATION'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling. Filled from the API key by the access-control layer. */
export interface Viewer {
  /** api_keys.id, or `env:ADMIN_API_KEY` for the key from the environment. */
  keyId: string | null;
  /** The key's name: recorded in the audit log and as the source of consent changes. */
  keyName: string | null;
  role: Role;
}
