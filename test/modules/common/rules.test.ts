import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkBatch, fields, notTooFarInFuture, MAX_FUTURE_MS, validateRows } from '../../../src/modules/common/bulk.ts';
import { assertDayRange, isoDay, utcDay } from '../../../src/modules/common/days.ts';
import { isTaskName, parseTaskName, taskNameField } from '../../../src/modules/common/task-name.ts';

describe('task names', () => {
  const accepted = ['sentiment', 'a', '0', 'topic_v2', 'my-task', '-lead', '_draft', 'x'.repeat(50), '  padded  '];
  const refused = ['', '   ', 'x'.repeat(51), 'Sentiment', 'has space', 'ünï', 'a.b', 'a/b'];

  it('accepts exactly what the rule says, trimmed, in every form', () => {
    for (const task of accepted) {
      expect(isTaskName(task), task).toBe(true);
      expect(parseTaskName(task)).toBe(task.trim());
      expect(taskNameField.parse(task)).toBe(task.trim());
    }
    for (const task of refused) {
      expect(isTaskName(task), task).toBe(false);
      expect(() => parseTaskName(task), task).toThrow(GraphQLError);
      expect(taskNameField.safeParse(task).success, task).toBe(false);
    }
  });

  it('names the argument in the error', () => {
    try {
      parseTaskName('Bad Task', 'filter.task');
      throw new Error('expected an error');
    } catch (error) {
      expect((error as GraphQLError).message).toBe('filter.task must be 1 to 50 characters of a-z, 0-9, _ and -; got "Bad Task".');
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.task' });
    }
  });
});

describe('validateRows messages', () => {
  const Schema = z.object({
    externalId: fields.externalId,
    labels: z.array(z.object({ task: taskNameField })).nullish(),
  });

  it('reports the first issue of a row as "<dotted field>: <message>", with the row\'s externalId', () => {
    const { valid, errors } = validateRows([{ externalId: 'ok' }, { externalId: 'r-1', labels: [{ task: 'ok' }, { task: 'Nope' }] }, { externalId: ' ' }, 'not an object'], Schema);
    expect(valid.map((row) => row.index)).toEqual([0]);
    expect(errors).toEqual([
      { index: 1, externalId: 'r-1', code: 'BAD_USER_INPUT', field: 'labels.1.task', message: 'labels.1.task: must be 1 to 50 characters of a-z, 0-9, _ and -' },
      { index: 2, externalId: ' ', code: 'BAD_USER_INPUT', field: 'externalId', message: 'externalId: must not be empty' },
      { index: 3, externalId: null, code: 'BAD_USER_INPUT', field: null, message: expect.any(String) },
    ]);
  });
});

describe('checkBatch', () => {
  const Schema = z.object({ externalId: fields.externalId, name: z.string().nullish() });

  it('refuses a batch above the configured maximum before validating anything', () => {
    try {
      checkBatch([{}, {}, {}], Schema, { maxBatchSize: 2 });
      throw new Error('expected an error');
    } catch (error) {
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'BATCH_TOO_LARGE', maxBatchSize: 2, batchSize: 3 });
    }
  });

  it('validates the rows and refuses later rows repeating the unique field', () => {
    const { rows, errors } = checkBatch([{ externalId: 'a' }, { externalId: 'b' }, { externalId: 'a', name: 'again' }, { name: 'no id' }], Schema, {
      maxBatchSize: 4,
      unique: 'externalId',
    });
    expect(rows.map((row) => row.index)).toEqual([0, 1]);
    expect(errors.map((error) => [error.index, error.code, error.field])).toEqual([
      [3, 'BAD_USER_INPUT', 'externalId'],
      [2, 'CONFLICT', 'externalId'],
    ]);
    expect(errors[1]!.message).toBe('externalId "a" appears more than once in this batch (first at index 0).');
  });
});

describe('days and timestamps', () => {
  it('checks a day range only when both ends are given', () => {
    expect(() => assertDayRange('2026-01-02', '2026-01-02')).not.toThrow();
    expect(() => assertDayRange(null, '2026-01-01')).not.toThrow();
    expect(() => assertDayRange('2026-01-02', '2026-01-01')).toThrow('"from" (2026-01-02) must not be after "to" (2026-01-01).');
  });

  it('converts between calendar days and UTC midnights', () => {
    expect(utcDay('2026-03-01').toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(isoDay(new Date('2026-03-01T23:59:59.000Z'))).toBe('2026-03-01');
    expect(isoDay('2026-03-01T10:00:00Z')).toBe('2026-03-01');
  });

  it('allows a client clock at most one day ahead', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(notTooFarInFuture(new Date(now + MAX_FUTURE_MS), now)).toBe(true);
    expect(notTooFarInFuture(new Date(now + MAX_FUTURE_MS + 1), now)).toBe(false);
  });
});
