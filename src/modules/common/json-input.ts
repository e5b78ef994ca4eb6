/**
 * The rules every client value passes before it reaches a resolver's logic or the database:
 * text PostgreSQL can store, and free-form JSON (attributes) of bounded shape. Both walks are
 * iterative (an explicit stack, no recursion), so a 100,000-level object costs a loop, never the
 * call stack; the JSON walk stops at the first limit it crosses, before looking any deeper.
 */

/**
 * NUL characters cannot be stored in PostgreSQL text or jsonb, and unpaired UTF-16 surrogates
 * are not valid Unicode (the pg driver would silently store U+FFFD; Prisma's engine refuses them).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character looked for
const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const INVALID_TEXT_ALL = new RegExp(INVALID_TEXT.source, 'g');

export const INVALID_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

export function hasInvalidText(text: string): boolean {
  return INVALID_TEXT.test(text);
}

export type JsonPath = (string | number)[];

/** Longest path segment and number of segments an error message repeats back to the client. */
const SHOWN_SEGMENT = 40;
const SHOWN_SEGMENTS = 8;

/**
 * A path as error messages and row errors name it ("attributes.size.0"): invalid characters
 * replaced by "?", long keys and deep paths shortened, so a hostile key never comes back whole.
 */
export function formatJsonPath(path: JsonPath): string {
  const shown = path.slice(0, SHOWN_SEGMENTS).map((segment) => {
    const text = String(segment).replace(INVALID_TEXT_ALL, '?');
    return text.length > SHOWN_SEGMENT ? `${text.slice(0, SHOWN_SEGMENT)}…` : text;
  });
  if (path.length > SHOWN_SEGMENTS) shown.push(`…(${path.length - SHOWN_SEGMENTS} more levels)`);
  return shown.join('.');
}

interface Frame {
  value: unknown;
  parent: Frame | null;
  key: string | number | null;
}

function pathOf(frame: Frame): JsonPath {
  const path: JsonPath = [];
  for (let at: Frame | null = frame; at && at.key !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * Where the first string (value or object key) with invalid text sits in `value`, at any depth,
 * or null when there is none. Keys are reported as the path to the key itself.
 */
export function findInvalidText(value: unknown): JsonPath | null {
  const stack: Frame[] = [{ value, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const current = frame.value;
    if (typeof current === 'string') {
      if (INVALID_TEXT.test(current)) return pathOf(frame);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) stack.push({ value: current[i], parent: frame, key: i });
    } else if (current !== null && typeof current === 'object' && !(current instanceof Date)) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i]!;
        if (INVALID_TEXT.test(key)) return [...pathOf(frame), key];
        stack.push({ value: (current as Record<string, unknown>)[key], parent: frame, key });
      }
    }
  }
  return null;
}

/** The shape free-form JSON (user and product attributes) may have. */
export interface JsonLimits {
  /** Levels of nesting, the object itself being level 1. */
  maxDepth: number;
  /** Object keys plus array elements, counted over the whole value. */
  maxEntries: number;
  /** Length of the serialised JSON, in characters. */
  maxChars: number;
  /** Longest object key, in characters. */
  maxKeyLength: number;
}

/** The documented limits of `attributes` (users.graphql, products.graphql). */
export const ATTRIBUTE_LIMITS: JsonLimits = { maxDepth: 10, maxEntries: 1000, maxChars: 16_384, maxKeyLength: 100 };

/** The limits in words, for SDL descriptions and messages. */
export function describeJsonLimits(limits: JsonLimits): string {
  return `at most ${limits.maxDepth} levels deep, ${limits.maxEntries} keys and array elements in all, keys of at most ${limits.maxKeyLength} characters, ${limits.maxChars} characters of JSON`;
}

export interface JsonProblem {
  path: JsonPath;
  message: string;
}

/**
 * The first limit `value` crosses (or the first invalid text, or a value JSON cannot hold), or
 * null. Counts and sizes are checked before a level is entered, so the walk never goes deeper
 * than maxDepth and never visits more than maxEntries values.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): JsonProblem | null {
  let chars = 0;
  let entries = 0;
  const tooLarge = (frame: Frame): JsonProblem => ({ path: pathOf(frame), message: `must serialise to at most ${limits.maxChars} characters of JSON` });
  const stack: { frame: Frame; depth: number }[] = [{ frame: { value, parent: null, key: null }, depth: 0 }];
  while (stack.length > 0) {
    const { frame, depth } = stack.pop()!;
    const current = frame.value;
    if (typeof current === 'string') {
      if (current.length > limits.maxChars) return tooLarge(frame);
      if (INVALID_TEXT.test(current)) return { path: pathOf(frame), message: INVALID_TEXT_MESSAGE };
      chars += JSON.stringify(current).length;
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: pathOf(frame), message: 'must be a finite number' };
      chars += String(current).length;
    } else if (typeof current === 'boolean') {
      chars += current ? 4 : 5;
    } else if (current === null || current === undefined) {
      chars += 4;
    } else if (typeof current === 'object') {
      if (depth + 1 > limits.maxDepth) return { path: pathOf(frame), message: `must not be nested more than ${limits.maxDepth} levels deep` };
      chars += 2;
      const tooMany = { path: pathOf(frame), message: `must hold at most ${limits.maxEntries} keys and array elements in all` };
      if (Array.isArray(current)) {
        if (entries + current.length > limits.maxEntries) return tooMany;
        entries += current.length;
        chars += Math.max(0, current.length - 1);
        for (let i = current.length - 1; i >= 0; i -= 1) stack.push({ frame: { value: current[i], parent: frame, key: i }, depth: depth + 1 });
      } else {
        const children: Frame[] = [];
        for (const key in current) {
          if (!Object.hasOwn(current, key)) continue;
          entries += 1;
          if (entries > limits.maxEntries) return tooMany;
          if (key.length > limits.maxKeyLength) return { path: [...pathOf(frame), key], message: `keys must be at most ${limits.maxKeyLength} characters` };
          if (INVALID_TEXT.test(key)) return { path: [...pathOf(frame), key], message: INVALID_TEXT_MESSAGE };
          chars += JSON.stringify(key).length + 1 + (children.length > 0 ? 1 : 0);
          children.push({ value: (current as Record<string, unknown>)[key], parent: frame, key });
        }
        for (let i = children.length - 1; i >= 0; i -= 1) stack.push({ frame: children[i]!, depth: depth + 1 });
      }
    } else {
      return { path: pathOf(frame), message: 'must be a JSON value' };
    }
    if (chars > limits.maxChars) return tooLarge(frame);
  }
  return null;
}
