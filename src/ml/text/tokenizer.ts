import { createRequire } from 'node:module';
import { redactPersonalIdentifiers } from './personal-identifiers.js';

/**
 * Text → feature strings for the classifier. Every feature carries a short
 * namespace prefix so that, e.g., the word "好" and the character unigram "好"
 * get separate weights:
 *   w:<word>        word (jieba word for Chinese, normalised word for Latin
 *                   scripts, emoji, sentiment punctuation such as "!", "!!!", "?")
 *   n:<word>        word inside an English negation scope ("not very good" → n:very, n:good)
 *   b:<w1> <w2>     adjacent word bigram (within a clause)
 *   c:<chars>       character n-gram of a Han run (default 1–3)
 *   s:<chars>       character n-gram inside a Latin word, with < > boundaries (default 3–4)
 * Personal identifiers (emails, phone numbers, ID numbers: ./personal-identifiers.ts) are replaced
 * before tokenising by one placeholder word each, `w:[email]`, `w:[phone]`, `w:[id-number]`, so
 * no vocabulary, weight or explanation ever holds one.
 */
export interface TokenizeOptions {
  /** Han character n-gram range; [0, 0] disables. Default [1, 3]. */
  charNgrams?: readonly [number, number];
  /** Sub-word character n-grams for Latin words; [0, 0] disables. Default [3, 4]. */
  subwordNgrams?: readonly [number, number];
  /** Emit word unigrams (and emoji/punctuation tokens). Default true. */
  words?: boolean;
  /** Emit adjacent word bigrams. Default true. */
  wordBigrams?: boolean;
  /** Hard cap on emitted features per text (bounds time and memory). Default 1500. */
  maxTokens?: number;
  /** Only this many leading characters are read. Default 8000. */
  maxChars?: number;
}

export type ResolvedTokenizeOptions = Required<TokenizeOptions>;

export const DEFAULT_TOKENIZE_OPTIONS: ResolvedTokenizeOptions = Object.freeze({
  charNgrams: [1, 3] as const,
  subwordNgrams: [3, 4] as const,
  words: true,
  wordBigrams: true,
  maxTokens: 1500,
  maxChars: 8000,
});

export function resolveTokenizeOptions(opts?: TokenizeOptions): ResolvedTokenizeOptions {
  return { ...DEFAULT_TOKENIZE_OPTIONS, ...(opts ?? {}) };
}

interface JiebaLike {
  cut(sentence: string, hmm?: boolean | null): string[];
}

let jieba: JiebaLike | undefined;

/** Loads jieba and its default dictionary once, on first Chinese text (~150 ms). */
function getJieba(): JiebaLike {
  if (!jieba) {
    // createRequire keeps this synchronous and lazy: the dictionary is read only when needed.
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(dict: Uint8Array): JiebaLike } };
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

// One pass over the text picks out the pieces we care about; everything else
// (spaces, commas, symbols) only acts as a clause/word boundary.
const SEGMENT = new RegExp(
  [
    '(\\p{Script=Han}+)', // 1: Han run
    "((?:(?!\\p{Script=Han})[\\p{L}\\p{M}\\p{N}])+(?:'[\\p{L}\\p{M}]+)*)", // 2: non-Han word (Latin, digits, ...)
    '(\\p{Extended_Pictographic}(?:\\uFE0F|\\u200D\\p{Extended_Pictographic}|[\\u{1F3FB}-\\u{1F3FF}])*)', // 3: emoji
    '([!?]+)', // 4: exclamation/question runs (full-width forms are NFKC-normalised to these)
    '(\\.{3,}|…+)', // 5: ellipsis
    '([.,;:。，；：、()\\[\\]{}"\\n])', // 6: clause boundary
    '\\uE000([a-z-]+)\\uE001', // 7: placeholder of a personal identifier (see tokenize)
  ].join('|'),
  'gu',
);

const NEGATORS = new Set(['not', 'no', 'never', 'nor', 'none', 'nothing', 'nobody', 'neither', 'without', 'hardly', 'barely', 'cannot']);
const NEGATION_SCOPE = 3;

/** Normalises case, width and apostrophes; expands English "n't". */
export function normalizeText(text: string, maxChars = DEFAULT_TOKENIZE_OPTIONS.maxChars): string {
  let t = text.length > maxChars ? text.slice(0, maxChars) : text;
  // Do not leave half a surrogate pair at the cut.
  if (t.length > 0 && /[\uD800-\uDBFF]$/.test(t)) t = t.slice(0, -1);
  t = t
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'");
  return t
    .replace(/\bcan't\b/g, 'can not')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/\b(\w+)n't\b/g, '$1 not');
}

