import { createSyntheticWorld, iterateSyntheticInteractions, type SyntheticBehaviourOptions, type SyntheticWorld } from '../ml/synthetic/behaviour.ts';
import { createRandom, type Random } from '../ml/shared/random.ts';
import { generateFeedbackText } from './feedback-text.ts';

/**
 * Deterministic marketing data set: customers, a catalogue with missing feature values,
 * behaviour with planted taste clusters (src/ml/synthetic), campaigns with daily metrics,
 * and Chinese/English feedback with planted sentiment and topic labels. Rows have the
 * shapes of the GraphQL bulk inputs after scalar parsing (DateTime as Date, Date as
 * YYYY-MM-DD), so they go through the same services as API traffic.
 */
export interface SeedSize {
  users: number;
  products: number;
  interactions: number;
  feedback: number;
  campaigns: number;
}

export const DEMO_SIZE: SeedSize = { users: 400, products: 300, interactions: 8_000, feedback: 1_200, campaigns: 12 };
export const LARGE_SIZE: SeedSize = { users: 100_000, products: 10_000, interactions: 1_000_000, feedback: 100_000, campaigns: 200 };

export const SEED_START = new Date('2026-01-01T00:00:00.000Z');
export const SEED_DAYS = 300;
const DAY_MS = 86_400_000;

export interface SeedUserRow {
  externalId: string;
  email: string | null;
  name: string | null;
  attributes: Record<string, unknown>;
  marketingConsent: boolean;
}
export interface SeedProductRow {
  externalId: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  tags: string[];
  price: number | null;
  attributes: Record<string, unknown>;
  active: boolean;
}
export interface SeedCampaignRow {
  externalId: string;
  name: string;
  description: string;
  channel: 'EMAIL' | 'SMS' | 'SOCIAL' | 'SEARCH' | 'DISPLAY';
  status: 'DRAFT' | 'SCHEDULED' | 'ACTIVE' | 'PAUSED' | 'COMPLETED';
  budget: number;
  startsAt: Date;
  endsAt: Date;
  adCopies: string[];
  productExternalIds: string[];
}
export interface SeedMetricRow {
  campaignExternalId: string;
  date: string;
  impressions: number;
  clicks: number;
  conversions: number;
  spend: number;
  revenue: number;
}
export interface SeedInteractionRow {
  userExternalId: string;
  productExternalId: string;
  type: 'VIEW' | 'CLICK' | 'ADD_TO_CART' | 'PURCHASE' | 'RATING';
  value: number | null;
  occurredAt: Date;
  campaignExternalId?: string;
}
export interface SeedFeedbackRow {
  externalId: string;
  userExternalId: string;
  productExternalId: string;
  campaignExternalId?: string;
  channel: 'REVIEW' | 'SURVEY' | 'SOCIAL' | 'SUPPORT' | 'AD_COMMENT';
  text: string;
  rating: number | null;
  createdAt: Date;
  labels: { task: string; label: string }[];
}

export interface SeedDataset {
  size: SeedSize;
  users: SeedUserRow[];
  products: SeedProductRow[];
  campaigns: SeedCampaignRow[];
  metrics: SeedMetricRow[];
  feedback: SeedFeedbackRow[];
  /** Streams interactions in time order, in chunks, without holding them all in memory. */
  interactionChunks(chunkSize: number): Generator<SeedInteractionRow[]>;
}

