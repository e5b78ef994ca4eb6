/**
 * Rating scales: the range and step RATING values are given on (MovieLens: 0.5 to 5 in halves).
 * The one definition of what a scale is, which values are on it and where a value sits in it;
 * the service validates input with it and the signals normalise ratings with it.
 */

export interface RatingScale {
  /** Lowest rating. */
  min: number;
  /** Highest rating. */
  max: number;
  /** Distance between neighbouring ratings; every rating is min + k·step. */
  step: number;
}

/** Half stars from 0.5 to 5 (MovieLens); whole stars 1 to 5 are on it too. */
export const DEFAULT_RATING_SCALE: RatingScale = Object.freeze({ min: 0.5, max: 5, step: 0.5 });

/** The scale models trained before rating scales existed assumed (ratings 1 to 5). */
export const LEGACY_RATING_SCALE: RatingScale = Object.freeze({ min: 1, max: 5, step: 1 });

// Relative slack for "a whole number of steps": decimal steps such as 0.1 are not exact in binary.
const STEP_TOLERANCE = 1e-9;

/** Steps from `min` to `value`; an integer (up to rounding) when the value is on the scale's grid. */
function stepsFromMin(scale: RatingScale, value: number): number {
  return (value - scale.min) / scale.step;
}

function isWhole(x: number): boolean {
  return Math.abs(x - Math.round(x)) <= STEP_TOLERANCE * Math.max(1, Math.abs(x));
}

/** Why a scale is unusable (min < max, step > 0 and a whole number of steps from min to max), or null. */
export function ratingScaleProblem(scale: RatingScale): string | null {
  const { min, max, step } = scale;
  if (![min, max, step].every(Number.isFinite)) return 'min, max and step must be finite numbers';
  if (!(min < max)) return `min (${min}) must be below max (${max})`;
  if (!(step > 0)) return `step (${step}) must be greater than 0`;
  if (!isWhole(stepsFromMin(scale, max))) return `step (${step}) must divide the range from ${min} to ${max} into whole steps`;
  return null;
}

/** "0.5 to 5 in steps of 0.5": how error messages and docs state a scale. */
export function describeRatingScale(scale: RatingScale): string {
  return `${scale.min} to ${scale.max} in steps of ${scale.step}`;
}

/** True when `value` is one of the scale's ratings: within [min, max] and a whole number of steps from min. */
export function isOnRatingScale(scale: RatingScale, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const slack = STEP_TOLERANCE * (scale.max - scale.min);
  if (value < scale.min - slack || value > scale.max + slack) return false;
  return isWhole(stepsFromMin(scale, value));
}

/** Where a rating sits on its scale: 0 at min, 1 at max (linear; values off the scale extrapolate). */
export function ratingPosition(scale: RatingScale, value: number): number {
  return (value - scale.min) / (scale.max - scale.min);
}

/** The rating of `scale` nearest to `position` (0 = min, 1 = max, clamped): ratings carried from one scale to another. */
export function ratingAt(scale: RatingScale, position: number): number {
  const steps = Math.round(((scale.max - scale.min) / scale.step) * Math.min(1, Math.max(0, position)));
  // Rounded to 12 significant digits so decimal steps give 0.3, not 0.30000000000000004.
  return Number((scale.min + steps * scale.step).toPrecision(12));
}
