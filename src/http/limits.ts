import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode, type GraphQLFormattedError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.ts';
import type { GraphQLContext } from '../app/context.ts';
import { operationCost, type ListSizer } from '../graphql/cost.ts';
import { batchTooLargeError } from '../graphql/errors.ts';
import { rateLimitedError, type RateLimiter } from './rate-limit.ts';
import { yieldToEventLoop } from '../modules/common/cooperative.ts';

/** The code of every refused-for-its-shape operation (HTTP 400); `extensions.limit` says which limit. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';
export type QueryLimit = 'depth' | 'aliases' | 'cost' | 'tokens' | 'directives';

/** Response header with the cost the request was charged (src/graphql/cost.ts). */
export const QUERY_COST_HEADER = 'x-query-cost';

type LimitsConfig = Pick<Config, 'QUERY_MAX_DEPTH' | 'QUERY_MAX_ALIASES' | 'QUERY_MAX_COST' | 'QUERY_MAX_TOKENS' | 'QUERY_MAX_DIRECTIVES' | 'introspectionEnabled'>;

function reject(limit: QueryLimit, max: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    // graphql-armor prefixes its messages with "Syntax Error: "; these are not syntax errors.
    const message = error.message.replace(/^Syntax Error:\s*/, '');
    context?.reportError(new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, queryLimit: limit, max } }));
  };
}

/**
 * Query shape limits, enforced before execution: depth, aliases and directives as graphql-armor
 * validation rules (@escape.tech/graphql-armor 3.2.0 = max-depth 2.4.2, which skips only a
 * *field* named `__schema`, i.e. carries the fix for the GHSA-733v-p3h5-qpq7 introspection
 * bypass), and tokens through graphql-js' own parser limit. The cost limit is the request cost
 * model's (requestCostPlugin below): armor's cost rule counts fields, not list sizes.
 */
export function queryLimits(config: LimitsConfig): {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: ParseOptions;
} {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  const armor = new ApolloArmor({
    maxDepth: { enabled: config.QUERY_MAX_DEPTH > 0, n: config.QUERY_MAX_DEPTH, ignoreIntrospection: true, ...common, onReject: [reject('depth', config.QUERY_MAX_DEPTH)] },
    maxAliases: { enabled: config.QUERY_MAX_ALIASES > 0, n: config.QUERY_MAX_ALIASES, ...common, onReject: [reject('aliases', config.QUERY_MAX_ALIASES)] },
    costLimit: { enabled: false },
    maxDirectives: { enabled: config.QUERY_MAX_DIRECTIVES > 0, n: config.QUERY_MAX_DIRECTIVES, ...common, onReject: [reject('directives', config.QUERY_MAX_DIRECTIVES)] },
    // Tokens: graphql-js' parser option below (armor's Apollo variant throws from a parsing hook).
    maxTokens: { enabled: false },
    // "Did you mean …" suggestions reveal the schema; hide them where introspection is off.
    blockFieldSuggestion: { enabled: !config.introspectionEnabled },
  });
  const { validationRules, plugins } = armor.protect();
  return { validationRules, plugins, parseOptions: config.QUERY_MAX_TOKENS > 0 ? { maxTokens: config.QUERY_MAX_TOKENS } : {} };
}

/**
 * The request cost model at work (src/graphql/cost.ts), once the operation and its variables are
 * known and before anything runs: an operation dearer than QUERY_MAX_COST is refused with
 * QUERY_TOO_COMPLEX, mutations carrying more than MAX_BATCH_SIZE bulk rows in all (aliases
 * included) with BATCH_TOO_LARGE; the rest is charged to the key's rate-limit bucket: one token
 * per RATE_LIMIT_COST_PER_TOKEN cost units and per RATE_LIMIT_ROWS_PER_TOKEN rows (the first
 * token was taken when the key was checked). The cost is reported in the x-query-cost header.
 */
export function requestCostPlugin(options: {
  config: Pick<Config, 'QUERY_MAX_COST' | 'RATE_LIMIT_COST_PER_TOKEN' | 'RATE_LIMIT_ROWS_PER_TOKEN' | 'MAX_PAGE_SIZE' | 'MAX_BATCH_SIZE'>;
  limiter: RateLimiter;
  sizers: Readonly<Record<string, ListSizer>>;
}): ApolloServerPlugin<GraphQLContext> {
  const { config, limiter, sizers } = options;
  return {
    async requestDidStart() {
      let charged: number | undefined;
      return {
        async didResolveOperation({ operation, document, request, contextValue, schema }) {
          if (!operation) return;
          // The variables as sent, not coerced: coercing megabytes of them here would hold the event
          // loop before the input guard refuses oversized lists. Sizes only need lengths and
          // numbers; a value of the wrong type counts as absent or 1 (execution refuses it anyway).
          const variables = request.variables ?? {};
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
          }
          const { cost, rows } = operationCost(schema, operation, fragments, variables, { maxPageSize: config.MAX_PAGE_SIZE, sizers });
          charged = cost;
          if (config.QUERY_MAX_COST > 0 && cost > config.QUERY_MAX_COST) {
            throw new GraphQLError(
              `Query cost ${cost} exceeds the limit of ${config.QUERY_MAX_COST}. Ask for fewer items (first / limit), select fewer nested lists, or split the request.`,
              { extensions: { code: QUERY_TOO_COMPLEX, queryLimit: 'cost' satisfies QueryLimit, max: config.QUERY_MAX_COST, cost, http: { status: 400 } } },
            );
          }
          if (rows > config.MAX_BATCH_SIZE) {
            const error = batchTooLargeError(rows, config.MAX_BATCH_SIZE);
            throw new GraphQLError(`${error.message} (All bulk mutations of one request count together.)`, {
              extensions: { ...error.extensions, http: { status: 400 } },
            });
          }
          const extra = Math.max(1, Math.ceil(cost / config.RATE_LIMIT_COST_PER_TOKEN)) - 1 + Math.floor(rows / config.RATE_LIMIT_ROWS_PER_TOKEN);
          if (extra > 0 && contextValue.viewer) {
            const result = await limiter.consume(contextValue.viewer, extra, 1);
            if (!result.allowed) throw rateLimitedError(result.retryAfterSeconds, result.limit);
          }
          // A heavy request has just been parsed, guarded and coerced in one go (megabytes of
          // variables): let other requests run before its execution starts.
          if (cost >= config.RATE_LIMIT_COST_PER_TOKEN) await yieldToEventLoop();
        },
        async willSendResponse({ response }) {
          if (charged !== undefined) response.http.headers.set(QUERY_COST_HEADER, String(charged));
        },
      };
    },
  };
}

const TOKEN_LIMIT = /Document contains more (?:than|that) (\d+) tokens/;

/**
 * Apollo reports validation-rule errors as GRAPHQL_VALIDATION_FAILED and parser aborts as
 * GRAPHQL_PARSE_FAILED; limit refusals get their own stable code instead.
 */
export function withLimitCode(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  if (extensions.code === 'GRAPHQL_VALIDATION_FAILED' && typeof extensions.queryLimit === 'string') {
    return { ...formatted, extensions: { ...extensions, code: QUERY_TOO_COMPLEX } };
  }
  const tokens = extensions.code === 'GRAPHQL_PARSE_FAILED' ? TOKEN_LIMIT.exec(formatted.message) : null;
  if (tokens) {
    return {
      message: `Query token limit of ${tokens[1]} exceeded.`,
      extensions: { ...extensions, code: QUERY_TOO_COMPLEX, queryLimit: 'tokens', max: Number(tokens[1]) },
    };
  }
  return formatted;
}
