// Requests generated from schema.graphql for the schema-driven fuzz run (schema-fuzz.test.ts,
// bench/fuzz.ts). Every request is a pure function of (seed, index): generation is lazy and the
// same index always gives the same bytes, whatever the concurrency.
//
// Request i targets root field FIELDS[i % F]; round k = floor(i / F) picks the attack (cycling
// through the attacks that apply to the field) and the caller (cycling through the six callers,
// shifted every full cycle of attacks), so every root field meets every caller and every attack
// that applies to it once the run has F × max(attacks, 6) requests.
import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { createRandom, type Random } from '../../../src/ml/shared/random.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const schema: GraphQLSchema = buildSchema(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));

export type Caller = 'ADMIN' | 'ANALYST' | 'INTEGRATION' | 'NO_KEY' | 'MALFORMED_KEY' | 'REVOKED_KEY';
export const CALLERS: readonly Caller[] = ['ADMIN', 'ANALYST', 'INTEGRATION', 'NO_KEY', 'MALFORMED_KEY', 'REVOKED_KEY'];
type Role = 'ADMIN' | 'ANALYST' | 'INTEGRATION';

/** Every root field, `Query.x` / `Mutation.x`, in schema order. */
export const FIELDS: readonly string[] = [
  ...Object.keys(schema.getQueryType()!.getFields()).map((name) => `Query.${name}`),
  ...Object.keys(schema.getMutationType()!.getFields()).map((name) => `Mutation.${name}`),
];

export function rootField(name: string): GraphQLField<unknown, unknown> {
  const [type, field] = name.split('.') as [string, string];
  return (type === 'Query' ? schema.getQueryType()! : schema.getMutationType()!).getFields()[field]!;
}

/** Roles of a root field: its @allow, ADMIN alone without one (deny by default, as the server does). */
export function allowedRoles(name: string): Role[] {
  const allow = rootField(name).astNode?.directives?.find((directive) => directive.name.value === 'allow');
  const roles = allow?.arguments?.find((argument) => argument.name.value === 'roles')?.value;
  if (roles?.kind !== 'ListValue') return ['ADMIN'];
  return roles.values.map((value) => (value.kind === 'EnumValue' ? value.value : '')) as Role[];
}

/**
 * Attacks. `costModel` ones are valid-but-expensive shapes inside every current limit (maximal
 * list sizes, many aliases of expensive fields, nested lists within the depth limit): what a
 * query cost model (list sizes × weights), statement timeouts and a response-size cap are for.
 * They run in a phase of their own so their effect on /healthz is attributed to them.
 */
export const ARGUMENT_ATTACKS = [
  'wrong-type',
  'null-required',
  'bad-number',
  'huge-string',
  'bad-text',
  'deep-json',
  'wide-object',
  'long-list',
  'bad-id',
  'sql-meta',
  'bad-date',
  'bad-enum',
  'unknown-argument',
] as const;
export const DOCUMENT_ATTACKS = [
  'deep-selection-over-limit',
  'aliases-over-limit',
  'fragment-cycle',
  'duplicate-variables',
  'wrong-variable-type',
  'bad-directives',
  'garbage-document',
] as const;
export const TRANSPORT_ATTACKS = ['batched', 'content-type', 'get', 'oversized-body', 'malformed-json', 'auth-header'] as const;
/** Automatic persisted queries with wrong hashes or versions: a phase of their own (see schema-fuzz.test.ts). */
export const PERSISTED_QUERY_ATTACKS = ['persisted-query'] as const;
export const COST_MODEL_ATTACKS = ['max-sizes', 'aliases-within-limit', 'nested-lists-within-limit'] as const;
/** Bodies within MAX_BODY_SIZE made of very many small JSON members (the body-size phase). */
export const BODY_SIZE_ATTACKS = ['many-members-body'] as const;
export type Attack =
  | (typeof ARGUMENT_ATTACKS)[number]
  | (typeof DOCUMENT_ATTACKS)[number]
  | (typeof TRANSPORT_ATTACKS)[number]
  | (typeof PERSISTED_QUERY_ATTACKS)[number]
  | (typeof COST_MODEL_ATTACKS)[number]
  | (typeof BODY_SIZE_ATTACKS)[number]
  | 'valid';

export interface FuzzContext {
  /** Global IDs of stored rows per Node type (seeded data, trained models, training jobs). */
  ids: Record<'User' | 'Product' | 'Interaction' | 'Feedback' | 'Campaign' | 'ModelVersion' | 'TrainingJob', string[]>;
  /** externalIds of stored rows. */
  externalIds: { users: string[]; products: string[]; campaigns: string[]; feedback: string[]; interactions: string[] };
  /** IDs of API keys that may be aimed at: only the already revoked one (revoking the callers' keys would end the run). */
  apiKeyIds: string[];
  /** Secrets per caller; NO_KEY null. */
  keys: Record<Caller, string | null>;
  /** The server's MAX_BODY_SIZE in bytes. */
  maxBodyBytes: number;
}

export interface FuzzRequest {
  index: number;
  field: string;
  caller: Caller;
  attack: Attack;
  costModel: boolean;
  /** One line naming the request's shape (what was made hostile, and how). */
  shape: string;
  method: 'GET' | 'POST';
  /** Path and query string after the origin, e.g. `/graphql` or `/graphql?query=...`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Response keys (aliases) of the root field in data, for the access check. */
  responseKeys: string[];
}

// ---------------------------------------------------------------------------------------------
// Values: JS values, with Raw leaves holding text for JSON and for GraphQL literals separately
// (-0, 2^53+1, NaN, deep JSON: things JSON.stringify cannot produce or would overflow on).

class Raw {
  constructor(
    readonly json: string,
    readonly literal: string,
  ) {}
}
class EnumValue {
  constructor(readonly name: string) {}
}
const raw = (json: string, literal = json) => new Raw(json, literal);