const FIRST = ['Ann', 'Ben', 'Chloe', 'David', 'Emma', 'Felix', 'Grace', 'Hugo', 'Iris', 'Jack', 'Wei', 'Li', 'Mei', 'Jun', 'Xiu', 'Hao', 'Yan', 'Lei'];
const LAST = ['Smith', 'Brown', 'Garcia', 'Müller', 'Rossi', 'Wang', 'Zhang', 'Chen', 'Liu', 'Huang', 'Tanaka', 'Kim'];
const CITIES = ['Shanghai', 'Beijing', 'Shenzhen', 'London', 'Berlin', 'New York', 'Toronto', 'Singapore'];
const SEGMENTS = ['new', 'regular', 'vip', 'lapsed'];
const BRANDS = ['Aurora', 'Nimbus', 'Kite', 'Maple', 'Orbit', 'Lumen', 'Pebble', 'Zephyr', 'Hearth', 'Vela'];
const NOUNS: Record<string, string[]> = {
  electronics: ['Headphones', 'Charger', 'Speaker', 'Smartwatch', 'Keyboard'],
  books: ['Novel', 'Cookbook', 'Travel Guide', 'Notebook', 'Atlas'],
  beauty: ['Face Cream', 'Lipstick', 'Serum', 'Shampoo', 'Perfume'],
  home: ['Lamp', 'Pillow', 'Kettle', 'Blanket', 'Vase'],
  sports: ['Yoga Mat', 'Running Shoes', 'Dumbbell', 'Water Bottle', 'Tennis Racket'],
  toys: ['Puzzle', 'Building Set', 'Plush Bear', 'Kite', 'Board Game'],
  grocery: ['Green Tea', 'Olive Oil', 'Coffee Beans', 'Honey', 'Dark Chocolate'],
  fashion: ['Scarf', 'Sneakers', 'Jacket', 'Backpack', 'Sunglasses'],
};
const ADJECTIVES = ['Classic', 'Pro', 'Mini', 'Eco', 'Deluxe', 'Smart', 'Organic', 'Ultra'];
const CHANNELS: SeedCampaignRow['channel'][] = ['EMAIL', 'SOCIAL', 'SEARCH', 'DISPLAY', 'SMS'];
const SEASONS = ['Spring', 'Summer', 'Back to School', 'Autumn', 'Singles Day', 'Holiday', 'New Year', 'Flash'];

