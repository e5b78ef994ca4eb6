import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type DocumentNode } from 'graphql';

// NUL characters cannot be stored in PostgreSQL text, and unpaired UTF-16 surrogates are not
// valid Unicode (Prisma's engine rejects them): refuse both up front with BAD_USER_INPUT instead
// of failing deep in a resolver.
const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function findInvalid(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return INVALID_TEXT.test(value) ? path : null;
  if (depth > 50 || value === null || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (INVALID_TEXT.test(key)) return `${path}.${key.replace(INVALID_TEXT, '?')}`;
    const found = findInvalid(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

function invalidLiteral(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (INVALID_TEXT.test(node.value)) found = true;
    },
  });
  return found;
}

export function inputGuardPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const where = findInvalid(request.variables ?? {}, '$') ?? (invalidLiteral(document) ? 'a string literal' : null);
          if (where) {
            throw new GraphQLError(`Text may not contain NUL characters or unpaired UTF-16 surrogates (found in ${where}).`, {
              extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
