import { yieldToEventLoop } from '../common/cooperative.ts';
import { MAX_LABELS_PER_TASK } from '../common/task-name.ts';
import { words } from '../../ml/text/index.ts';

export interface CharacteristicTerm {
  term: string;
  score: number;
  count: number;
  otherCount: number;
}
export interface LabelTerms {
  label: string;
  texts: number;
  terms: CharacteristicTerm[];
}

/** Prior strength (α0) of the informative Dirichlet prior: the slice's own term distribution. */
const PRIOR_STRENGTH = 500;
/** A term must occur in at least this many texts of a label to be reported for it. */
const MIN_COUNT = 2;

const STOPWORDS = new Set(
  (
    'a an the and or but if of to in on at by for with from as is are was were be been being it its this that these those ' +
    'i me my we our you your he she they them their his her so very too just also than then there here do does did have has had ' +
    'will would can could should not no all any some more most such only own same again about into over after before ' +
    '的 了 是 我 也 很 都 就 和 在 这 那 有 吧 啊 呢 吗 还 又 么 呀 哦 给 买 个 说 让 把 被 对 与 及 着 过'
  ).split(/\s+/),
);
const HAS_LETTER_OR_EMOJI = /[\p{L}\p{Extended_Pictographic}]/u;

/** Distinct display words of a text worth reporting as terms (no punctuation, numbers, stopwords or negation markers). */
export function termsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of words(text, { maxTokens: 400, maxChars: 2000 })) {
    if (word.startsWith('not_')) continue;
    if (!HAS_LETTER_OR_EMOJI.test(word)) continue;
    if (/^[a-z]$/.test(word) || STOPWORDS.has(word)) continue;
    out.add(word);
  }
  return out;
}

/**
 * Terms most characteristic of each label: for every label L and term w, the weighted log-odds
 * ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) of w in L's texts
 * versus the other labels' texts, as a z-score. Counts are document frequencies (a text counts
 * a term once). The prior is the slice's own term distribution scaled to PRIOR_STRENGTH.
 */
/** Characters tokenised between two turns of the event loop (well under SLICE_BUDGET_MS). */
const TOKENIZE_SLICE_CHARACTERS = 20_000;

export async function characteristicTerms(texts: readonly { text: string; label: string }[], perLabel: number): Promise<LabelTerms[]> {
  const byLabel = new Map<string, Map<string, number>>();
  const textsOf = new Map<string, number>();
  const all = new Map<string, number>();
  // Tokenising thousands of texts takes seconds of a core: in slices, the event loop free between them.
  let characters = 0;
  for (const { text, label } of texts) {
    characters += text.length;
    if (characters > TOKENIZE_SLICE_CHARACTERS) {
      characters = text.length;
      await yieldToEventLoop();
    }
    textsOf.set(label, (textsOf.get(label) ?? 0) + 1);
    let counts = byLabel.get(label);
    if (!counts) byLabel.set(label, (counts = new Map()));
    for (const term of termsOf(text)) {
      counts.set(term, (counts.get(term) ?? 0) + 1);
      all.set(term, (all.get(term) ?? 0) + 1);
    }
  }
  let totalAll = 0;
  for (const n of all.values()) totalAll += n;
  // The most frequent MAX_LABELS_PER_TASK labels (human labels of a task are not capped at write time).
  const labels = [...textsOf.keys()].sort((a, b) => textsOf.get(b)! - textsOf.get(a)! || (a < b ? -1 : 1)).slice(0, MAX_LABELS_PER_TASK);
  return labels.map((label) => {
    const counts = byLabel.get(label)!;
    let nL = 0;
    for (const n of counts.values()) nL += n;
    const nR = totalAll - nL;
    const a0 = Math.min(PRIOR_STRENGTH, Math.max(1, totalAll));
    const scored: CharacteristicTerm[] = [];
    if (perLabel > 0 && textsOf.get(label)! >= 2) {
      for (const [term, yL] of counts) {
        if (yL < MIN_COUNT) continue;
        const yR = all.get(term)! - yL;
        const aw = (a0 * all.get(term)!) / totalAll;
        const delta = Math.log((yL + aw) / (nL + a0 - yL - aw)) - Math.log((yR + aw) / (nR + a0 - yR - aw));
        const score = delta / Math.sqrt(1 / (yL + aw) + 1 / (yR + aw));
        if (score > 0) scored.push({ term, score: Math.round(score * 1000) / 1000, count: yL, otherCount: yR });
      }
    }
    scored.sort((a, b) => b.score - a.score || b.count - a.count || (a.term < b.term ? -1 : 1));
    return { label, texts: textsOf.get(label)!, terms: scored.slice(0, perLabel) };
  });
}