/** JSON text of a value; iterative over lists (10^5 elements), Raw spliced as is. */
function toJson(value: unknown): string {
  if (value instanceof Raw) return value.json;
  if (value instanceof EnumValue) return JSON.stringify(value.name);
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJson(item)}`)
      .join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** GraphQL literal of a value (strings as JSON strings: GraphQL's escapes are a superset). */
function toLiteral(value: unknown): string {
  if (value instanceof Raw) return value.literal;
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(key) ? key : `bad_${key.length}`}: ${toLiteral(item)}`)
      .join(', ')}}`;
  }
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const chance = (random: Random, p: number) => random() < p;

function text(random: Random, length: number): string {
  const alphabet = 'abcdefXYZ0189 _-:/+=.,送货太慢好评é';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

// Cached big pieces (built once: the client's event loop must not stall the health poller's numbers).
let cachedHuge: string | null = null;
const hugeString = () => (cachedHuge ??= 'x'.repeat(100_000) + '送'.repeat(20_000));
const deepJson = (levels: number) => raw(`${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`, `${'{k: '.repeat(levels)}1${'}'.repeat(levels)}`);
const deepArray = (levels: number) => raw(`${'['.repeat(levels)}1${']'.repeat(levels)}`, `${'['.repeat(levels)}1${']'.repeat(levels)}`);

const SQL_META = [
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '%',
  '_',
  '\\',
  '%%%_\\%',
  "\\'",
  '$1',
  '"; SELECT pg_sleep(5); --',
  "' UNION SELECT secret_hash FROM api_keys --",
  '%25',
  '[a-z]*',
  '.*',
  '\\x00',
  "E'\\\\x41'",
  '::jsonb',
  '/* */',
  '\u0027',
];
const BAD_TEXT = [
  raw('"a\\u0000b"'),
  raw('"\\ud800"'),
  raw('"x\\udfff"'),
  raw('"\\ud800\\ud800"'),
  raw('"\\u0000"'),
  '\u202eevil',
  'zero\u200bwidth',
  '\uFEFFbom',
  'tab\tnew\nline\r',
  '😀'.repeat(50),
  'é'.normalize('NFD'),
];
const BAD_DATES = [
  '0001-01-01',
  '99999-01-01',
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '1969-12-31',
  '3000-01-01',
  '',
  'yesterday',
  '2026-1-1',
  '2026-01-01T25:61:00Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01',
  '2026-01-01T00:00:00+99:00',
  raw('1e15'),
  raw('0'),
  raw('true'),
  raw('null'),
];
const BAD_DATETIMES = [
  '0001-01-01T00:00:00Z',
  '99999-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01',
  'now',
  '',
  '2026-01-01T00:00:00.0000000000001Z',
  '1970-01-01T00:00:00Z',
  '2999-12-31T23:59:60Z',
  raw('1767225600000'),
  raw('-8640000000000001'),
];
const BAD_NUMBERS: Raw[] = [
  raw('-1'),
  raw('0'),
  raw('-0'),
  raw('2147483647'),
  raw('2147483648'),
  raw('-2147483649'),
  raw('9007199254740993'),
  raw('1e308'),
  raw('-1e308'),
  raw('1e309'),
  raw('1.5'),
  raw('4.9e-324'),
  raw('"10"'),
  raw('"NaN"'),
  raw('"Infinity"'),
  raw('"1e3"'),
  raw('"0x10"'),
  raw('1000000000000000000000000000000'),
  raw('-9223372036854775809'),
];

function uuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
const gid = (type: string, local: string, encoding: BufferEncoding = 'base64url') => Buffer.from(`${type}:${local}`).toString(encoding);

// ---------------------------------------------------------------------------------------------

const nodeTypeOfField: Record<string, keyof FuzzContext['ids']> = {
  user: 'User',
  product: 'Product',
  campaign: 'Campaign',
  feedbackItem: 'Feedback',
  interaction: 'Interaction',
  model: 'ModelVersion',
  trainingJob: 'TrainingJob',
  activateModel: 'ModelVersion',
  eraseUser: 'User',
};
const externalKeyOfField: Record<string, keyof FuzzContext['externalIds']> = {
  user: 'users',
  product: 'products',
  campaign: 'campaigns',
  feedbackItem: 'feedback',
  interaction: 'interactions',
  eraseUser: 'users',
  campaignStats: 'campaigns',
  campaignAudience: 'campaigns',
  similarProducts: 'products',
  recommendations: 'users',
  feedbackInsights: 'products',
};

class Generator {
  private bulkRow = 0;
  constructor(
    private readonly random: Random,
    private readonly context: FuzzContext,
    private readonly index: number,
  ) {}

  private someId(type?: keyof FuzzContext['ids']): string {
    const types = Object.keys(this.context.ids) as (keyof FuzzContext['ids'])[];
    const ids = this.context.ids[type ?? pick(this.random, types)];
    return ids.length ? pick(this.random, ids) : gid(type ?? 'User', uuid(this.random));
  }

  /** A global ID that is wrong for the argument: other types, malformed, unknown, near misses. */
  badId(expected: keyof FuzzContext['ids'] | undefined, field: string): unknown {
    const r = this.random;
    // In mutations no spelling that names a stored row: a write aimed at one would legitimately change it.
    if (field.startsWith('Mutation.')) expected = undefined;
    const writes = field.startsWith('Mutation.');
    const real = this.someId(expected);
    const decoded = Buffer.from(real, 'base64url').toString();
    const namingStored: (() => unknown)[] = [
      () =>
        this.someId(
          pick(
            r,
            (Object.keys(this.context.ids) as (keyof FuzzContext['ids'])[]).filter((type) => type !== expected),
          ),
        ),
      () => Buffer.from(decoded).toString('base64'), // padded base64 of a real ID: an accepted spelling
      () => `${real}=`,
    ];
    const never: (() => unknown)[] = [
      () => (this.context.apiKeyIds.length ? pick(r, this.context.apiKeyIds) : 'ApiKey'),
      () => gid(pick(r, ['User', 'Product', 'Campaign', 'Feedback', 'ModelVersion', 'TrainingJob']), uuid(r)),
      () => gid('Interaction', pick(r, ['0', '-1', '99999999999999999999', '9223372036854775808', '1.5', '1e3', ''])),
      () => gid('ApiKey', uuid(r)),
      () => gid('User', `${uuid(r)}' OR '1'='1`),
      () => `%${real}`,
      () => `${real}!`,
      () => real.toUpperCase(),
      () => '!!!not base64!!!',
      () => '',
      () => 'VXNlcjo=',
      () => gid('User', '00000000-0000-0000-0000-000000000000'),
      () => gid('', ''),
      () => gid('__proto__', uuid(r)),
      () => gid('User', uuid(r)).repeat(int(r, 2, 40)),
      () => raw(String(int(r, -5, 1e9))),
      () => raw('"\\u0000"'),
      () => decoded,
    ];
    return pick(r, [...(writes ? [] : namingStored), ...never])();
  }

  /** A valid-looking value of an input type, by argument or field name where it matters. */
  valid(type: GraphQLInputType, name: string, field: string, depth = 0): unknown {
    const r = this.random;
    if (isNonNullType(type)) return this.valid(type.ofType, name, field, depth);
    if (isListType(type)) {
      const count = name === 'input' ? int(r, 1, 3) : int(r, 1, 3);
      return Array.from({ length: count }, () => this.valid(type.ofType, name, field, depth + 1));
    }
    if (isEnumType(type)) return new EnumValue(pick(r, type.getValues()).name);
    if (isInputObjectType(type)) return this.validInput(type.name, field, depth);
    switch (type.name) {
      case 'Int':
        if (name === 'first') return int(r, 0, 10);
        if (name === 'limit') return int(r, 1, 10);
        if (name === 'attributionWindowDays') return int(r, 0, 30);
        if (name === 'termsPerLabel') return int(r, 0, 5);
        if (name === 'termSampleSize') return int(r, 0, 200);
        return int(r, 0, 100);
      case 'Float':
        return Math.round(r() * 10_000) / 100;
      case 'Boolean':
        return chance(r, 0.5);
      case 'Date':
        return `2026-${String(int(r, 1, 6)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')}`;
      case 'DateTime':
        return `2026-${String(int(r, 1, 10)).padStart(2, '0')}-${String(int(r, 1, 28)).padStart(2, '0')}T10:00:00Z`;
      case 'JSONObject':
        return name === 'hyperparameters' ? pick(r, [{}, { epochs: 1 }, { seed: 3 }]) : { segment: pick(r, ['a', 'b']), tier: int(r, 1, 3) };
      case 'ID': {
        const fieldName = field.split('.')[1]!;
        // eraseUser never aims at a stored user: erasure is a legitimate change of the rows checked.
        if (fieldName === 'eraseUser') return gid('User', uuid(r));
        if (name === 'id') return this.someId(nodeTypeOfField[fieldName]);
        if (name === 'ids') return this.someId();
        if (/^user/i.test(name)) return this.someId('User');
        if (/^product/i.test(name)) return this.someId('Product');
        if (/^campaign/i.test(name)) return this.someId('Campaign');
        if (/^feedback/i.test(name)) return this.someId('Feedback');
        return this.someId();
      }
      default: {
        // String
        const fieldName = field.split('.')[1]!;
        if (name === 'task') return pick(r, ['sentiment', 'default', 'topic']);
        if (name === 'texts') return pick(r, ['送货太慢了，包装也破了', 'Great value for the money!', 'call me at +44 20 7946 0958']);
        if (name === 'email') return 'nobody@example.com';
        if (name === 'search') return pick(r, ['a', 'usr', '', '00']);
        if (name === 'after') return pick(r, ['', 'eyJpZCI6IngifQ']);
        if (fieldName === 'eraseUser') return `fz-missing-${text(r, 6)}`;
        if (name === 'externalId' && depth === 0) {
          const pool = this.context.externalIds[externalKeyOfField[fieldName] ?? 'users'];
          return pool.length ? pick(r, pool) : `fz-${text(r, 6)}`;
        }
        if (/ExternalId$/.test(name)) {
          const key = name.startsWith('user') ? 'users' : name.startsWith('product') ? 'products' : name.startsWith('campaign') ? 'campaigns' : 'feedback';
          const pool = this.context.externalIds[key];
          return pool.length ? pick(r, pool) : `fz-${text(r, 6)}`;
        }
        if (name === 'name') return `fz ${text(r, 8)}`;
        return text(r, int(r, 1, 12));
      }
    }
  }

  /**
   * A valid row of a bulk input or filter. Rows of bulk writes carry `fz-` externalIds of their
   * own (new rows), so a valid write never changes a stored row the checksums cover.
   */
  validInput(typeName: string, field: string, depth: number): Record<string, unknown> {
    const r = this.random;
    const type = schema.getType(typeName);
    if (!isInputObjectType(type)) return {};
    const own = `fz-${this.index}-${this.bulkRow++}`;
    switch (typeName) {
      case 'UserInput':
        return {
          externalId: own,
          email: chance(r, 0.5) ? `${own}@example.com` : null,
          name: `Fz ${text(r, 5)}`,
          marketingConsent: chance(r, 0.5),
          attributes: { segment: 'fz', city: text(r, 4) },
        };
      case 'ProductInput':
        return { externalId: own, name: `fz product ${text(r, 5)}`, category: pick(r, ['fz', 'lamps']), price: int(r, 1, 999), tags: ['fz'], active: chance(r, 0.5) };
      case 'CampaignInput':
        return { externalId: own, name: `fz campaign ${text(r, 4)}`, channel: new EnumValue('EMAIL'), status: new EnumValue('DRAFT') };
      case 'CampaignMetricInput':
        // A campaign of the fuzz's own: stored campaigns' metrics stay as they are.
        return {
          campaignExternalId: `fz-${this.index}-c`,
          date: this.valid(schema.getType('Date') as GraphQLInputType, 'date', field, depth + 1),
          impressions: int(r, 0, 100),
          clicks: 0,
          conversions: 0,
          spend: 1.5,
          revenue: 0,
        };
      case 'InteractionInput':
        return {
          userExternalId: pick(r, this.context.externalIds.users),
          productExternalId: pick(r, this.context.externalIds.products),
          type: new EnumValue('VIEW'),
          occurredAt: this.valid(schema.getType('DateTime') as GraphQLInputType, 'occurredAt', field, depth + 1),
          externalId: own,
        };
      case 'FeedbackInput':
        return { externalId: own, channel: new EnumValue('REVIEW'), text: pick(r, ['送货太慢了', 'Great lamp', 'call 13800138000']), rating: int(r, 1, 5) };
      case 'FeedbackLabelAssignment':
        // Labels for feedback of the fuzz's own (unknown externalIds: row errors), never stored feedback.
        return { feedbackExternalId: `fz-${this.index}-${int(r, 0, 3)}`, task: 'sentiment', label: pick(r, ['positive', 'negative']) };
      default: {
        // Filters: a few optional fields with valid values.
        const out: Record<string, unknown> = {};
        for (const inner of Object.values(type.getFields())) {
          if (isNonNullType(inner.type) || chance(r, 0.3)) out[inner.name] = this.valid(inner.type, inner.name, field, depth + 1);
        }
        return out;
      }
    }
  }

  /** A hostile value of the attack's kind for an input type, or undefined when the kind does not apply. */
  hostile(attack: Attack, type: GraphQLInputType, name: string, field: string): unknown {
    const r = this.random;
    const named = getNamedType(type);
    const list = isListType(isNonNullType(type) ? type.ofType : type);
    switch (attack) {
      case 'wrong-type': {
        const others: unknown[] = [
          raw('1'),
          raw('1.5'),
          raw('true'),
          'text',
          raw('{"a":1}', '{a: 1}'),
          raw('[1,2]', '[1, 2]'),
          raw('[]'),
          raw('{}'),
          new EnumValue('SOME_ENUM'),
          raw('"[1]"'),
        ];
        return pick(r, others);
      }
      case 'null-required':
        return null;
      case 'bad-number':
        return named.name === 'Int' || named.name === 'Float' ? (list ? [pick(r, BAD_NUMBERS)] : pick(r, BAD_NUMBERS)) : undefined;
      case 'huge-string':
        return isScalarType(named) && ['String', 'ID', 'Date', 'DateTime'].includes(named.name) ? (list ? [hugeString()] : hugeString()) : undefined;
      case 'bad-text':
        return isScalarType(named) && ['String', 'ID'].includes(named.name) ? (list ? [pick(r, BAD_TEXT), 'ok'] : pick(r, BAD_TEXT)) : undefined;
      case 'sql-meta':
        return isScalarType(named) && ['String', 'ID'].includes(named.name) ? (list ? [pick(r, SQL_META)] : pick(r, SQL_META)) : undefined;
      case 'bad-date':
        if (named.name === 'Date') return pick(r, BAD_DATES);
        if (named.name === 'DateTime') return pick(r, BAD_DATETIMES);
        return undefined;
      case 'bad-enum':
        return isEnumType(named)
          ? pick(r, [
              new EnumValue('NOPE'),
              new EnumValue(named.getValues()[0]!.name.toLowerCase()),
              named.getValues()[0]!.name,
              new EnumValue('null'),
              raw('1'),
              new EnumValue('__proto__'),
            ])
          : undefined;
      case 'bad-id':
        return named.name === 'ID'
          ? list
            ? Array.from({ length: int(r, 1, 5) }, () => this.badId(undefined, field))
            : this.badId(nodeTypeOfField[field.split('.')[1]!], field)
          : undefined;
      case 'deep-json':
        if (named.name === 'JSONObject') return pick(r, [deepJson(10_000), { nested: deepArray(10_000) }, deepJson(int(r, 11, 200))]);
        return list ? deepArray(10_000) : undefined;
      case 'wide-object':
        if (named.name === 'JSONObject') {
          const keys = int(r, 1_001, 50_000);
          return raw(
            `{${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`,
            `{${Array.from({ length: Math.min(keys, 2000) }, (_, i) => `k${i}: ${i}`).join(', ')}}`,
          );
        }
        if (isInputObjectType(named)) {
          const base = this.validInput(named.name, field, 0);
          const extra = Object.fromEntries(Array.from({ length: int(r, 1, 2_000) }, (_, i) => [`unknown${i}`, i]));
          const value = { ...base, ...extra, ['__proto__']: { admin: true }, constructor: 'x' };
          return list ? [value] : value;
        }
        return undefined;
      case 'long-list': {
        if (!list) return undefined;
        const count = int(r, 10_001, 100_000);
        const listType = (isNonNullType(type) ? type.ofType : type) as unknown as { ofType: GraphQLInputType };
        const element = this.valid(listType.ofType, name, field, 1);
        // The same element repeated (one text, spliced): 10^5 rows within MAX_BODY_SIZE.
        const one = toJson(element);
        return raw(`[${Array.from({ length: count }, () => one).join(',')}]`, `[${toLiteral(element)}]`);
      }
      default:
        return undefined;
    }
  }

  /** A selection set for an output type: a few leaves, some nested objects, at most maxDepth levels. */
  selection(type: GraphQLOutputType, depth: number, maxDepth: number): string {
    const r = this.random;
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (isAbstractType(named)) {
      const possible = schema.getPossibleTypes(named);
      const chosen = [pick(r, possible), pick(r, possible)];
      return `{ __typename id ${[...new Set(chosen)].map((t) => `... on ${t.name} ${this.selection(t, depth + 1, maxDepth)}`).join(' ')} }`;
    }
    const object = named as GraphQLObjectType;
    const fields = Object.values(object.getFields());
    const parts: string[] = [];
    for (const field of fields) {
      const leaf = isLeafType(getNamedType(field.type));
      const requiredArgs = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
      if (leaf) {
        if ((field.name === 'id' || chance(r, 0.35)) && requiredArgs.length === 0) parts.push(field.name);
      } else if (depth < maxDepth && chance(r, depth === 0 ? 0.8 : 0.3) && requiredArgs.length === 0) {
        const args = field.args.some((arg) => arg.name === 'first') && chance(r, 0.5) ? `(first: ${int(r, 1, 3)})` : '';
        parts.push(`${field.name}${args} ${this.selection(field.type, depth + 1, maxDepth)}`);
      }
    }
    if (!parts.length) parts.push('__typename');
    return `{ ${parts.join(' ')} }`;
  }

  /**
   * A chain of nested list fields from an output type, `levels` deep, each list at its largest
   * page (first: 100 where it can be given), ending in a leaf.
   */
  nestedLists(type: GraphQLOutputType, levels: number): string {
    const r = this.random;
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (levels <= 0) return '{ __typename }';
    if (isAbstractType(named)) return `{ ... on ${pick(r, schema.getPossibleTypes(named)).name} ${this.nestedLists(pick(r, schema.getPossibleTypes(named)), levels)} }`;
    const fields = Object.values((named as GraphQLObjectType).getFields()).filter(
      (field) => !isLeafType(getNamedType(field.type)) && !field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined),
    );
    if (!fields.length) return '{ __typename }';
    const lists = fields.filter(
      (field) =>
        isListType(isNonNullType(field.type) ? field.type.ofType : field.type) ||
        field.args.some((arg) => arg.name === 'first') ||
        getNamedType(field.type).name.endsWith('Connection'),
    );
    const field = pick(r, lists.length && chance(r, 0.85) ? lists : fields);
    const args = field.args.some((arg) => arg.name === 'first') ? '(first: 100)' : field.args.some((arg) => arg.name === 'limit') ? '(limit: 100)' : '';
    return `{ id: __typename ${field.name}${args} ${this.nestedLists(field.type, levels - 1)} }`;
  }
}

