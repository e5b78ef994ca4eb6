import type { Role } from '../modules/access/viewer.ts';
import { redactPersonalIdentifiers } from '../ml/text/personal-identifiers.ts';

/** How a personal field is shown to roles other than ADMIN (the `@personal(mask:)` directive). */
export type PersonalDataMask = 'EMAIL' | 'INITIALS' | 'ATTRIBUTES' | 'FREE_TEXT';

/**
 * Masking policy for roles without access to personal data:
 * - ANALYST sees the shape of the data: `j***@example.com`, initials `L. W.`, non-personal attributes.
 * - INTEGRATION sees no email or name at all (null): a sync job never needs them back;
 *   attributes are reduced to the non-personal keys like for analysts.
 * - Free text (feedback) keeps its words, with emails, phone numbers and ID numbers replaced by
 *   `[email]`, `[phone]`, `[id-number]` (the one detector: src/ml/text/personal-identifiers.ts).
 * ADMIN sees everything unmasked.
 */
export function maskPersonal(mask: PersonalDataMask, value: unknown, role: Role, nonPersonalKeys: readonly string[]): unknown {
  if (seesPersonalData(role) || value === null || value === undefined) return value;
  switch (mask) {
    case 'EMAIL':
      return role === 'ANALYST' && typeof value === 'string' ? maskEmail(value) : null;
    case 'INITIALS':
      return role === 'ANALYST' && typeof value === 'string' ? initials(value) : null;
    case 'ATTRIBUTES':
      return nonPersonalAttributes(value as Record<string, unknown>, nonPersonalKeys);
    case 'FREE_TEXT':
      return typeof value === 'string' ? maskFreeText(value) : value;
  }
}

/** Free text as roles without access to personal data see it: identifiers replaced by placeholders. */
export function maskFreeText(text: string): string {
  return redactPersonalIdentifiers(text);
}

/** Whether a role sees personal data unmasked (ADMIN only); every other role gets the masks below. */
export function seesPersonalData(role: Role): boolean {
  return role === 'ADMIN';
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

/**
 * Only the allow-listed keys (NON_PERSONAL_ATTRIBUTE_KEYS); everything else (city, phone, …) is
 * dropped, at every depth: an object nested in an allowed key (`segment: { email, tier }`) keeps
 * only allow-listed keys too, and every string kept is masked as free text (`[email]`, …).
 */
export function nonPersonalAttributes(attributes: Record<string, unknown>, allowed: readonly string[]): Record<string, unknown> {
  if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) return {};
  return nonPersonalObject(attributes, allowed, 0);
}

/** Deeper than this, a nested value is dropped rather than walked (attributes are small JSON). */
const MAX_ATTRIBUTE_DEPTH = 16;

function nonPersonalObject(object: Record<string, unknown>, allowed: readonly string[], depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (!allowed.includes(key)) continue;
    const masked = nonPersonalValue(value, allowed, depth + 1);
    if (masked !== undefined) out[key] = masked;
  }
  return out;
}

function nonPersonalValue(value: unknown, allowed: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return maskFreeText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_ATTRIBUTE_DEPTH) return undefined;
  if (Array.isArray(value)) return value.map((item) => nonPersonalValue(item, allowed, depth + 1) ?? null);
  return nonPersonalObject(value as Record<string, unknown>, allowed, depth);
}
