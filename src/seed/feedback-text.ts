import type { Random } from '../ml/shared/random.ts';
import phrases from './feedback-phrases.json' with { type: 'json' };

/**
 * Template feedback in Chinese and English with planted labels: sentiment (positive,
 * negative) and topic (delivery, quality, price, service). Each text mixes a topic phrase
 * with a sentiment phrase and filler, so a classifier must learn which words carry the label.
 */
export type Sentiment = 'positive' | 'negative';
export type Topic = 'delivery' | 'quality' | 'price' | 'service';
export const TOPICS: readonly Topic[] = ['delivery', 'quality', 'price', 'service'];

/** Phrases per language, topic and sentiment, with openers and closers: data, kept as data. */
const LANGUAGES = phrases as Record<'zh' | 'en', { phrases: Record<Topic, Record<Sentiment, string[]>>; openers: string[]; closers: string[] }>;

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
  const { phrases: byTopic, openers, closers: allClosers } = LANGUAGES[language];
  const closers = allClosers.filter((closer) => (sentiment === 'positive' ? !/不会|Would not|:\(|😡/.test(closer) : !/还会|Will buy|:\)|😊/.test(closer)));
  const rating = sentiment === 'positive' ? 4 + Math.floor(random() * 2) : 1 + Math.floor(random() * 2);
  if (language === 'zh') {
    const phrase = pick(byTopic[topic][sentiment]);
    const text = `${pick(openers)}${options.productName}${phrase}${pick(closers)}`;
    return { text, language, sentiment, topic, rating };
  }
  const phrase = pick(byTopic[topic][sentiment]);
  const text = `${pick(openers)}The ${options.productName} ${phrase}${pick(closers)}`;
  return { text: text.charAt(0).toUpperCase() + text.slice(1), language, sentiment, topic, rating };
}
