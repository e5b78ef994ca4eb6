import { userInputError } from '../../graphql/errors.ts';

/** Calendar days (the `Date` scalar): YYYY-MM-DD strings in UTC. */

/** A YYYY-MM-DD day as the Date Prisma expects for a DATE column (midnight UTC). */
export function utcDay(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** The YYYY-MM-DD day of a Date (UTC) or of an ISO string. */
export function isoDay(value: Date | string): string {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

/**
 * The one range of every date and timestamp a client sends (events, feedback, campaign schedules,
 * daily metrics, the days of analytics ranges): 1970-01-01 to 2999-12-31, UTC. Earlier or later
 * values are almost certainly mistakes (year 1, a seconds/milliseconds mix-up), and some overflow
 * the columns. Events and feedback are further held to at most a day in the future (bulk.ts).
 */
export const EARLIEST_DAY = '1970-01-01';
export const LATEST_DAY = '2999-12-31';
export const DATE_RANGE_MESSAGE = `must be between ${EARLIEST_DAY} and ${LATEST_DAY}`;
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const AFTER_LATEST_MS = Date.UTC(3000, 0, 1);

/** Whether a timestamp (a Date) or a YYYY-MM-DD day lies in EARLIEST_DAY..LATEST_DAY. */
export function inDateRange(value: Date | string): boolean {
  if (typeof value === 'string') return value >= EARLIEST_DAY && value <= LATEST_DAY;
  const ms = value.getTime();
  return ms >= EARLIEST_MS && ms < AFTER_LATEST_MS;
}

/**
 * The one check of a from..to day range (either end optional): each end within the date range,
 * and `from` not after `to`.
 */
export function assertDayRange(from: string | null | undefined, to: string | null | undefined): void {
  for (const [argument, day] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (day && !inDateRange(day)) throw userInputError(`"${argument}" (${day}) ${DATE_RANGE_MESSAGE}.`, { argument });
  }
  if (from && to && from > to) {
    throw userInputError(`"from" (${from}) must not be after "to" (${to}).`, { argument: 'from' });
  }
}

const DAY_MS = 86_400_000;

/** Days from `from` to `to` inclusive (YYYY-MM-DD); an open end counts as unbounded. */
export function daysInRange(from: string | null | undefined, to: string | null | undefined): number {
  if (!from || !to) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor((utcDay(to).getTime() - utcDay(from).getTime()) / DAY_MS) + 1);
}
