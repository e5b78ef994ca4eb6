import { userInputError } from './errors.ts';

/**
 * The one rule for a bounded integer argument (page sizes, limits, windows, sample sizes):
 * BAD_USER_INPUT naming the argument and its range, with `max` in the extensions.
 */
export function integerArgument(value: number | null | undefined, range: { min: number; max: number; argument: string }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw userInputError(`"${range.argument}" must be an integer between ${range.min} and ${range.max}.`, { argument: range.argument, max: range.max });
  }
  return value;
}
