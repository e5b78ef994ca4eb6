// Walks EVERY root Query and Mutation field of the built schema × every role over real HTTP and
// checks FORBIDDEN vs allowed against the matrix below. A new root field without a decision
// here fails this test: decide its roles, put `@allow(roles: [...])` on it, and add it below.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/app/schema.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Role = 'ADMIN' | 'ANALYST' | 'INTEGRATION';
const ALL: Role[] = ['ADMIN', 'ANALYST', 'INTEGRATION'];
const READERS: Role[] = ['ADMIN', 'ANALYST']; // lists and analytics: ANALYST reads everything (masked)
const WRITERS: Role[] = ['ADMIN', 'INTEGRATION']; // bulk writes: CRM sync jobs
const MODEL_OPS: Role[] = ['ADMIN', 'ANALYST']; // training and activation
const ADMIN: Role[] = ['ADMIN'];

/** The access matrix: who may call each root field. */
const EXPECTED: Record<string, Role[]> = {
  // Queries
  'Query.node': ALL,
  'Query.nodes': ALL,
  'Query.serviceInfo': ALL,
  'Query.users': READERS,
  'Query.user': ALL,
  'Query.products': READERS,
  'Query.product': ALL,
  'Query.campaigns': READERS,
  'Query.campaign': ALL,
  'Query.feedback': READERS,
  'Query.feedbackItem': ALL,
  'Query.interactions': READERS,
  'Query.interaction': ALL,
  'Query.models': READERS,
  'Query.model': ALL,
  'Query.trainingJobs': READERS,
  'Query.trainingJob': ALL,
  'Query.classify': ALL,
  'Query.apiKeys': ADMIN,
  'Query.auditLog': ADMIN,
  // Analytics (dashboards): readers only.
  'Query.campaignStats': READERS,
  'Query.campaignLeaderboard': READERS,
  'Query.feedbackInsights': READERS,
  'Query.productFeatureReport': READERS,
  // Recommendations (module in progress): INTEGRATION pulls recommendations and audiences back.
  'Query.recommendations': ALL,
  'Query.similarProducts': ALL,
  'Query.campaignAudience': ALL,
  // Mutations
  'Mutation.ping': ALL,
  'Mutation.upsertUsers': WRITERS,
  'Mutation.upsertProducts': WRITERS,
  'Mutation.upsertCampaigns': WRITERS,
  'Mutation.recordCampaignMetrics': WRITERS,
  'Mutation.recordInteractions': WRITERS,
  'Mutation.submitFeedback': WRITERS,
  'Mutation.labelFeedback': WRITERS,
  'Mutation.trainModel': MODEL_OPS,
  'Mutation.activateModel': MODEL_OPS,
  'Mutation.reclassifyFeedback': MODEL_OPS,
  'Mutation.eraseUser': ADMIN,
  'Mutation.createApiKey': ADMIN,
  'Mutation.revokeApiKey': ADMIN,
};

