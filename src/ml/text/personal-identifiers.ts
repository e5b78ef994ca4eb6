/**
 * The one detector of personal identifiers in free text: email addresses, phone numbers and
 * national ID numbers. Pure and dependency-free; the tokenizer replaces what it finds by
 * placeholder tokens before tokenising (so no model ever learns or explains one), and masking
 * (src/privacy/masking.ts) replaces it by `[email]`, `[phone]`, `[id-number]` for roles without
 * access to personal data.
 *
 * What counts (ASCII or full-width digits, separators space, dash, dot):
 * - email: `local@domain.tld` (ASCII local part and domain, TLD of 2+ letters);
 * - phone: Chinese mobile numbers (`13812345678`, `138 1234 5678`, `+86 138-1234-5678`, `0086…`),
 *   Chinese landlines with area code (`010-12345678`), international numbers written with `+`
 *   and a country code (`+44 20 7946 0958`: 8 to 15 digits), North American numbers
 *   (`(555) 123-4567`, `555-123-4567`);
 * - id-number: the Chinese 18-character resident ID (region, valid birth date YYYYMMDD,
 *   sequence, check digit or X: `11010519491231002X`).
 * A match never starts or ends inside a longer run of letters or digits, so prices (`1299.00`),
 * dates (`2026-11-29`), times, counts and order numbers of other lengths are left alone.
 */
export type PersonalIdentifierKind = 'email' | 'phone' | 'id-number';

export interface PersonalIdentifierMatch {
  kind: PersonalIdentifierKind;
  /** UTF-16 offsets into the text: [start, end). */
  start: number;
  end: number;
}

const D = '[0-9\\uFF10-\\uFF19]'; // ASCII and full-width digits
const SEP = '[ \\u00A0\\u3000.\\-\\uFF0D]'; // one separator between digit groups
const NOT_BEFORE = '(?<![A-Za-z0-9\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A_+@.\\-])';
const NOT_AFTER = '(?![A-Za-z0-9\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A_@])';

const PATTERNS: { kind: PersonalIdentifierKind; pattern: RegExp; accept?: (text: string) => boolean }[] = [
  {
    kind: 'email',
    pattern:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+[@\uFF20][A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])/g,
  },
  {
    kind: 'id-number',
    pattern: new RegExp(
      `${NOT_BEFORE}[1-9\\uFF11-\\uFF19]${D}{5}(?:18|19|20|\\uFF11\\uFF18|\\uFF11\\uFF19|\\uFF12\\uFF10)${D}{2}${D}{4}${D}{3}[0-9Xx\\uFF10-\\uFF19\\uFF38\\uFF58]${NOT_AFTER}`,
      'g',
    ),
    accept: hasValidBirthDate,
  },
  {
    // Chinese mobile, optionally with +86 / 0086 / 86 and 3-4-4 grouping.
    kind: 'phone',
    pattern: new RegExp(`${NOT_BEFORE}(?:(?:[+\\uFF0B]|00)?86${SEP}?)?[1\\uFF11][3-9\\uFF13-\\uFF19]${D}(?:${SEP}?${D}{4}){2}${NOT_AFTER}`, 'g'),
  },
  {
    // International, written with + and a country code.
    kind: 'phone',
    // Each character is taken by one alternative only (no backtracking blow-up on long digit runs).
    pattern: new RegExp(`${NOT_BEFORE}[+\\uFF0B]${D}(?:${D}|${SEP}(?=[(]?${D})|\\((?=${D})|\\)(?=${SEP}?${D}))*${NOT_AFTER}`, 'g'),
    accept: (text) => {
      const digits = countDigits(text);
      return digits >= 8 && digits <= 15;
    },
  },
  {
    // Chinese landline with its area code set apart: 010-12345678, (0755) 1234567.
    kind: 'phone',
    pattern: new RegExp(`${NOT_BEFORE}(?:\\(0${D}{2,3}\\)[ \\u00A0]?|0${D}{2,3}[ \\-\\uFF0D])${D}{7,8}${NOT_AFTER}`, 'g'),
  },
  {
    // North American: (555) 123-4567, 555-123-4567, 555.123.4567.
    kind: 'phone',
    pattern: new RegExp(`${NOT_BEFORE}(?:\\(${D}{3}\\)[ \\u00A0]?${D}{3}[ .\\-]${D}{4}|${D}{3}-${D}{3}-${D}{4}|${D}{3}\\.${D}{3}\\.${D}{4})${NOT_AFTER}`, 'g'),
  },
];

function asciiDigits(text: string): string {
  return text.replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[^0-9]/g, '');
}
function countDigits(text: string): number {
  return asciiDigits(text).length;
}
function hasValidBirthDate(text: string): boolean {
  const digits = asciiDigits(text);
  const year = Number(digits.slice(6, 10));
  const month = Number(digits.slice(10, 12));
  const day = Number(digits.slice(12, 14));
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** Every personal identifier in the text, in order, without overlaps (the earliest, then the longest, wins). */
export function findPersonalIdentifiers(text: string): PersonalIdentifierMatch[] {
  if (!text) return [];
  const found: PersonalIdentifierMatch[] = [];
  for (const { kind, pattern, accept } of PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      if (accept && !accept(match[0])) continue;
      found.push({ kind, start: match.index, end: match.index + match[0].length });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: PersonalIdentifierMatch[] = [];
  for (const match of found) {
    const last = kept[kept.length - 1];
    if (last && match.start < last.end) continue;
    kept.push(match);
  }
  return kept;
}

/** True when the text holds at least one personal identifier. */
export function hasPersonalIdentifier(text: string): boolean {
  return findPersonalIdentifiers(text).length > 0;
}

/** The placeholder masking shows for an identifier of this kind: `[email]`, `[phone]`, `[id-number]`. */
export function personalIdentifierPlaceholder(kind: PersonalIdentifierKind): string {
  return `[${kind}]`;
}

/** The text with every personal identifier replaced (by default by `[email]`, `[phone]`, `[id-number]`). */
export function redactPersonalIdentifiers(text: string, placeholder: (kind: PersonalIdentifierKind) => string = personalIdentifierPlaceholder): string {
  const matches = findPersonalIdentifiers(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + placeholder(match.kind);
    at = match.end;
  }
  return out + text.slice(at);
}
