// Privacy on every path, with keys of every role over a real server:
// - errors never name another record (its externalId, email, name);
// - one role rule per piece of data, whichever field reaches it: the schema walk below visits EVERY
//   field of every object type and holds each to one declared rule, so a new nested path cannot
//   bypass the rule of its root equivalent; then every nested field with its own @allow is called
//   as every role over HTTP;
// - free text and nested attributes masked for every role but ADMIN, on every path and in exports.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDirective } from '@graphql-tools/utils';
import { buildSchema } from '../../src/app/schema.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { graphql } from '../support/graphql.ts';

type Role = 'ADMIN' | 'ANALYST' | 'INTEGRATION';
const ROLES: Role[] = ['ADMIN', 'ANALYST', 'INTEGRATION'];

const schema = buildSchema();
const query = schema.getQueryType()!;
const mutation = schema.getMutationType()!;
const rootTypes = new Set([query.name, mutation.name]);

/** The roles a field declares with @allow; null when it declares none. */
function declaredRoles(field: GraphQLField<unknown, unknown>): Role[] | null {
  const allow = getDirective(schema, field, 'allow')?.[0] as { roles: Role[] } | undefined;
  return allow ? [...allow.roles].sort() : null;
}
/** Roles of a root field: its @allow, ADMIN alone without one (deny by default). */
function rootRoles(name: string): Role[] {
  const [type, field] = name.split('.') as [string, string];
  const found = (type === 'Query' ? query : mutation).getFields()[field];
  if (!found) throw new Error(`no root field ${name}`);
  return declaredRoles(found) ?? ['ADMIN'];
}
const isNodeType = (type: GraphQLNamedType): type is GraphQLObjectType => isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node');
function isList(field: GraphQLField<unknown, unknown>): boolean {
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return isListType(type);
}

/** The root list of each entity type (users, products, …: the field returning its connection or list). */
const rootListOf = new Map<string, string>();
/** The root single lookup of each entity type (user, product, …). */
const rootLookupOf = new Map<string, string>();
for (const field of Object.values(query.getFields())) {
  const named = getNamedType(field.type);
  if (field.name === 'node' || field.name === 'nodes') continue;
  if (isObjectType(named) && named.name.endsWith('Connection')) {
    const node = getNamedType(named.getFields().edges!.type) as GraphQLObjectType;
    rootListOf.set(getNamedType(node.getFields().node!.type).name, `Query.${field.name}`);
  } else if (isNodeType(named) && isList(field)) {
    rootListOf.set(named.name, `Query.${field.name}`);
  } else if (isNodeType(named)) {
    rootLookupOf.set(named.name, `Query.${field.name}`);
  }
}

/**
 * The declared rule of every nested field that is more than a plain value of its parent (it takes
 * arguments or returns an object), except references to entities, whose rule is derived below:
 * - `Query.x`: the same data as the root field x (analytics, personal data); it carries x's @allow;
 * - 'ADMIN': personal data with no root equivalent (README: ADMIN only);
 * - 'part': a value object that is part of its parent (no rule of its own, no @allow).
 * A list of entities is always the root list of that entity (users, products, campaigns, feedback,
 * interactions, …); a single entity is its root lookup (user, product, …).
 */
