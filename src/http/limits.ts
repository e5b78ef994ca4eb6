import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.ts';

/** The code of every refused-for-its-shape operation (HTTP 400); `extensions.limit` says which limit. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';
export type QueryLimit = 'depth' | 'aliases' | 'cost' | 'tokens' | 'directives';

type LimitsConfig = Pick<
  Config,
  'QUERY_MAX_DEPTH' | 'QUERY_MAX_ALIASES' | 'QUERY_MAX_COST' | 'QUERY_MAX_TOKENS' | 'QUERY_MAX_DIRECTIVES' | 'introspectionEnabled'
>;

function reject(limit: QueryLimit, max: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    // graphql-armor prefixes its messages with "Syntax Error: "; these are not syntax errors.
    const message = error.message.replace(/^Syntax Error:\s*/, '');
    context?.reportError(new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, queryLimit: limit, max } }));
  };
}

/**
 * Query shape limits, enforced before execution: depth, aliases, cost and directives as
 * graphql-armor validation rules (@escape.tech/graphql-armor 3.2.0 = cost-limit 2.4.3 and
 * max-depth 2.4.2, which skip only a *field* named `__schema`, i.e. carry the fix for the
 * GHSA-733v-p3h5-qpq7 introspection bypass), and tokens through graphql-js' own parser limit.
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
    costLimit: { enabled: config.QUERY_MAX_COST > 0, maxCost: config.QUERY_MAX_COST, ignoreIntrospection: true, ...common, onReject: [reject('cost', config.QUERY_MAX_COST)] },
    maxDirectives: { enabled: config.QUERY_MAX_DIRECTIVES > 0, n: config.QUERY_MAX_DIRECTIVES, ...common, onReject: [reject('directives', config.QUERY_MAX_DIRECTIVES)] },
    // Tokens: graphql-js' parser option below (armor's Apollo variant throws from a parsing hook).
    maxTokens: { enabled: false },
    // "Did you mean …" suggestions reveal the schema; hide them where introspection is off.
    blockFieldSuggestion: { enabled: !config.introspectionEnabled },
  });
  const { validationRules, plugins } = armor.protect();
  return { validationRules, plugins, parseOptions: config.QUERY_MAX_TOKENS > 0 ? { maxTokens: config.QUERY_MAX_TOKENS } : {} };
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
