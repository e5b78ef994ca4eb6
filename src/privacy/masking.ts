import type { Role } from '../modules/access/viewer.ts';

/** How a personal field is shown to roles other than ADMIN (the `@personal(mask:)` directive). */
export type PersonalDataMask = 'EMAIL' | 'INITIALS' | 'ATTRIBUTES';

/**
 * Masking policy for roles without access to personal data:
 * - ANALYST sees the shape of the data: `j***@example.com`, initials `L. W.`, non-personal attributes.
 * - INTEGRATION sees no email or name at all (null): a sync job never needs them back;
 *   attributes are reduced to the non-personal keys like for analysts.
 * ADMIN sees everything unmasked.
 */
export function maskPersonal(mask: PersonalDataMask, value: unknown, role: Role, nonPersonalKeys: readonly string[]): unknown {
  if (role === 'ADMIN' || value === null || value === undefined) return value;
  switch (mask) {
    case 'EMAIL':
      return role === 'ANALYST' && typeof value === 'string' ? maskEmail(value) : null;
    case 'INITIALS':
      return role === 'ANALYST' && typeof value === 'string' ? initials(value) : null;
    case 'ATTRIBUTES':
      return nonPersonalAttributes(value as Record<string, unknown>, nonPersonalKeys);
  }
}

/** `john.doe@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '***';
  const first = [...email.slice(0, at)][0] ?? '';
  return `${first}***${email.slice(at)}`;
}

/** `Li Wei` → `L. W.`; `李伟` → `李.`; extra whitespace is ignored. */
export function initials(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `${([...word][0] ?? '').toUpperCase()}.`)
    .join(' ');
}

/** Only the allow-listed keys (NON_PERSONAL_ATTRIBUTE_KEYS); everything else (city, phone, …) is dropped. */
export function nonPersonalAttributes(attributes: Record<string, unknown>, allowed: readonly string[]): Record<string, unknown> {
  if (!attributes || typeof attributes !== 'object') return {};
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => allowed.includes(key)));
}