// ---------------------------------------------------------------------------------------------
// Operations

interface ArgumentValue {
  argument: GraphQLArgument;
  value: unknown;
  /** Sent as a variable (declared with this type) instead of a literal. */
  variableType?: string;
}

function operationText(
  field: string,
  args: ArgumentValue[],
  selection: string,
  options: { alias?: string; aliases?: number; extraDefinitions?: string[]; trailer?: string; directive?: string } = {},
) {
  const [type, name] = field.split('.') as [string, string];
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [...(options.extraDefinitions ?? [])];
  const rendered = args.map(({ argument, value, variableType }) => {
    if (variableType) {
      const variable = `v_${argument.name}`;
      definitions.push(`$${variable}: ${variableType}`);
      variables[variable] = value;
      return `${argument.name}: $${variable}`;
    }
    return `${argument.name}: ${toLiteral(value)}`;
  });
  const call = `${name}${rendered.length ? `(${rendered.join(', ')})` : ''}${options.directive ? ` ${options.directive}` : ''} ${selection}`;
  const count = options.aliases ?? 1;
  const keys = count === 1 && !options.alias ? [name] : Array.from({ length: count }, (_, i) => `${options.alias ?? 'a'}${i}`);
  const body = count === 1 && !options.alias ? call : keys.map((key) => `${key}: ${call}`).join(' ');
  const operation = `${type === 'Query' ? 'query' : 'mutation'} Fz${definitions.length ? `(${definitions.join(', ')})` : ''} { ${body} }${options.trailer ?? ''}`;
  return { query: operation, variables, keys };
}

