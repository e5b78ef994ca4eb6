import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toGlobalId } from '../../../src/graphql/global-id.ts';
import { validateRows } from '../../../src/modules/common/bulk.ts';
import {
  assertOneOf,
  assertOneRef,
  missingRefMessage,
  oneOfProblem,
  oneRefRefinement,
  optionalLocalId,
  readRowRef,
  refArgs,
  RowFieldError,
} from '../../../src/modules/common/references.ts';

const USER_ID = '0b6c3a52-4a55-4f59-9d3e-2f0f1f1b2c3d';

function thrown(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected an error');
}

describe('assertOneRef / assertOneOf', () => {
  it("asks for exactly one of a lookup's references, in one wording", () => {
    expect(() => assertOneRef('a', null)).not.toThrow();
    expect(() => assertOneRef(undefined, 'ext')).not.toThrow();
    for (const [id, externalId] of [
      [null, null],
      [undefined, undefined],
      ['a', 'b'],
    ] as const) {
      const error = thrown(() => assertOneRef(id, externalId));
      expect(error.message).toBe('Give exactly one of id or externalId.');
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    }
  });

  it('with required: false accepts none and refuses both, naming the argument asked for', () => {
    expect(() => assertOneRef(null, null, ['productId', 'productExternalId'], { required: false })).not.toThrow();
    const error = thrown(() => assertOneRef('x', 'y', ['filter.userId', 'filter.userExternalId'], { required: false, argument: 'filter' }));
    expect(error.message).toBe('Give at most one of filter.userId or filter.userExternalId.');
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter' });
  });

  it('words more than two alternatives as a list', () => {
    expect(thrown(() => assertOneOf([null, null, null], ['id', 'externalId', 'email'])).message).toBe('Give exactly one of id, externalId or email.');
    expect(() => assertOneOf([null, null, 'a@b.c'], ['id', 'externalId', 'email'])).not.toThrow();
    expect(oneOfProblem(['a', null, 'c', null, null], ['productId', 'productExternalId', 'campaignId', 'campaignExternalId', 'category'], false)).toBe(
      'give at most one of productId, productExternalId, campaignId, campaignExternalId or category',
    );
  });

  it('counts an empty string as given (only null and undefined are absent)', () => {
    expect(() => assertOneRef('', 'ext')).toThrow(/exactly one/);
  });
});

describe('refArgs / optionalLocalId', () => {
  it('checks the pair and decodes the global ID', () => {
    expect(refArgs('User', { id: toGlobalId('User', USER_ID) })).toEqual({ id: USER_ID, externalId: null });
    expect(refArgs('User', { externalId: 'crm-1' })).toEqual({ id: null, externalId: 'crm-1' });
    expect(thrown(() => refArgs('Campaign', {}, ['campaignId', 'campaignExternalId'])).message).toBe('Give exactly one of campaignId or campaignExternalId.');
    const foreign = thrown(() => refArgs('Product', { id: toGlobalId('User', USER_ID) }));
    expect(foreign.message).toMatch(/is not a valid Product ID/);
    expect(optionalLocalId('User', null)).toBeNull();
  });
});

describe('oneRefRefinement (bulk rows)', () => {
  const Row = z.object({ campaignId: z.string().nullish(), campaignExternalId: z.string().nullish() }).superRefine(oneRefRefinement(['campaignId', 'campaignExternalId']));
  const Optional = z
    .object({ userId: z.string().nullish(), userExternalId: z.string().nullish() })
    .superRefine(oneRefRefinement(['userId', 'userExternalId'], { required: false }));

  it('reports the problem on the id field, in the shared wording', () => {
    const { valid, errors } = validateRows([{ campaignId: 'a' }, {}, { campaignId: 'a', campaignExternalId: 'b' }], Row);
    expect(valid.map((row) => row.index)).toEqual([0]);
    expect(errors).toEqual([
      { index: 1, externalId: null, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: give exactly one of campaignId or campaignExternalId' },
      { index: 2, externalId: null, code: 'BAD_USER_INPUT', field: 'campaignId', message: 'campaignId: give exactly one of campaignId or campaignExternalId' },
    ]);
  });

  it('optional references may be left out but not doubled', () => {
    const { valid, errors } = validateRows([{}, { userExternalId: 'u' }, { userId: 'x', userExternalId: 'u' }], Optional);
    expect(valid.map((row) => row.index)).toEqual([0, 1]);
    expect(errors.map((error) => error.message)).toEqual(['userId: give at most one of userId or userExternalId']);
  });
});

describe('readRowRef', () => {
  const pair = ['userId', 'userExternalId'] as const;

  it('decodes a global ID (lower-cased) or trims an externalId, keeping what the row gave', () => {
    const globalId = toGlobalId('User', USER_ID.toUpperCase());
    expect(readRowRef({ userId: globalId }, pair, 'User')).toEqual({ kind: 'id', value: USER_ID, field: 'userId', given: globalId });
    expect(readRowRef({ userExternalId: '  crm-1 ' }, pair, 'User')).toEqual({ kind: 'externalId', value: 'crm-1', field: 'userExternalId', given: 'crm-1' });
  });

  it('tells an omitted reference (undefined: keep) from a cleared one (null)', () => {
    expect(readRowRef({}, pair, 'User')).toBeUndefined();
    expect(readRowRef({ userId: undefined }, pair, 'User')).toBeUndefined();
    expect(readRowRef({ userId: null }, pair, 'User')).toBeNull();
    expect(readRowRef({ userExternalId: null }, pair, 'User')).toBeNull();
  });

  it('refuses both, a missing required one, a malformed ID and an empty externalId with the field at fault', () => {
    const problem = (row: Record<string, unknown>, required = false) => {
      try {
        readRowRef(row, pair, 'User', { required });
      } catch (error) {
        if (error instanceof RowFieldError) return `${error.field}: ${error.message}`;
        throw error;
      }
      return null;
    };
    expect(problem({ userId: toGlobalId('User', USER_ID), userExternalId: 'u' })).toBe('userId: give at most one of userId or userExternalId');
    expect(problem({}, true)).toBe('userId: give exactly one of userId or userExternalId');
    expect(problem({ userId: 'nope' })).toBe('userId: "nope" is not a valid User ID');
    expect(problem({ userId: toGlobalId('Product', USER_ID) })).toMatch(/^userId: ".+" is not a valid User ID$/);
    expect(problem({ userId: 7 })).toBe('userId: must be a User ID (a string)');
    expect(problem({ userExternalId: '   ' })).toBe('userExternalId: must be a non-empty string');
  });

  it('words a reference to a missing row the same way for ids and externalIds', () => {
    expect(missingRefMessage({ kind: 'externalId', value: 'c-9', field: 'campaignExternalId', given: 'c-9' }, 'campaign')).toBe(
      'campaignExternalId: no campaign has externalId "c-9".',
    );
    const globalId = toGlobalId('User', USER_ID);
    expect(missingRefMessage({ kind: 'id', value: USER_ID, field: 'userId', given: globalId }, 'user')).toBe(`userId: no user has ID "${globalId}".`);
  });
});