function punctToken(run: string): string {
  // "!!!!" and "!!!" mean the same thing; keep single, repeated and mixed forms apart.
  const hasBang = run.includes('!');
  const hasQ = run.includes('?');
  if (hasBang && hasQ) return '?!';
  const ch = hasBang ? '!' : '?';
  return run.length === 1 ? ch : ch.repeat(3);
}

/**
 * Human-readable words of a text (jieba words, Latin words, emoji, "!"/"?"
 * tokens), in order. Useful on its own and the basis of {@link tokenize}.
 */
export function words(text: string, opts?: TokenizeOptions): string[] {
  const o = resolveTokenizeOptions(opts);
  return tokenize(text, { ...o, charNgrams: [0, 0], subwordNgrams: [0, 0], wordBigrams: false }).map(displayFeature);
}

/** Converts text into prefixed feature strings (see module comment). Bounded by maxChars/maxTokens. */
export function tokenize(text: string, opts?: TokenizeOptions): string[] {
  const o = resolveTokenizeOptions(opts);
  const out: string[] = [];
  if (!text) return out;
  // Identifiers become private-use-delimited placeholders first (on a little more than maxChars,
  // so one crossing the cut is still found whole).
  const redacted = redactPersonalIdentifiers(text.length > o.maxChars + IDENTIFIER_MARGIN ? text.slice(0, o.maxChars + IDENTIFIER_MARGIN) : text, placeholderMark);
  const norm = normalizeText(redacted, o.maxChars);
  const cap = o.maxTokens;
  const [cMin, cMax] = o.charNgrams;
  const [sMin, sMax] = o.subwordNgrams;

  let prev: string | null = null; // previous word in the current clause, for bigrams
  let negation = 0; // remaining words in an English negation scope

  const emitWord = (w: string, negatable: boolean): void => {
    if (out.length >= cap) return;
    if (o.words) {
      out.push('w:' + w);
      if (negatable && negation > 0 && out.length < cap) out.push('n:' + w);
    }
    if (o.wordBigrams && prev !== null && out.length < cap) out.push('b:' + prev + ' ' + w);
    prev = w;
  };
  const boundary = (): void => {
    prev = null;
    negation = 0;
  };

  for (const m of norm.matchAll(SEGMENT)) {
    if (out.length >= cap) break;
    const [, han, word, emoji, punct, ellipsis, , identifier] = m;
    if (han !== undefined) {
      negation = 0;
      if (o.words || o.wordBigrams) {
        for (const w of getJieba().cut(han, true)) {
          if (out.length >= cap) break;
          emitWord(w, false);
        }
      }
      if (cMax > 0) emitNgrams(han, cMin, cMax, 'c:', out, cap);
    } else if (word !== undefined) {
      const isNeg = NEGATORS.has(word) || word === 'not';
      emitWord(word, !isNeg);
      if (sMax > 0 && word.length >= 3 && !/^\d+$/.test(word)) emitNgrams('<' + word + '>', sMin, sMax, 's:', out, cap);
      if (isNeg) negation = NEGATION_SCOPE;
      else if (negation > 0) negation--;
    } else if (emoji !== undefined) {
      emitWord(emoji, false);
    } else if (punct !== undefined) {
      emitWord(punctToken(punct), false);
      boundary();
    } else if (ellipsis !== undefined) {
      emitWord('…', false);
      boundary();
    } else if (identifier !== undefined) {
      emitWord(`[${identifier}]`, false);
    } else {
      boundary();
    }
  }
  if (out.length > cap) out.length = cap;
  return out;
}

/** Characters read past maxChars to find an identifier crossing the cut (the longest email is 254). */
const IDENTIFIER_MARGIN = 256;
const placeholderMark = (kind: string): string => `\uE000${kind}\uE001`;

function emitNgrams(s: string, min: number, max: number, prefix: string, out: string[], cap: number): void {
  // Han and Latin runs are in the BMP apart from rare characters; iterate code points to be safe.
  const chars = Array.from(s);
  const lo = Math.max(1, min);
  for (let i = 0; i < chars.length && out.length < cap; i++) {
    let gram = '';
    for (let n = 1; n <= max && i + n <= chars.length; n++) {
      gram += chars[i + n - 1];
      if (n >= lo) {
        // A sub-word gram equal to the whole "<word>" duplicates the word feature.
        if (prefix === 's:' && n === chars.length) continue;
        out.push(prefix + gram);
        if (out.length >= cap) return;
      }
    }
  }
}

/** Strips the namespace prefix for display: "b:not good" → "not good", "n:good" → "not_good". */
export function displayFeature(feature: string): string {
  const kind = feature.charCodeAt(0);
  const body = feature.slice(2);
  if (kind === 110 /* n */) return 'not_' + body;
  return body;
}