function requestBody(query: string, variables: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const parts = [`"query":${JSON.stringify(query)}`];
  if (Object.keys(variables).length) parts.push(`"variables":${toJson(variables)}`);
  for (const [key, value] of Object.entries(extra)) parts.push(`${JSON.stringify(key)}:${toJson(value)}`);
  return `{${parts.join(',')}}`;
}

/** The attacks that apply to a root field (its arguments' types decide the argument attacks). */
export function attacksFor(field: string): Attack[] {
  const args = rootField(field).args;
  const types = new Set<string>();
  const walk = (type: GraphQLInputType, seen: Set<string>) => {
    const named = getNamedType(type) as GraphQLNamedType;
    types.add(named.name);
    if (isListType(isNonNullType(type) ? type.ofType : type)) types.add('[list]');
    if (isEnumType(named)) types.add('[enum]');
    if (isInputObjectType(named) && !seen.has(named.name)) {
      seen.add(named.name);
      types.add('[input]');
      for (const inner of Object.values(named.getFields())) walk(inner.type, seen);
    }
  };
  for (const arg of args) walk(arg.type, new Set());
  const applies: Record<(typeof ARGUMENT_ATTACKS)[number], boolean> = {
    'wrong-type': args.length > 0,
    'null-required': args.length > 0,
    'bad-number': types.has('Int') || types.has('Float'),
    'huge-string': types.has('String') || types.has('ID'),
    'bad-text': types.has('String') || types.has('ID'),
    'deep-json': types.has('JSONObject') || types.has('[list]'),
    'wide-object': types.has('JSONObject') || types.has('[input]'),
    'long-list': types.has('[list]'),
    'bad-id': types.has('ID'),
    'sql-meta': types.has('String') || types.has('ID'),
    'bad-date': types.has('Date') || types.has('DateTime'),
    'bad-enum': types.has('[enum]'),
    'unknown-argument': true,
  };
  return ['valid', ...ARGUMENT_ATTACKS.filter((attack) => applies[attack]), 'valid', ...DOCUMENT_ATTACKS, ...TRANSPORT_ATTACKS];
}