const DECLARED: Record<string, string> = {
  // Analytics reached from entities: the roles of their root analytics fields.
  'Campaign.dailyMetrics': 'Query.campaignStats',
  'Campaign.totals': 'Query.campaignStats',
  'Campaign.sentimentSummary': 'Query.feedbackInsights',
  'Product.productSentiment': 'Query.feedbackInsights',
  'Product.interactionCount': 'Query.interactions',
  // Personal data.
  'User.consentHistory': 'ADMIN',
  // Value objects: parts of their parent.
  'BulkWriteResult.errors': 'part',
  // What one erasure queued (eraseUser is ADMIN-only): part of its answer, not a list of jobs by another path.
  'ErasureResult.modelRetrainJobs': 'part',
  'CreatedApiKey.apiKey': 'part',
  'AuditEntryConnection.pageInfo': 'part',
  'CampaignConnection.pageInfo': 'part',
  'FeedbackConnection.pageInfo': 'part',
  'InteractionConnection.pageInfo': 'part',
  'ProductConnection.pageInfo': 'part',
  'UserConnection.pageInfo': 'part',
  'AuditEntryConnection.edges': 'part',
  'AuditEntryEdge.node': 'part',
  'CampaignConnection.edges': 'part',
  'FeedbackConnection.edges': 'part',
  'InteractionConnection.edges': 'part',
  'ProductConnection.edges': 'part',
  'UserConnection.edges': 'part',
  'CampaignStatsBucket.metrics': 'part',
  'CampaignStatsBucket.attribution': 'part',
  'CampaignStats.buckets': 'part',
  'CampaignStats.total': 'part',
  'CampaignStats.totalAttribution': 'part',
  'CampaignLeaderboardEntry.totals': 'part',
  'FeedbackInsightsBucket.predicted': 'part',
  'FeedbackInsightsBucket.human': 'part',
  'LabelTerms.terms': 'part',
  'FeedbackInsights.buckets': 'part',
  'FeedbackInsights.total': 'part',
  'FeedbackInsights.terms': 'part',
  'SentimentSummary.labels': 'part',
  'ProductFeatureReport.features': 'part',
  'Feedback.labels': 'part',
  'Feedback.predictions': 'part',
  'FeedbackPrediction.scores': 'part',
  'TrainingJob.progress': 'part',
  'Classification.scores': 'part',
  'Classification.explanation': 'part',
  'ClassificationBatch.results': 'part',
  'Recommendation.reason': 'part',
  'RecommendationList.items': 'part',
  'ServiceInfo.ratingScale': 'part',
  'SimilarProduct.reason': 'part',
};

interface FieldRule {
  coordinate: string;
  parent: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  /** The root field whose roles it must carry, 'ADMIN', or 'part'. */
  rule: string;
}

const objectTypes = Object.values(schema.getTypeMap()).filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'));
const undecided: string[] = [];
const rules: FieldRule[] = [];
for (const parent of objectTypes) {
  if (rootTypes.has(parent.name)) continue;
  for (const field of Object.values(parent.getFields())) {
    const coordinate = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    let rule: string | undefined = DECLARED[coordinate];
    if (rule === undefined && isNodeType(named)) rule = isList(field) ? rootListOf.get(named.name) : rootLookupOf.get(named.name);
    if (rule === undefined && isLeafType(named) && field.args.length === 0) continue; // a plain value of its parent
    if (rule === undefined) undecided.push(coordinate);
    else rules.push({ coordinate, parent, field, rule });
  }
}
const ruleOf = new Map(rules.map((rule) => [rule.coordinate, rule]));

/** Roles that may use a field once its parent is reached: its @allow, else everyone who reached the parent. */
function fieldRoles(field: GraphQLField<unknown, unknown>, root: boolean): Role[] {
  return declaredRoles(field) ?? (root ? ['ADMIN'] : ROLES);
}

/** Every field each role reaches from the root fields it may call, honouring @allow on the way. */
function reachable(role: Role): Set<string> {
  const fields = new Set<string>();
  const seen = new Set<string>();
  const queue: GraphQLObjectType[] = [];
  const visit = (type: GraphQLNamedType) => {
    const objects = isInterfaceType(type) ? schema.getPossibleTypes(type) : isObjectType(type) ? [type] : [];
    for (const object of objects) {
      if (!seen.has(object.name)) {
        seen.add(object.name);
        queue.push(object);
      }
    }
  };
  for (const root of [query, mutation]) {
    for (const field of Object.values(root.getFields())) {
      if (fieldRoles(field, true).includes(role)) visit(getNamedType(field.type));
    }
  }
  while (queue.length) {
    const type = queue.shift()!;
    for (const field of Object.values(type.getFields())) {
      if (!fieldRoles(field, false).includes(role)) continue;
      fields.add(`${type.name}.${field.name}`);
      visit(getNamedType(field.type));
    }
  }
  return fields;
}