export function generateSeedDataset(size: SeedSize, seed = 7): SeedDataset {
  const random = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const behaviour: SyntheticBehaviourOptions = {
    users: size.users,
    products: size.products,
    interactions: size.interactions,
    seed,
    start: SEED_START,
    days: SEED_DAYS,
    missingRate: 0.12,
  };
  const world: SyntheticWorld = createSyntheticWorld(behaviour);
  const userId = (index: number) => `cust-${String(index + 1).padStart(6, '0')}`;
  const productId = (index: number) => `prod-${String(index + 1).padStart(5, '0')}`;

  const users: SeedUserRow[] = world.users.map((user) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const attributes: Record<string, unknown> = {};
    if (random() > 0.15) attributes.city = pick(CITIES);
    if (random() > 0.1) attributes.segment = pick(SEGMENTS);
    if (random() > 0.3) attributes.ageBand = pick(['18-24', '25-34', '35-44', '45-54', '55+']);
    attributes.tasteCluster = user.cluster; // planted structure, visible to analysts exploring the demo
    return {
      externalId: userId(user.index),
      email: random() > 0.05 ? `${first}.${last}.${user.index + 1}@example.com`.toLowerCase().replace('ü', 'u') : null,
      name: `${first} ${last}`,
      attributes,
      marketingConsent: random() < 0.7,
    };
  });

  const products: SeedProductRow[] = world.products.map((product) => {
    const noun = pick(NOUNS[product.category] ?? ['Item']);
    const name = `${pick(BRANDS)} ${pick(ADJECTIVES)} ${noun}`;
    return {
      externalId: productId(product.index),
      sku: `SKU-${product.category.slice(0, 3).toUpperCase()}-${String(product.index + 1).padStart(5, '0')}`,
      name,
      description: `${name} in ${product.category}. ${product.tags.length ? `Tags: ${product.tags.join(', ')}.` : ''}`.trim(),
      category: product.category,
      tags: product.tags,
      price: product.price,
      attributes: product.attributes,
      active: random() > 0.03,
    };
  });

  const campaigns: SeedCampaignRow[] = [];
  const metrics: SeedMetricRow[] = [];
  const campaignsByProduct = new Map<number, { externalId: string; from: number; to: number }[]>();
  const categories = [...new Set(world.products.map((p) => p.category))];
  for (let c = 0; c < size.campaigns; c += 1) {
    const category = categories[c % categories.length];
    const startDay = Math.floor(random() * (SEED_DAYS - 30));
    const length = 14 + Math.floor(random() * 45);
    const from = SEED_START.getTime() + startDay * DAY_MS;
    const to = Math.min(from + length * DAY_MS, SEED_START.getTime() + SEED_DAYS * DAY_MS);
    const inCategory = world.products.filter((p) => p.category === category).sort((a, b) => b.popularity - a.popularity);
    const targets = inCategory.slice(0, 3 + Math.floor(random() * 5));
    const externalId = `cmp-${String(c + 1).padStart(4, '0')}`;
    const channel = CHANNELS[c % CHANNELS.length];
    const season = SEASONS[c % SEASONS.length];
    const budget = 2_000 + Math.round(random() * 18_000);
    campaigns.push({
      externalId,
      name: `${season} ${category[0].toUpperCase()}${category.slice(1)} ${channel === 'EMAIL' ? 'Newsletter' : 'Promotion'} ${c + 1}`,
      description: `${channel.toLowerCase()} campaign for ${category} best sellers.`,
      channel,
      status: c % 6 === 5 ? 'PAUSED' : 'COMPLETED',
      budget,
      startsAt: new Date(from),
      endsAt: new Date(to),
      adCopies: [`Up to 30% off ${category} this ${season.toLowerCase()}!`, `限时优惠：${category} 精选好物`],
      productExternalIds: targets.map((p) => productId(p.index)),
    });
    for (const target of targets) {
      const list = campaignsByProduct.get(target.index) ?? [];
      list.push({ externalId, from, to });
      campaignsByProduct.set(target.index, list);
    }
    const ctr = 0.01 + random() * 0.03;
    const cvr = 0.02 + random() * 0.06;
    const cpc = 0.3 + random() * 1.2;
    for (let day = from; day < to; day += DAY_MS) {
      // A few days without delivery, so dashboards meet empty buckets and zero denominators.
      const impressions = random() < 0.05 ? 0 : Math.round((budget / length / cpc / ctr) * (0.7 + random() * 0.6));
      const clicks = Math.round(impressions * ctr * (0.8 + random() * 0.4));
      const conversions = Math.round(clicks * cvr * (0.6 + random() * 0.8));
      metrics.push({
        campaignExternalId: externalId,
        date: new Date(day).toISOString().slice(0, 10),
        impressions,
        clicks,
        conversions,
        spend: Math.round(clicks * cpc * 100) / 100,
        revenue: Math.round(conversions * (20 + random() * 80) * 100) / 100,
      });
    }
  }

  const feedback: SeedFeedbackRow[] = [];
  const feedbackRandom: Random = createRandom(seed + 1);
  const channels: SeedFeedbackRow['channel'][] = ['REVIEW', 'REVIEW', 'REVIEW', 'SURVEY', 'SOCIAL', 'SUPPORT', 'AD_COMMENT'];
  for (let f = 0; f < size.feedback; f += 1) {
    const product = world.products[Math.floor(feedbackRandom() * world.products.length)];
    const user = world.users[Math.floor(feedbackRandom() * world.users.length)];
    const generated = generateFeedbackText(feedbackRandom, { productName: (NOUNS[product.category] ?? ['item'])[product.index % 5].toLowerCase() });
    const channel = channels[Math.floor(feedbackRandom() * channels.length)];
    const campaign = campaignsByProduct.get(product.index)?.[0];
    const createdAt = SEED_START.getTime() + Math.floor(feedbackRandom() * SEED_DAYS * DAY_MS);
    const labelled = feedbackRandom() < 0.75;
    feedback.push({
      externalId: `fb-${String(f + 1).padStart(7, '0')}`,
      userExternalId: userId(user.index),
      productExternalId: productId(product.index),
      ...(channel === 'AD_COMMENT' && campaign ? { campaignExternalId: campaign.externalId } : {}),
      channel: channel === 'AD_COMMENT' && !campaign ? 'SOCIAL' : channel,
      text: generated.text,
      rating: channel === 'REVIEW' ? generated.rating : null,
      createdAt: new Date(createdAt),
      labels: labelled
        ? [
            { task: 'sentiment', label: generated.sentiment },
            { task: 'topic', label: generated.topic },
          ]
        : [],
    });
  }

  return {
    size,
    users,
    products,
    campaigns,
    metrics,
    feedback,
    *interactionChunks(chunkSize: number) {
      let chunk: SeedInteractionRow[] = [];
      const attribution = createRandom(seed + 2);
      for (const event of iterateSyntheticInteractions(world, behaviour)) {
        const at = event.occurredAt.getTime();
        const campaign = event.type === 'CLICK' || event.type === 'PURCHASE' ? campaignsByProduct.get(event.product)?.find((c) => at >= c.from && at < c.to) : undefined;
        chunk.push({
          userExternalId: userId(event.user),
          productExternalId: productId(event.product),
          type: event.type,
          value: event.value,
          occurredAt: event.occurredAt,
          ...(campaign && attribution() < 0.6 ? { campaignExternalId: campaign.externalId } : {}),
        });
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length) yield chunk;
    },
  };
}