/** Requests needed so that every root field meets every caller and every attack that applies to it. */
export function fullCoverageCount(): number {
  return FIELDS.length * Math.max(CALLERS.length, ...FIELDS.map((field) => attacksFor(field).length));
}

function headersFor(context: FuzzContext, caller: Caller, random: Random, contentType = 'application/json'): Record<string, string> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const key =
    caller === 'MALFORMED_KEY'
      ? pick(random, ['mai_', 'mai_' + 'z'.repeat(5000), ' ', 'Bearer', 'mai_\u00ff\u00fe', "' OR 1=1 --", 'x'.repeat(15), context.keys.ADMIN!.slice(0, -1)])
      : context.keys[caller];
  if (key === null) return headers;
  if (chance(random, 0.2)) headers.authorization = `Bearer ${key}`;
  else headers['x-api-key'] = key;
  return headers;
}

/** Fills every argument of a field: all required ones, optional ones at random. */
function validArguments(generator: Generator, random: Random, field: string, asVariables: boolean): ArgumentValue[] {
  const out: ArgumentValue[] = [];
  for (const argument of rootField(field).args) {
    const required = isNonNullType(argument.type) && argument.defaultValue === undefined;
    if (!required && !chance(random, 0.4)) continue;
    out.push({ argument, value: generator.valid(argument.type, argument.name, field), variableType: asVariables ? String(argument.type) : undefined });
  }
  return out;
}

