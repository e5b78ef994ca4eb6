import { createRandom } from '../../../src/ml/shared/random.js';
import type { LabelledText } from '../../../src/ml/classifier/index.js';

/** Class-specific planted words; everything else is shared noise. */
export const PLANTED: Record<string, { zh: string[]; en: string[] }> = {
  shipping: { zh: ['快递', '物流', '配送'], en: ['courier', 'parcel', 'tracking'] },
  quality: { zh: ['质量', '做工', '材质'], en: ['stitching', 'durable', 'fabric'] },
  price: { zh: ['价格', '便宜', '优惠'], en: ['discount', 'coupon', 'expensive'] },
};

const NOISE_ZH = ['这次', '我们', '东西', '感觉', '还是', '一般', '今天', '朋友', '真的', '觉得', '非常', '下次'];
const NOISE_EN = ['the', 'order', 'was', 'really', 'my', 'friend', 'said', 'today', 'again', 'item', 'overall', 'just'];

/** Seeded zh/en/mixed sentences: 1–2 planted words of the class among 4–8 noise words. */
export function plantedCorpus(perClass: number, seed: number): LabelledText[] {
  const rnd = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: LabelledText[] = [];
  for (const [label, words] of Object.entries(PLANTED)) {
    for (let i = 0; i < perClass; i++) {
      const lang = pick(['zh', 'en', 'mixed'] as const);
      const parts: string[] = [];
      const n = 4 + Math.floor(rnd() * 5);
      for (let k = 0; k < n; k++) parts.push(lang === 'zh' || (lang === 'mixed' && rnd() < 0.5) ? pick(NOISE_ZH) : pick(NOISE_EN));
      const planted = 1 + Math.floor(rnd() * 2);
      for (let k = 0; k < planted; k++) {
        const w = lang === 'en' ? pick(words.en) : lang === 'zh' ? pick(words.zh) : pick(rnd() < 0.5 ? words.zh : words.en);
        parts.splice(Math.floor(rnd() * parts.length), 0, w);
      }
      const text = lang === 'en' ? parts.join(' ') : parts.join(rnd() < 0.5 ? '' : ' ');
      out.push({ text: text + (rnd() < 0.3 ? pick(['!', '!!!', '😀', '?']) : ''), label });
    }
  }
  return out;
}
