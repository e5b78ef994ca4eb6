import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/**
 * Typed GraphQL documents for tests. Write an operation as graphql(`query SomeName { ... }`)
 * anywhere under test/; `npm run codegen` (also run by postinstall) generates its result and
 * variables types into test/generated/, and `gql`/`gqlAs` of a test server infer both from it.
 * Operations need a name, unique across the suite. A document edited without re-running codegen
 * is typed `unknown` and fails the typecheck.
 */
export { graphql } from '../generated/gql.ts';
export type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
/** The schema's input and enum types, e.g. `ProductInput`, `InteractionType`. */
export type * from '../generated/graphql.ts';

/** Any typed document with its variables unchecked: for tables of documents and deliberately wrong variables. */
export type UncheckedDocument = TypedDocumentNode<unknown, any>;

/**
 * The same document with its variables left unchecked, for tests that deliberately send
 * variables the server must refuse (a wrong enum value, a string for a number, ...).
 */
export function unchecked<R>(document: TypedDocumentNode<R, any>): TypedDocumentNode<R, Record<string, unknown>> {
  return document as TypedDocumentNode<R, Record<string, unknown>>;
}