/** Arguments at their largest accepted sizes (cost-model phase). */
function maximalArguments(generator: Generator, random: Random, field: string): ArgumentValue[] {
  const out = validArguments(generator, random, field, true);
  const largest: Record<string, unknown> = { first: 100, limit: pick(random, [100, 10_000]), termSampleSize: 5_000, termsPerLabel: 50, attributionWindowDays: 90 };
  for (const argument of rootField(field).args) {
    let value: unknown = largest[argument.name];
    if (argument.name === 'from') value = '2026-01-01';
    if (argument.name === 'to') value = '2026-12-31';
    if (argument.name === 'granularity') value = new EnumValue('DAY');
    if (argument.name === 'texts') value = Array.from({ length: 1_000 }, (_, i) => `${'送货太慢了，包装也破了 great value '.repeat(140)}${i}`);
    if (argument.name === 'ids')
      // biome-ignore lint/complexity/useLiteralKeys: reaches a private helper of the generator on purpose
      value = Array.from({ length: 100 }, () => pick(random, ['User', 'Product', 'Feedback', 'Campaign'] as const)).map((type) => generator['someId'](type));
    if (value === undefined) continue;
    if (argument.name === 'limit' && field === 'Query.campaignLeaderboard') value = 100;
    const existing = out.find((item) => item.argument.name === argument.name);
    if (existing) existing.value = value;
    else out.push({ argument, value, variableType: String(argument.type) });
  }
  return out;
}

export type Phase = 'hostile' | 'persisted-query' | 'cost-model' | 'body-size';

/**
 * Bodies of 5–19 MB (within MAX_BODY_SIZE, 20 MB) of 10^5–10^6 small members, as the three
 * callers with a valid key: unused variables, bulk rows with wide attributes, hyperparameters
 * with unknown keys. JSON.parse alone takes about a second for the largest on two busy cores.
 */
function bodySizeRequest(index: number, context: FuzzContext, random: Random): FuzzRequest {
  const caller = (['ADMIN', 'INTEGRATION', 'ANALYST'] as const)[index % 3]!;
  const variant = index % 3;
  const headers = headersFor(context, caller, random);
  const members = (count: number, value: (i: number) => string) => Array.from({ length: count }, (_, i) => `"k${i}":${value(i)}`).join(',');
  if (variant === 0) {
    const body = `{"query":"{ serviceInfo { version } }","variables":{${members(1_000_000, () => '1')}}}`;
    return {
      index,
      field: 'Query.serviceInfo',
      caller,
      attack: 'many-members-body',
      costModel: false,
      shape: `Query.serviceInfo with 10^6 unused variables (${(body.length / 1e6).toFixed(1)} MB)`,
      method: 'POST',
      path: '/graphql',
      headers,
      body,
      responseKeys: ['serviceInfo'],
    };
  }
  if (variant === 1) {
    const row = `{"externalId":"fz-wide-${index}","attributes":{${members(900, (i) => String(i))}}}`;
    const body = `{"query":"mutation($i: [UserInput!]!) { upsertUsers(input: $i) { created failed } }","variables":{"i":[${Array.from({ length: 2_000 }, () => row).join(',')}]}}`;
    return {
      index,
      field: 'Mutation.upsertUsers',
      caller,
      attack: 'many-members-body',
      costModel: false,
      shape: `Mutation.upsertUsers with 2,000 rows of 900-key attributes (${(body.length / 1e6).toFixed(1)} MB)`,
      method: 'POST',
      path: '/graphql',
      headers,
      body,
      responseKeys: ['upsertUsers'],
    };
  }
  const body = `{"query":"mutation($h: JSONObject) { trainModel(kind: TEXT_CLASSIFIER, task: \\"sentiment\\", hyperparameters: $h) { id } }","variables":{"h":{${members(300_000, (i) => String(i))}}}}`;
  return {
    index,
    field: 'Mutation.trainModel',
    caller,
    attack: 'many-members-body',
    costModel: false,
    shape: `Mutation.trainModel with 300,000 unknown hyperparameters (${(body.length / 1e6).toFixed(1)} MB)`,
    method: 'POST',
    path: '/graphql',
    headers,
    body,
    responseKeys: ['trainModel'],
  };
}

