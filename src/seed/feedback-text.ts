import type { Random } from '../ml/shared/random.ts';

/**
 * Template feedback in Chinese and English with planted labels: sentiment (positive,
 * negative) and topic (delivery, quality, price, service). Each text mixes a topic phrase
 * with a sentiment phrase and filler, so a classifier must learn which words carry the label.
 */
export type Sentiment = 'positive' | 'negative';
export type Topic = 'delivery' | 'quality' | 'price' | 'service';
export const TOPICS: readonly Topic[] = ['delivery', 'quality', 'price', 'service'];

const EN: Record<Topic, Record<Sentiment, string[]>> = {
  delivery: {
    positive: ['arrived a day early', 'shipping was fast', 'the courier was quick and careful', 'delivery right on time'],
    negative: ['the parcel arrived late', 'shipping took two weeks', 'the box came crushed', 'delivery was delayed again'],
  },
  quality: {
    positive: ['excellent build quality', 'feels solid and well made', 'works perfectly', 'the material is great'],
    negative: ['broke after two days', 'cheap material and poorly made', 'stopped working', 'the stitching fell apart'],
  },
  price: {
    positive: ['great value for the money', 'cheaper than anywhere else', 'worth every penny', 'a bargain at this price'],
    negative: ['way too expensive', 'overpriced for what you get', 'not worth the price', 'the discount was fake'],
  },
  service: {
    positive: ['support answered within minutes', 'the staff were friendly and helpful', 'the refund was easy', 'customer service solved it fast'],
    negative: ['support never replied', 'rude customer service', 'they refused my refund', 'waited an hour on the phone'],
  },
};
const ZH: Record<Topic, Record<Sentiment, string[]>> = {
  delivery: {
    positive: ['送货很快', '快递小哥很准时', '物流速度超快', '包装完好，提前送到'],
    negative: ['送货太慢了', '快递晚了三天', '物流一直不更新', '包装破损，送得很迟'],
  },
  quality: {
    positive: ['质量很好', '做工精细，用着放心', '材质不错，很结实', '效果非常好'],
    negative: ['质量太差了', '用了两天就坏了', '做工粗糙', '材质很差，有异味'],
  },
  price: {
    positive: ['价格实惠', '性价比很高', '比超市便宜多了', '这个价格很划算'],
    negative: ['价格太贵了', '性价比很低', '不值这个价', '优惠都是假的'],
  },
  service: {
    positive: ['客服态度很好', '售后处理很及时', '退款很顺利', '服务很周到'],
    negative: ['客服态度很差', '售后一直不回复', '不给退款', '服务太差了'],
  },
};
const EN_OPENERS = ['', 'Honestly, ', 'Overall ', 'Bought this for my family. ', 'Second order here. ', 'Well... '];
const EN_CLOSERS = ['.', '!', '!!', ' :)', ' :(', '. Would not buy again.', '. Will buy again.', '...'];
const ZH_OPENERS = ['', '总的来说，', '第二次买了，', '给家里人买的，', '说实话，'];
const ZH_CLOSERS = ['。', '！', '！！', '～', '。下次还会买。', '。不会再买了。', '😊', '😡'];

export interface GeneratedFeedback {
  text: string;
  language: 'zh' | 'en';
  sentiment: Sentiment;
  topic: Topic;
  rating: number;
}

export function generateFeedbackText(random: Random, options: { productName: string; zhShare?: number; sentiment?: Sentiment }): GeneratedFeedback {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const language = random() < (options.zhShare ?? 0.5) ? 'zh' : 'en';
  const sentiment = options.sentiment ?? (random() < 0.65 ? 'positive' : 'negative');
  const topic = pick(TOPICS);
  // Closers carry sentiment cues of their own; keep them consistent with the label.
  const closers = (language === 'zh' ? ZH_CLOSERS : EN_CLOSERS).filter((closer) =>
    sentiment === 'positive' ? !/不会|Would not|:\(|😡/.test(closer) : !/还会|Will buy|:\)|😊/.test(closer),
  );
  const rating = sentiment === 'positive' ? 4 + Math.floor(random() * 2) : 1 + Math.floor(random() * 2);
  if (language === 'zh') {
    const phrase = pick(ZH[topic][sentiment]);
    const text = `${pick(ZH_OPENERS)}${options.productName}${phrase}${pick(closers)}`;
    return { text, language, sentiment, topic, rating };
  }
  const phrase = pick(EN[topic][sentiment]);
  const text = `${pick(EN_OPENERS)}The ${options.productName} ${phrase}${pick(closers)}`;
  return { text: text.charAt(0).toUpperCase() + text.slice(1), language, sentiment, topic, rating };
}
