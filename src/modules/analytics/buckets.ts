import { Prisma } from '../../generated/prisma/client.ts';
import { userInputError } from '../../graphql/errors.ts';
import { assertDayRange, utcDay } from '../common/days.ts';

export type Granularity = 'DAY' | 'WEEK' | 'MONTH';

/** Largest number of buckets one analytics request may ask for. */
export const MAX_BUCKETS = 1000;
const DAY_MS = 86_400_000;

/** `date_trunc` unit and generate_series step of a granularity (ISO weeks: date_trunc('week') starts on Monday). */
export function bucketUnit(granularity: Granularity): { unit: string; step: string } {
  switch (granularity) {
    case 'DAY':
      return { unit: 'day', step: '1 day' };
    case 'WEEK':
      return { unit: 'week', step: '1 week' };
    case 'MONTH':
      return { unit: 'month', step: '1 month' };
  }
}

/** The first day (UTC) of the bucket holding `day` (YYYY-MM-DD); mirrors date_trunc for validation and tests. */
export function bucketStart(day: string, granularity: Granularity): string {
  const date = utcDay(day);
  if (granularity === 'MONTH') return `${day.slice(0, 7)}-01`;
  if (granularity === 'WEEK') {
    const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
    return new Date(date.getTime() - weekday * DAY_MS).toISOString().slice(0, 10);
  }
  return day;
}

/** The last day (inclusive, UTC) of the bucket starting at `start`. */
export function bucketEnd(start: string, granularity: Granularity): string {
  const date = utcDay(start);
  if (granularity === 'DAY') return start;
  if (granularity === 'WEEK') return new Date(date.getTime() + 6 * DAY_MS).toISOString().slice(0, 10);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
}

/** Buckets from the one holding `from` to the one holding `to` (both YYYY-MM-DD, from ≤ to). */
export function bucketCount(from: string, to: string, granularity: Granularity): number {
  const first = utcDay(bucketStart(from, granularity));
  const last = utcDay(to);
  return granularity === 'MONTH'
    ? (last.getUTCFullYear() - first.getUTCFullYear()) * 12 + last.getUTCMonth() - first.getUTCMonth() + 1
    : Math.floor((last.getTime() - first.getTime()) / (granularity === 'WEEK' ? 7 * DAY_MS : DAY_MS)) + 1;
}

/** Validates a required from..to day range and the number of buckets it spans. */
export function assertBucketRange(from: string, to: string, granularity: Granularity): void {
  assertDayRange(from, to);
  const count = bucketCount(from, to, granularity);
  if (count > MAX_BUCKETS) {
    throw userInputError(`The range ${from}..${to} spans ${count} ${granularity} buckets; at most ${MAX_BUCKETS} are allowed. Use a coarser granularity or a shorter range.`, {
      argument: 'granularity',
    });
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const GRANULARITIES: readonly string[] = ['DAY', 'WEEK', 'MONTH'] satisfies Granularity[];

/**
 * For the request cost model (`@listSize(sizer: "buckets")`): the buckets a request's from, to and
 * granularity span, at most MAX_BUCKETS (more is refused before any work); undefined when the
 * arguments are not a valid range (the request then fails on them).
 */
export function bucketsSizer(args: Readonly<Record<string, unknown>>): number | undefined {
  const { from, to, granularity } = args;
  if (typeof from !== 'string' || typeof to !== 'string' || !DAY.test(from) || !DAY.test(to) || from > to) return undefined;
  if (typeof granularity !== 'string' || !GRANULARITIES.includes(granularity)) return undefined;
  const count = bucketCount(from, to, granularity as Granularity);
  return Number.isFinite(count) ? Math.min(Math.max(count, 0), MAX_BUCKETS) : undefined;
}

/**
 * SQL of the bucket start (a date) of a UTC timestamp column, and of a DATE column; the unit is
 * a bound parameter from bucketUnit (never client text).
 */
export function truncTimestamp(column: Prisma.Sql, unit: string): Prisma.Sql {
  return Prisma.sql`date_trunc(${unit}, (${column}) AT TIME ZONE 'UTC')::date`;
}
export function truncDate(column: Prisma.Sql, unit: string): Prisma.Sql {
  return Prisma.sql`date_trunc(${unit}, (${column})::timestamp)::date`;
}

/** Every bucket start from the bucket holding `from` to the one holding `to` (generate_series). */
export function bucketSeries(from: string, to: string, unit: string, step: string): Prisma.Sql {
  return Prisma.sql`SELECT gs::date AS start
    FROM generate_series(date_trunc(${unit}, ${from}::date::timestamp), ${to}::date::timestamp, ${step}::interval) gs`;
}

/** Start (inclusive) and end (exclusive) of a from..to day range as UTC timestamps. */
export function rangeTimestamps(from: string, to: string): { lo: Prisma.Sql; hi: Prisma.Sql } {
  return {
    lo: Prisma.sql`(${from}::date::timestamp AT TIME ZONE 'UTC')`,
    hi: Prisma.sql`((${to}::date + 1)::timestamp AT TIME ZONE 'UTC')`,
  };
}
