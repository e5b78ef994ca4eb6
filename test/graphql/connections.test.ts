import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { expandConnections } from '../../src/graphql/connections.ts';
import { DEFAULT_PAGE_SIZE } from '../../src/graphql/pagination.ts';

describe('@connection', () => {
  it('gives a field the Relay arguments first and after, described with the page-size rule, before its own', () => {
    const expanded = print(
      expandConnections(
        parse(`
          directive @connection(items: String) on FIELD_DEFINITION
          type Query { things("Only these." filter: String): [String!]! @connection(items: "things") }
        `),
      ),
    );
    expect(expanded).not.toContain('@connection');
    expect(expanded).toContain(
      `things(\n    "How many things per page: 0 to the service's maxPageSize; default ${DEFAULT_PAGE_SIZE} (maxPageSize when smaller)."\n    first: Int\n    "Continue after this cursor: the endCursor (or an edge cursor) of an earlier \`things\` page."\n    after: String\n    "Only these."\n    filter: String\n  ): [String!]!`,
    );
  });

  it('names the items after the field when not told, and leaves other fields alone', () => {
    const expanded = print(expandConnections(parse(`type Query { orders: [String!]! @connection other(first: Int): Int }`)));
    expect(expanded).toContain('How many orders per page');
    expect(expanded).toContain('other(first: Int): Int');
  });

  it('refuses a connection that declares first or after itself', () => {
    expect(() => expandConnections(parse(`type Query { orders(first: Int): [String!]! @connection }`))).toThrow(/do not declare them/);
  });
});