describe('one role rule per piece of data (schema walk)', () => {
  it('has a declared rule for every nested field that is more than a plain value, and no stale one', () => {
    expect(rules.length).toBeGreaterThan(50);
    expect(undecided, "nested fields without a rule: add them to DECLARED (and @allow where they carry a root field's data)").toEqual([]);
    const stale = Object.keys(DECLARED).filter((coordinate) => !ruleOf.has(coordinate));
    expect(stale).toEqual([]);
  });

  it('gives every nested field exactly the @allow of its root equivalent', () => {
    const mismatches: string[] = [];
    for (const { coordinate, field, rule } of rules) {
      const declared = declaredRoles(field);
      if (rule === 'part') {
        if (declared) mismatches.push(`${coordinate}: a part of its parent declares @allow(${declared.join(', ')})`);
        continue;
      }
      const expected = (rule === 'ADMIN' ? ['ADMIN'] : rootRoles(rule)).sort();
      // A field whose equivalent is open to every role needs no @allow of its own.
      const effective = declared ?? (expected.length === ROLES.length ? expected : null);
      if (JSON.stringify(effective) !== JSON.stringify(expected)) {
        mismatches.push(`${coordinate}: like ${rule}, expected @allow(roles: [${expected.join(', ')}]), has ${declared ? `[${declared.join(', ')}]` : 'none'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('lets no role reach a nested field whose root equivalent refuses it, on any path', () => {
    const violations: string[] = [];
    for (const role of ROLES) {
      for (const coordinate of reachable(role)) {
        const rule = ruleOf.get(coordinate)?.rule;
        if (!rule || rule === 'part') continue;
        const allowed = rule === 'ADMIN' ? ['ADMIN'] : rootRoles(rule);
        if (!allowed.includes(role)) violations.push(`${role} reaches ${coordinate} (like ${rule}: ${allowed.join(', ')})`);
      }
    }
    expect(violations).toEqual([]);
    // The walk does see the nested analytics for the roles that may read them.
    expect(reachable('ANALYST').has('Campaign.totals')).toBe(true);
    expect(reachable('INTEGRATION').has('Campaign.externalId')).toBe(true);
    expect(reachable('INTEGRATION').has('Campaign.totals')).toBe(false);
  });
});

/** A literal that passes validation for a required input type. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return '[]';
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) return '{}';
  if (type.name === 'Int' || type.name === 'Float') return '1';
  if (type.name === 'Boolean') return 'false';
  if (type.name === 'Date') return '"2026-01-01"';
  return '"sentiment"';
}

const SEED_USERS = graphql(`mutation PrivacyPathsSeedUsers($input: [UserInput!]!) { upsertUsers(input: $input) { failed errors { index code message field } } }`);
const SEED_PRODUCTS = graphql(`mutation PrivacyPathsSeedProducts($input: [ProductInput!]!) { upsertProducts(input: $input) { failed } }`);
const SEED_CAMPAIGNS = graphql(`mutation PrivacyPathsSeedCampaigns($input: [CampaignInput!]!) { upsertCampaigns(input: $input) { failed } }`);
const SEED_METRICS = graphql(`mutation PrivacyPathsSeedMetrics($input: [CampaignMetricInput!]!) { recordCampaignMetrics(input: $input) { failed } }`);
const SEED_FEEDBACK = graphql(`mutation PrivacyPathsSeedFeedback($input: [FeedbackInput!]!) { submitFeedback(input: $input) { failed errors { message } } }`);

/** Free text with every kind of identifier, and what roles without personal-data access see of it. */
const RAW_TEXT =
  '快递太慢了！电话13812345678 / +86 138 1234 5678，邮箱 ann.lee@example.com，身份证11010519491231002X. UK: +44 20 7946 0958, US: (555) 123-4567. Paid ¥129.00 on 2026-03-01 for 3 boxes.';
const MASKED_TEXT = '快递太慢了！电话[phone] / [phone]，邮箱 [email]，身份证[id-number]. UK: [phone], US: [phone]. Paid ¥129.00 on 2026-03-01 for 3 boxes.';
/** Attributes with personal data at the top level, nested inside an allowed key, and inside allowed texts. */
const ATTRIBUTES = {
  // Nested objects keep only NON_PERSONAL_ATTRIBUTE_KEYS too (segment, tier, channel, language, country, ... by default).
  segment: { email: 'ann.lee@example.com', tier: 'gold', channel: { phone: '13812345678', language: 'zh' }, country: [{ name: 'Ann', tier: 'vip' }, 'CN'], contact: 'Ann' },
  tier: 'gold',
  channel: 'call 13812345678 after 18:00',
  city: 'Shanghai',
  phone: '+86 138 1234 5678',
};
const MASKED_ATTRIBUTES = { segment: { tier: 'gold', channel: { language: 'zh' }, country: [{ tier: 'vip' }, 'CN'] }, tier: 'gold', channel: 'call [phone] after 18:00' };

let api: TestServer;
const keys: Record<Role, string> = { ADMIN: '', ANALYST: '', INTEGRATION: '' };
/** The externalId of the seeded entity of each type nested fields hang from. */
const SEEDED: Record<string, string> = { User: 'pp-ann', Product: 'pp-tea', Campaign: 'pp-spring' };

beforeAll(async () => {
  api = await startTestServer();
  for (const role of ROLES) keys[role] = (await api.createKey(role, `privacy paths ${role.toLowerCase()}`)).secret;
  const users = await api.gql(SEED_USERS, {
    input: [
      { externalId: 'pp-ann', email: 'ann.lee@example.com', name: 'Ann Lee', marketingConsent: true, attributes: ATTRIBUTES },
      { externalId: 'pp-bob', email: 'bob.ma@example.com', name: 'Bob Ma' },
    ],
  });
  expect(users.data?.upsertUsers.failed).toBe(0);
  expect((await api.gql(SEED_PRODUCTS, { input: [{ externalId: 'pp-tea', name: 'Green tea', price: 12.5 }] })).data?.upsertProducts.failed).toBe(0);
  expect(
    (await api.gql(SEED_CAMPAIGNS, { input: [{ externalId: 'pp-spring', name: 'Spring', channel: 'EMAIL', productExternalIds: ['pp-tea'] }] })).data?.upsertCampaigns.failed,
  ).toBe(0);
  const metrics = await api.gql(SEED_METRICS, {
    input: [{ campaignExternalId: 'pp-spring', date: '2026-03-01', impressions: 100, clicks: 5, conversions: 1, spend: 10, revenue: 30 }],
  });
  expect(metrics.data?.recordCampaignMetrics.failed).toBe(0);
  const feedback = await api.gql(SEED_FEEDBACK, {
    input: [
      { externalId: 'pp-fb-1', userExternalId: 'pp-ann', productExternalId: 'pp-tea', campaignExternalId: 'pp-spring', channel: 'REVIEW', text: 'Lovely tea', rating: 5 },
      { externalId: 'pp-fb-2', userExternalId: 'pp-ann', productExternalId: 'pp-tea', campaignExternalId: 'pp-spring', channel: 'SUPPORT', text: RAW_TEXT, rating: 2 },
    ],
  });
  expect(feedback.data?.submitFeedback.failed).toBe(0);
});
afterAll(async () => {
  await api?.stop();
});

describe('errors never reveal another record', () => {
  it('refuses a reused email without naming the customer who holds it', async () => {
    for (const role of ['ADMIN', 'INTEGRATION'] as const) {
      const clash = await api.gqlAs(keys[role], SEED_USERS, { input: [{ externalId: `pp-new-${role}`, email: 'ANN.LEE@example.com' }] });
      const error = clash.data!.upsertUsers.errors[0]!;
      expect(error).toMatchObject({ code: 'CONFLICT', field: 'email', message: 'email is already used by another customer.' });
      expect(JSON.stringify(clash)).not.toMatch(/pp-ann|Ann Lee|ann\.lee/i);
    }
  });
});

describe('one role rule per piece of data (over HTTP)', () => {
  it('answers every nested field with its own @allow as its root equivalent does, for every role', async () => {
    const guarded = rules.filter(({ parent, field }) => declaredRoles(field) && SEEDED[parent.name]);
    // Every guarded nested field hangs from an entity seeded here.
    expect(
      rules
        .filter(({ field }) => declaredRoles(field))
        .map((r) => r.coordinate)
        .sort(),
    ).toEqual(guarded.map((r) => r.coordinate).sort());
    expect(guarded.length).toBeGreaterThanOrEqual(10);
    const mismatches: string[] = [];
    for (const { parent, field, coordinate } of guarded) {
      const lookup = rootLookupOf.get(parent.name)!.split('.')[1]!;
      const args = field.args.filter((arg) => isNonNullType(arg.type));
      const argText = args.length ? `(${args.map((arg) => `${arg.name}: ${literal(arg.type)}`).join(', ')})` : '';
      const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
      const document = `query { ${lookup}(externalId: "${SEEDED[parent.name]}") { externalId ${field.name}${argText}${selection} } }`;
      const allowed = declaredRoles(field)!;
      for (const role of ROLES) {
        const result = await api.gqlAs(keys[role], document);
        const entity = (result.data as Record<string, Record<string, unknown> | null> | null)?.[lookup];
        const forbidden = result.errors?.find((error) => error.extensions?.code === 'FORBIDDEN');
        if (allowed.includes(role)) {
          if (result.errors) mismatches.push(`${coordinate} as ${role}: ${result.errors[0]!.message}`);
          else if (entity?.[field.name] == null) mismatches.push(`${coordinate} as ${role}: no data`);
        } else {
          if (!forbidden) mismatches.push(`${coordinate} as ${role}: not refused`);
          else {
            expect(forbidden.path).toEqual([lookup, field.name]);
            expect(forbidden.extensions?.requiredRoles).toEqual(allowed);
          }
          // The refusal nulls only the field: the entity itself still answers.
          if (entity?.externalId !== SEEDED[parent.name] || entity?.[field.name] !== null) mismatches.push(`${coordinate} as ${role}: ${JSON.stringify(entity)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses nested analytics to INTEGRATION through node() and nested entities too', async () => {
    const viaNode = await api.gqlAs(
      keys.INTEGRATION,
      graphql(
        `query PrivacyPathsNestedTotals { feedbackItem(externalId: "pp-fb-1") { campaign { name totals { revenue } sentimentSummary { feedbackCount } } product { name productSentiment { feedbackCount } } } }`,
      ),
    );
    expect(viaNode.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(viaNode.data?.feedbackItem).toEqual({ campaign: { name: 'Spring', totals: null, sentimentSummary: null }, product: { name: 'Green tea', productSentiment: null } });
    const analyst = await api.gqlAs(
      keys.ANALYST,
      graphql(`query PrivacyPathsNestedTotalsAnalyst { campaign(externalId: "pp-spring") { totals { revenue } dailyMetrics { clicks } products { externalId } } }`),
    );
    expect(analyst.errors).toBeUndefined();
    expect(analyst.data?.campaign).toEqual({ totals: { revenue: 30 }, dailyMetrics: [{ clicks: 5 }], products: [{ externalId: 'pp-tea' }] });
  });
});

describe('free text and nested attributes are masked for roles without personal-data access', () => {
  const feedbackPaths = {
    feedbackItem: graphql(`query PrivacyPathsFeedbackItem { feedbackItem(externalId: "pp-fb-2") { id text user { externalId attributes } } }`),
    list: graphql(`query PrivacyPathsFeedbackList { feedback(filter: { productExternalId: "pp-tea", ratingMax: 2 }) { edges { node { text } } } }`),
    product: graphql(`query PrivacyPathsProductFeedback { product(externalId: "pp-tea") { feedback(first: 10) { text } } }`),
    campaign: graphql(`query PrivacyPathsCampaignFeedback { campaign(externalId: "pp-spring") { feedback(first: 10) { text } } }`),
    user: graphql(`query PrivacyPathsUserFeedback { user(externalId: "pp-ann") { attributes feedback(first: 10) { text } } }`),
    users: graphql(`query PrivacyPathsUsers { users(filter: { search: "pp-ann" }) { edges { node { attributes } } } }`),
  };
  const NODE = graphql(`query PrivacyPathsNode($id: ID!) { node(id: $id) { ... on Feedback { text user { attributes } } } nodes(ids: [$id]) { ... on Feedback { text } } }`);

  /** Every feedback text and attributes object in a response. */
  function collect(value: unknown, into: { texts: string[]; attributes: unknown[] } = { texts: [], attributes: [] }) {
    if (Array.isArray(value)) for (const item of value) collect(item, into);
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'text' && typeof item === 'string') into.texts.push(item);
        else if (key === 'attributes') into.attributes.push(item);
        else collect(item, into);
      }
    }
    return into;
  }

  it('shows ADMIN the text and attributes as written, on every path', async () => {
    const id = (await api.gql(feedbackPaths.feedbackItem)).data!.feedbackItem!.id;
    for (const document of [...Object.values(feedbackPaths), NODE]) {
      const result = await api.gqlAs(keys.ADMIN, document as typeof NODE, { id });
      expect(result.errors).toBeUndefined();
      const { texts, attributes } = collect(result.data);
      for (const text of texts) expect([RAW_TEXT, 'Lovely tea']).toContain(text);
      for (const value of attributes) expect(value).toEqual(ATTRIBUTES);
    }
  });

  it('replaces identifiers in feedback text and drops personal keys at every depth, for ANALYST and INTEGRATION on every path', async () => {
    const id = (await api.gql(feedbackPaths.feedbackItem)).data!.feedbackItem!.id;
    for (const role of ['ANALYST', 'INTEGRATION'] as const) {
      let texts = 0;
      let attributes = 0;
      for (const [path, document] of [...Object.entries(feedbackPaths), ['node', NODE] as const]) {
        const result = await api.gqlAs(keys[role], document as typeof NODE, { id });
        const refused = result.errors?.every((error) => error.extensions?.code === 'FORBIDDEN');
        if (result.errors) {
          // Lists are ANALYST's only; INTEGRATION is refused them (part 2), never shown them unmasked.
          expect(role === 'INTEGRATION' && refused, `${path} as ${role}: ${result.errors[0]!.message}`).toBe(true);
        }
        const found = collect(result.data);
        for (const text of found.texts) expect([MASKED_TEXT, 'Lovely tea'], `${path} as ${role}`).toContain(text);
        for (const value of found.attributes) expect(value, `${path} as ${role}`).toEqual(MASKED_ATTRIBUTES);
        texts += found.texts.length;
        attributes += found.attributes.length;
        expect(JSON.stringify(result.data)).not.toMatch(/13812345678|138 1234|ann\.lee|11010519491231002X|7946|123-4567|Shanghai/);
      }
      expect(texts).toBeGreaterThanOrEqual(role === 'ANALYST' ? 6 : 3);
      expect(attributes).toBeGreaterThanOrEqual(role === 'ANALYST' ? 3 : 2);
    }
  });
});

describe('searches cannot probe what masking hides', () => {
  const SEARCH = graphql(
    `query PrivacyPathsFeedbackSearch($search: String!) { feedback(filter: { search: $search, productExternalId: "pp-tea" }) { totalCount edges { node { externalId } } } }`,
  );
  const found = async (role: Role, search: string) => {
    const result = await api.gqlAs(keys[role], SEARCH, { search });
    expect(result.errors).toBeUndefined();
    expect(result.data!.feedback.edges).toHaveLength(result.data!.feedback.totalCount);
    return result.data!.feedback.totalCount;
  };

  it('finds feedback by a text inside an identifier only for ADMIN', async () => {
    for (const probe of ['13812345678', '1381234', '138 1234', 'ann.lee', 'example.com', '@example', '11010519491231002x', '7946 0958', '123-4567']) {
      expect(await found('ADMIN', probe), probe).toBe(1);
      expect(await found('ANALYST', probe), probe).toBe(0);
    }
  });

  it('still finds feedback by the words analysts see, also in texts holding identifiers', async () => {
    for (const role of ['ADMIN', 'ANALYST'] as const) {
      expect(await found(role, '快递')).toBe(1);
      expect(await found(role, '3 BOXES')).toBe(1);
      expect(await found(role, '¥129.00')).toBe(1);
      expect(await found(role, 'tea')).toBe(1);
      expect(await found(role, 'e')).toBe(2);
    }
  });
});
