import { Kind, parse, type FragmentDefinitionNode, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/app/schema.ts';
import { LIST_SIZERS } from '../../src/app/list-sizers.ts';
import { declaredListSize, operationCost, undeclaredListFields } from '../../src/graphql/cost.ts';
import { MAX_LABELS_PER_TASK, MAX_TASKS_PER_FEEDBACK } from '../../src/modules/common/task-name.ts';

const schema = buildSchema();
const limits = { maxPageSize: 100, sizers: LIST_SIZERS };

function costOf(source: string, variables: Record<string, unknown> = {}) {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return operationCost(schema, operation, fragments, variables, limits);
}

describe('request cost model', () => {
  it('bounds every list field of the schema: each declares @listSize or is sized by every field returning its type', () => {
    expect(undeclaredListFields(schema)).toEqual([]);
  });

  it('charges one unit per object and multiplies nested lists by their page sizes', () => {
    expect(costOf('{ serviceInfo { version } }').cost).toBe(1);
    // products (1) + 10 edges × (edge 1 + node 1); scalars are free.
    expect(costOf('{ products(first: 10) { edges { node { id name } } } }').cost).toBe(21);
    // Each product's campaigns: 10 × (1 + 1 + 5 × 1).
    expect(costOf('{ products(first: 10) { edges { node { campaigns(first: 5) { id } } } } }').cost).toBe(1 + 10 * (1 + 1 + 5));
    // Without `first`, a nested list counts its declared size (a user's feedback: 10), else maxPageSize.
    expect(costOf('{ products(first: 1) { edges { node { campaigns { id } } } } }').cost).toBe(1 + 1 * (1 + 1 + 100));
    expect(costOf('{ user(externalId: "u") { feedback { id } } }').cost).toBe(1 + 10);
    // A `first` beyond maxPageSize is refused by the field (BAD_USER_INPUT); it counts as maxPageSize.
    expect(costOf('{ products(first: 100000) { edges { node { id } } } }').cost).toBe(1 + 100 * 2);
  });

  it('multiplies through every level, so nesting unbounded lists is refused before it runs', () => {
    const nested = '{ campaigns(first: 100) { edges { node { products { campaigns { products { id } } } } } } }';
    expect(costOf(nested).cost).toBeGreaterThan(1e8);
  });

  it('takes list sizes from variables and sizers (buckets of a date range)', () => {
    const query = 'query ($n: Int) { recommendations(limit: $n) { items { product { id } } } }';
    expect(costOf(query, { n: 50 }).cost).toBe(5 + 1 + 50 * 2);
    const stats = (granularity: string) =>
      costOf(`{ campaignStats(campaignExternalId: "c", from: "2026-01-01", to: "2026-12-31", granularity: ${granularity}) { buckets { start } } }`).cost;
    expect(stats('MONTH')).toBe(20 + 1 + 12);
    expect(stats('DAY')).toBe(20 + 1 + 365);
  });

  it('weights compute-heavy fields by their input: classify by texts and kilobytes', () => {
    const query = 'query ($texts: [String!]!) { classify(task: "sentiment", texts: $texts) { results { label } } }';
    const small = costOf(query, { texts: ['ok'] }).cost;
    const many = costOf(query, { texts: Array.from({ length: 1000 }, () => 'x'.repeat(5000)) }).cost;
    expect(small).toBe(10 + 1 + 2 + 1 + 1); // weight + 1 text + 1 kB + batch + 1 result
    expect(many).toBeGreaterThan(10_000);
    // Aliases of the same field over one shared variable each count.
    const texts = Array.from({ length: 100 }, () => 'x'.repeat(1000));
    const one = costOf('query ($texts: [String!]!) { classify(task: "s", texts: $texts) { modelVersion { id } } }', { texts }).cost;
    const aliased = `query ($texts: [String!]!) { ${Array.from({ length: 10 }, (_, i) => `a${i}: classify(task: "s", texts: $texts) { modelVersion { id } }`).join(' ')} }`;
    expect(one).toBeGreaterThan(10 + 100 + 2 * 97);
    expect(costOf(aliased, { texts }).cost).toBe(10 * one);
  });

  it('counts the bulk rows of all mutations of a request together, aliases included', () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ externalId: `u${i}` }));
    const query = 'mutation ($rows: [UserInput!]!) { a: upsertUsers(input: $rows) { created } b: upsertUsers(input: $rows) { created } }';
    expect(costOf(query, { rows }).rows).toBe(14);
    expect(costOf('{ serviceInfo { version } }').rows).toBe(0);
  });

  it('walks fragments once per place they are spread (no blow-up in time), multiplying their cost', () => {
    let fragments = 'fragment F0 on Product { id campaigns(first: 2) { id } }';
    for (let i = 1; i <= 40; i++) fragments += ` fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
    const started = performance.now();
    const { cost } = costOf(`{ product(externalId: "p") { ...F40 } } ${fragments}`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(cost).toBeGreaterThan(2 ** 40);
  });
});

describe('declared list sizes and the rules they stand for', () => {
  it('label and score lists assume the most labels a task has', () => {
    const fields: [string, string][] = [
      ['Classification', 'scores'],
      ['FeedbackPrediction', 'scores'],
      ['ModelVersion', 'labels'],
      ['FeedbackInsightsBucket', 'predicted'],
      ['FeedbackInsightsBucket', 'human'],
      ['FeedbackInsights', 'terms'],
      ['SentimentSummary', 'labels'],
    ];
    for (const [type, field] of fields) {
      const definition = (schema.getType(type) as GraphQLObjectType).getFields()[field]!;
      expect(declaredListSize(definition), `${type}.${field}`).toBe(MAX_LABELS_PER_TASK);
    }
    expect(declaredListSize((schema.getType('Feedback') as GraphQLObjectType).getFields().labels!)).toBe(MAX_TASKS_PER_FEEDBACK);
    expect(declaredListSize((schema.getType('Feedback') as GraphQLObjectType).getFields().predictions!)).toBe(MAX_TASKS_PER_FEEDBACK);
  });
});
