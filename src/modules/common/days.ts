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

/** The one check of a from..to day range (either end optional): `from` must not be after `to`. */
export function assertDayRange(from: string | null | undefined, to: string | null | undefined): void {
  if (from && to && from > to) {
    throw userInputError(`"from" (${from}) must not be after "to" (${to}).`, { argument: 'from' });
  }
}