export function generateRequest(seed: number, index: number, context: FuzzContext, phase: Phase = 'hostile'): FuzzRequest {
  const random = createRandom(seed * 1_000_003 + index * 7_919 + (phase === 'cost-model' ? 17 : phase === 'persisted-query' ? 29 : 0));
  if (phase === 'body-size') return bodySizeRequest(index, context, random);
  const generator = new Generator(random, context, index);
  const field = FIELDS[index % FIELDS.length]!;
  const round = Math.floor(index / FIELDS.length);
  const attacks: Attack[] = phase === 'cost-model' ? [...COST_MODEL_ATTACKS] : phase === 'persisted-query' ? [...PERSISTED_QUERY_ATTACKS] : attacksFor(field);
  const attack = attacks[round % attacks.length]!;
  const caller = CALLERS[(round + Math.floor(round / Math.max(attacks.length, CALLERS.length))) % CALLERS.length]!;
  const fieldDef = rootField(field);
  const base: Omit<FuzzRequest, 'shape' | 'method' | 'path' | 'headers' | 'body' | 'responseKeys'> = { index, field, caller, attack, costModel: phase === 'cost-model' };
  const post = (body: string, shape: string, keys: string[], contentType = 'application/json'): FuzzRequest => ({
    ...base,
    shape,
    method: 'POST',
    path: '/graphql',
    headers: headersFor(context, caller, random, contentType),
    body,
    responseKeys: keys,
  });
  const asVariables = chance(random, 0.5);
  const selection = () => generator.selection(fieldDef.type, 0, int(random, 1, 3));

  if (phase === 'cost-model') {
    if (attack === 'max-sizes') {
      const args = maximalArguments(generator, random, field);
      const op = operationText(field, args, generator.selection(fieldDef.type, 0, 3));
      return post(
        requestBody(op.query, op.variables),
        `${field} with every size argument at its maximum (${args.map((a) => a.argument.name).join(', ') || 'no arguments'})`,
        op.keys,
      );
    }
    if (attack === 'aliases-within-limit') {
      const count = int(random, 20, 30);
      const op = operationText(field, maximalArguments(generator, random, field), generator.selection(fieldDef.type, 0, 2), { aliases: count });
      return post(requestBody(op.query, op.variables), `${field} × ${count} aliases at maximal sizes`, op.keys);
    }
    const levels = int(random, 5, 8);
    const op = operationText(field, validArguments(generator, random, field, true), generator.nestedLists(fieldDef.type, levels));
    return post(requestBody(op.query, op.variables), `${field} with ${levels} levels of nested lists at first: 100`, op.keys);
  }

  switch (attack) {
    case 'valid': {
      const op = operationText(field, validArguments(generator, random, field, asVariables), selection());
      return post(requestBody(op.query, op.variables), `${field} with valid arguments`, op.keys);
    }
    case 'unknown-argument': {
      const args = validArguments(generator, random, field, asVariables);
      const bogus = { name: pick(random, ['where', 'orderBy', '__proto__', 'first_', 'sql', 'constructor']), type: schema.getType('String') } as unknown as GraphQLArgument;
      args.push({ argument: bogus, value: pick(random, SQL_META), variableType: chance(random, 0.5) ? 'String' : undefined });
      const op = operationText(field, args, selection());
      return post(requestBody(op.query, op.variables), `${field} with an unknown argument ${bogus.name}`, op.keys);
    }
    case 'fragment-cycle': {
      const type = getNamedType(fieldDef.type);
      const on = isLeafType(type) ? 'Query' : isAbstractType(type) ? schema.getPossibleTypes(type)[0]!.name : type.name;
      const cycle = pick(random, [
        `fragment A on ${on} { __typename ...B } fragment B on ${on} { __typename ...A }`,
        `fragment A on ${on} { __typename ...A }`,
        `fragment A on ${on} { __typename ...B } fragment B on ${on} { ...C } fragment C on ${on} { ...A }`,
      ]);
      const inner = isLeafType(type) ? '' : '{ ...A }';
      const op = operationText(field, validArguments(generator, random, field, false), inner, { trailer: ` ${cycle}` });
      return post(requestBody(op.query, op.variables), `${field} with a fragment cycle`, op.keys);
    }
    case 'duplicate-variables': {
      const args = validArguments(generator, random, field, true);
      const op = operationText(field, args, selection(), { extraDefinitions: args.length ? [`$v_${args[0]!.argument.name}: String`] : ['$dup: Int', '$dup: String'] });
      return post(requestBody(op.query, op.variables), `${field} with a variable declared twice`, op.keys);
    }
    case 'wrong-variable-type': {
      const args = validArguments(generator, random, field, true);
      const target = args.length ? pick(random, args) : null;
      const variant = int(random, 0, 3);
      if (target && variant === 0) target.variableType = pick(random, ['String', 'Int!', '[String]', 'JSONObject', 'Boolean', 'NoSuchType', 'ID!']);
      if (target && variant === 1) target.value = pick(random, [raw('{"x":1}'), raw('[[[]]]'), raw('123456789012345678901234567890'), raw('"\\u0000"'), 'text']);
      // Variant 3: an argument bound to a variable that is never declared.
      if (target && variant === 3) Object.assign(target, { value: raw('null', '$undeclared'), variableType: undefined });
      const op = operationText(field, args, selection(), { extraDefinitions: variant === 2 || !target ? ['$unused: Int'] : [] });
      const body = variant === 2 || !target ? requestBody(op.query, { ...op.variables, unused: 'not an int' }) : requestBody(op.query, op.variables);
      return post(body, `${field} with a variable of the wrong type (variant ${variant}${target ? `, ${target.argument.name}` : ''})`, op.keys);
    }
    case 'bad-directives': {
      const directive = pick(random, [
        '@skip(if: "yes")',
        '@include',
        '@skip(if: $nope)',
        '@deprecated',
        '@allow(roles: [ADMIN])',
        '@personal(mask: EMAIL)',
        '@nope',
        '@skip(if: false)'.repeat(int(random, 51, 200)),
        '@include(if: true) @include(if: true)',
      ]);
      const op = operationText(field, validArguments(generator, random, field, false), selection(), { directive });
      return post(requestBody(op.query, op.variables), `${field} with directive ${directive.slice(0, 40)}`, op.keys);
    }
    case 'deep-selection-over-limit': {
      const levels = int(random, 11, 40);
      const op = operationText(field, validArguments(generator, random, field, true), generator.nestedLists(fieldDef.type, levels));
      return post(requestBody(op.query, op.variables), `${field} nested ${levels} levels where the type allows (over QUERY_MAX_DEPTH)`, op.keys);
    }
    case 'aliases-over-limit': {
      const count = int(random, 31, 400);
      const op = operationText(field, validArguments(generator, random, field, true), selection(), { aliases: count });
      return post(requestBody(op.query, op.variables), `${field} × ${count} aliases (over QUERY_MAX_ALIASES)`, op.keys);
    }
    case 'garbage-document': {
      const op = operationText(field, validArguments(generator, random, field, false), selection());
      const cut = op.query.slice(0, int(random, 1, op.query.length - 1));
      const tokens = ['{', '}', '(', ')', '$', ':', '...', 'on', '@', '"', '"""', '#', '!', '[', ']', '=', '|', '&', '\u0000', '\\'];
      const mangled = pick(random, [
        cut,
        `${op.query} ${pick(random, tokens)}`,
        op.query.replace(/[{}()]/g, () => pick(random, tokens)),
        `${'{'.repeat(int(random, 100, 5000))}${fieldDef.name}`,
        `"""${'x'.repeat(int(random, 1, 1000))}`,
        `${op.query}\n${'#'.repeat(10_000)}`,
      ]);
      return post(requestBody(mangled, op.variables), `${field} document mangled`, op.keys);
    }
    case 'batched': {
      const op = operationText(field, validArguments(generator, random, field, true), selection());
      const one = requestBody(op.query, op.variables);
      const count = int(random, 1, 300);
      return post(`[${Array.from({ length: count }, () => one).join(',')}]`, `${field} batched ×${count} in a JSON array`, op.keys);
    }
    case 'content-type': {
      const op = operationText(field, validArguments(generator, random, field, false), selection());
      const contentType = pick(random, [
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=zz',
        'application/json; charset=utf-16',
        'application/graphql',
        'application/graphql-response+json',
        '',
        'application/json, text/plain',
        'APPLICATION/JSON',
      ]);
      const body = pick(random, [requestBody(op.query, op.variables), `query=${encodeURIComponent(op.query)}`, op.query, '<q/>']);
      return post(body, `${field} with content-type "${contentType}"`, op.keys, contentType);
    }
    case 'get': {
      const op = operationText(field, validArguments(generator, random, field, true), selection());
      const params = new URLSearchParams({ query: op.query });
      if (Object.keys(op.variables).length || chance(random, 0.3)) params.set('variables', pick(random, [toJson(op.variables), '{', '[]', 'null', '%ZZ']));
      if (chance(random, 0.2)) params.set('extensions', pick(random, ['[', '{}', 'null', '{"persistedQuery":1}']));
      const headers = headersFor(context, caller, random, '');
      if (chance(random, 0.8)) headers['apollo-require-preflight'] = 'true';
      return {
        ...base,
        shape: `${field} over GET (${op.query.startsWith('mutation') ? 'a mutation' : 'a query'})`,
        method: 'GET',
        path: `/graphql?${params.toString()}`,
        headers,
        responseKeys: op.keys,
      };
    }
    case 'oversized-body': {
      const op = operationText(field, validArguments(generator, random, field, false), selection());
      // One in eight over the limit (20 MB each: enough to exercise the limit, not to flood the run); the rest are large bodies within it.
      const over = chance(random, 0.125);
      const pad = over ? context.maxBodyBytes + int(random, 1, 1_000_000) : int(random, 1_000_000, 3_000_000);
      return post(requestBody(op.query, {}, { extensions: { pad: 'x'.repeat(pad) } }), `${field} in a body of ${pad} bytes (${over ? 'over' : 'within'} MAX_BODY_SIZE)`, op.keys);
    }
    case 'malformed-json': {
      const op = operationText(field, validArguments(generator, random, field, true), selection());
      const good = requestBody(op.query, op.variables);
      const body = pick(random, [
        good.slice(0, int(random, 0, good.length - 1)),
        `${good},`,
        good.replace(/"/g, "'"),
        good.replace(/:/, ':NaN,"x":'),
        `{"query":${JSON.stringify(op.query)},"variables":{"a":1e999999}}`,
        `{"query":${JSON.stringify(op.query)},"query":"{ __typename }"}`,
        `{"query":"\\uZZZZ"}`,
        `{"query":"\\ud800"}`,
        '\uFEFF' + good,
        `${'['.repeat(int(random, 1000, 100_000))}`,
        `{"query":${JSON.stringify(op.query)},"variables":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
        '',
        'null',
        '"just a string"',
        '{"__proto__":{"query":"{ __typename }"}}',
      ]);
      return post(body, `${field} with a malformed JSON body`, op.keys);
    }
    case 'persisted-query': {
      const op = operationText(field, validArguments(generator, random, field, true), selection());
      const hash = pick(random, ['0'.repeat(64), 'f'.repeat(64), 'zz', '', 'x'.repeat(10_000), 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']);
      const version = pick(random, [raw('1'), raw('2'), raw('0'), '1', raw('null'), raw('-1')]);
      const withQuery = chance(random, 0.5);
      const extensions = { persistedQuery: { version, sha256Hash: hash } };
      const shape = `${field} with a persisted-query hash "${hash.slice(0, 12)}" v${toJson(version)}${withQuery ? ' and a query that does not match it' : ' and no query'}`;
      if (chance(random, 0.25)) {
        const params = new URLSearchParams({ extensions: toJson(extensions) });
        if (withQuery) params.set('query', op.query);
        if (Object.keys(op.variables).length) params.set('variables', toJson(op.variables));
        const headers = { ...headersFor(context, caller, random, ''), 'apollo-require-preflight': 'true' };
        return { ...base, shape: `${shape} (GET)`, method: 'GET', path: `/graphql?${params.toString()}`, headers, responseKeys: op.keys };
      }
      const body = withQuery
        ? requestBody(op.query, op.variables, { extensions })
        : `{"extensions":${toJson(extensions)}${Object.keys(op.variables).length ? `,"variables":${toJson(op.variables)}` : ''}}`;
      return post(body, shape, op.keys);
    }
    case 'auth-header': {
      const op = operationText(field, validArguments(generator, random, field, false), selection());
      const request = post(requestBody(op.query, op.variables), '', op.keys);
      const key = context.keys[caller] ?? '';
      const variant = pick(random, [
        { authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` },
        { authorization: `Bearer  ${key}` },
        { authorization: `bearer ${key}` },
        { 'x-api-key': `${key} ` },
        { 'x-api-key': `${key},${key}` },
        { authorization: 'Bearer ', 'x-api-key': key },
        { authorization: `Bearer ${'a'.repeat(8_000)}` },
        { 'x-api-key': key.toUpperCase() },
      ]);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, value] of Object.entries(variant)) if (/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) headers[name] = value;
      return { ...request, headers, shape: `${field} with odd auth headers ${Object.keys(variant).join('+')}` };
    }
    default: {
      // An argument attack: one argument (at the top level or inside an input object) made hostile.
      const args = validArguments(generator, random, field, asVariables);
      const candidates: { argument: GraphQLArgument; value: unknown; path: string }[] = [];
      for (const argument of fieldDef.args) {
        const direct = generator.hostile(attack, argument.type, argument.name, field);
        if (direct !== undefined && !(attack === 'null-required' && !isNonNullType(argument.type) && argument.defaultValue === undefined && chance(random, 0.5))) {
          candidates.push({ argument, value: direct, path: argument.name });
        }
        const named = getNamedType(argument.type);
        if (isInputObjectType(named)) {
          for (const inner of Object.values(named.getFields())) {
            const value = generator.hostile(attack, inner.type, inner.name, field);
            if (value === undefined) continue;
            const row = generator.validInput(named.name, field, 0);
            row[inner.name] = value;
            const list = isListType(isNonNullType(argument.type) ? argument.type.ofType : argument.type);
            candidates.push({ argument, value: list ? [generator.validInput(named.name, field, 0), row] : row, path: `${argument.name}.${inner.name}` });
          }
        }
      }
      if (!candidates.length) {
        const op = operationText(field, args, selection());
        return post(requestBody(op.query, op.variables), `${field} (no argument takes ${attack}; valid)`, op.keys);
      }
      const chosen = pick(random, candidates);
      const kept = args.filter((item) => item.argument.name !== chosen.argument.name);
      // Deep or raw JSON cannot be a literal in every case; variables carry any of them.
      const variable = asVariables || chosen.value instanceof Raw || attack === 'long-list' || attack === 'deep-json' || attack === 'wide-object';
      kept.push({ argument: chosen.argument, value: chosen.value, variableType: variable ? String(chosen.argument.type) : undefined });
      const op = operationText(field, kept, selection());
      return post(requestBody(op.query, op.variables), `${field} ${chosen.path} ${attack} (${variable ? 'variable' : 'literal'})`, op.keys);
    }
  }
}