/** A literal that passes validation for a required input type (lists are sent empty: nothing is written). */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return '[]';
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const required = Object.values(type.getFields()).filter((field) => isNonNullType(field.type) && field.defaultValue === undefined);
    return `{ ${required.map((field) => `${field.name}: ${literal(field.type)}`).join(', ')} }`;
  }
  switch (type.name) {
    case 'Int':
    case 'Float':
      return '1';
    case 'Boolean':
      return 'false';
    case 'DateTime':
      return '"2026-01-01T00:00:00Z"';
    case 'Date':
      return '"2026-01-01"';
    case 'JSONObject':
      return '{}';
    default:
      return '"x"';
  }
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args.filter((arg: GraphQLArgument) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const argText = args.length ? `(${args.map((arg) => `${arg.name}: ${literal(arg.type)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isInterfaceType(named) || isUnionType(named) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${argText}${selection} }`;
}

const schema = buildSchema();
const rootFields = [
  ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ kind: 'query' as const, type: 'Query', field })),
  ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ kind: 'mutation' as const, type: 'Mutation', field })),
];

let api: TestServer;
const keys: Record<Role, string> = { ADMIN: '', ANALYST: '', INTEGRATION: '' };
beforeAll(async () => {
  api = await startTestServer();
  keys.ADMIN = (await api.createKey('ADMIN', 'matrix admin')).secret;
  keys.ANALYST = (await api.createKey('ANALYST', 'matrix analyst')).secret;
  keys.INTEGRATION = (await api.createKey('INTEGRATION', 'matrix integration')).secret;
});
afterAll(async () => {
  await api?.stop();
});

describe('access matrix', () => {
  it('has a decision for every root field of the schema', () => {
    expect(rootFields.length).toBeGreaterThan(30);
    const undecided = rootFields.map(({ type, field }) => `${type}.${field.name}`).filter((name) => !EXPECTED[name]);
    expect(undecided, 'root fields without an entry in EXPECTED (and probably without @allow)').toEqual([]);
  });

  it('enforces the matrix for every root field × role over HTTP', async () => {
    const mismatches: string[] = [];
    for (const { kind, type, field } of rootFields) {
      const expected = EXPECTED[`${type}.${field.name}`];
      if (!expected) continue;
      const query = operationFor(kind, field);
      for (const role of ['ADMIN', 'ANALYST', 'INTEGRATION'] as const) {
        const result = await api.gqlAs(keys[role], query);
        if (result.errors?.some((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')) {
          mismatches.push(`${type}.${field.name}: generated query is invalid: ${query} ${result.errors[0]!.message}`);
          continue;
        }
        const forbidden = result.errors?.find((error) => error.extensions?.code === 'FORBIDDEN');
        const allowed = expected.includes(role);
        if (allowed && forbidden) mismatches.push(`${type}.${field.name} as ${role}: expected allowed, got FORBIDDEN`);
        if (!allowed && !forbidden) mismatches.push(`${type}.${field.name} as ${role}: expected FORBIDDEN, got ${JSON.stringify(result.errors?.[0]?.extensions?.code ?? 'data')}`);
        if (forbidden) {
          expect(forbidden.message).toContain(`role ${role}`);
          expect(forbidden.extensions?.requiredRoles).toEqual(expected);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('treats a root field without @allow as ADMIN-only (deny by default)', async () => {
    const { makeExecutableSchema } = await import('@graphql-tools/schema');
    const { applyAccessControl } = await import('../../src/modules/access/access-control.ts');
    const { graphql } = await import('graphql');
    const fs = await import('node:fs');
    const base = fs.readFileSync(new URL('../../src/graphql/base.graphql', import.meta.url), 'utf8');
    const tiny = applyAccessControl(
      makeExecutableSchema({
        typeDefs: [base, 'extend type Query { secret: String open: String @allow(roles: [ANALYST]) }'],
        resolvers: { Query: { secret: () => 's', open: () => 'o', node: () => null, nodes: () => [], serviceInfo: () => null }, Mutation: { ping: () => true } },
      }),
    );
    const run = (role: Role, source: string) => graphql({ schema: tiny, source, contextValue: { viewer: { role, keyId: null, keyName: null } } });
    expect((await run('ANALYST', '{ secret }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await run('ADMIN', '{ secret }')).data).toEqual({ secret: 's' });
    expect((await run('ANALYST', '{ open }')).data).toEqual({ open: 'o' });
  });

  it('guards arguments: only ADMIN may look a user up by email', async () => {
    const query = '{ user(email: "someone@example.com") { id } }';
    expect((await api.gqlAs(keys.ANALYST, query)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await api.gqlAs(keys.INTEGRATION, query)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await api.gqlAs(keys.ADMIN, query);
    expect(admin.errors).toBeUndefined();
    expect(admin.data).toEqual({ user: null });
  });
});
