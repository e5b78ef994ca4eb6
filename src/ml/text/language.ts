export type Language = 'zh' | 'en' | 'mixed' | 'und';

const HAN = /\p{Script=Han}/gu;
const LATIN = /\p{Script=Latin}/gu;

/**
 * Script-ratio heuristic. One Han character carries roughly as much meaning as
 * two Latin letters (an English word averages ~4.7 letters, a Chinese word ~1.6
 * characters), so Latin letters are weighted by 1/2 before comparing:
 *   zhShare = han / (han + latin / 2)
 *   zhShare >= 0.8 → 'zh', <= 0.2 → 'en', otherwise 'mixed';
 *   no Han or Latin letters at all (digits, emoji, punctuation, other scripts) → 'und'.
 * Only the first 10k characters are inspected so the cost is bounded.
 */
export function detectLanguage(text: string): Language {
  const sample = text.length > 10_000 ? text.slice(0, 10_000) : text;
  const han = sample.match(HAN)?.length ?? 0;
  const latin = sample.match(LATIN)?.length ?? 0;
  if (han === 0 && latin === 0) return 'und';
  const zhShare = han / (han + latin / 2);
  if (zhShare >= 0.8) return 'zh';
  if (zhShare <= 0.2) return 'en';
  return 'mixed';
}
