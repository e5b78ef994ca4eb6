import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { integerArgument } from '../../src/graphql/arguments.ts';

describe('integerArgument', () => {
  const range = { min: 1, max: 100, argument: 'limit' };

  it('passes an integer within the range through', () => {
    expect(integerArgument(1, range)).toBe(1);
    expect(integerArgument(100, range)).toBe(100);
  });

  it.each([0, 101, 2.5, Number.NaN, null, undefined])('refuses %s with BAD_USER_INPUT naming the argument and its range', (value) => {
    const error = (() => {
      try {
        integerArgument(value, range);
      } catch (caught) {
        return caught as GraphQLError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error!.message).toBe('"limit" must be an integer between 1 and 100.');
    expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'limit', max: 100 });
  });
});
