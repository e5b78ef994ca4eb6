/**
 * The rules for an interaction's `value`, defined once: the service validates rows with them,
 * the configuration checks the rating scale with them at start-up, the import goes through the
 * service.
 */
import { describeRatingScale, isOnRatingScale, ratingScaleProblem, type RatingScale } from '../../ml/recommender/ratings.ts';

/**
 * Largest magnitude of `value` (a PURCHASE quantity, a RATING on the configured scale, any other
 * event's own figure): sums of values over every stored event (attributed units, training
 * signals) stay far inside float8, so no stored event can make a read overflow.
 */
export const MAX_INTERACTION_VALUE = 1_000_000;

/** The settings that define the rating scale, named in messages so an operator knows what to change. */
export const RATING_SCALE_SETTINGS = 'RATING_MIN, RATING_MAX, RATING_STEP';

/** Why a configured rating scale is unusable, or null: the ML core's rule plus the value limit. */
export function ratingScaleConfigProblem(scale: RatingScale): string | null {
  const problem = ratingScaleProblem(scale);
  if (problem) return problem;
  if (Math.max(Math.abs(scale.min), Math.abs(scale.max)) > MAX_INTERACTION_VALUE) {
    return `min and max must be between -${MAX_INTERACTION_VALUE} and ${MAX_INTERACTION_VALUE} (the value limit of every interaction)`;
  }
  return null;
}

/** Why `value` is not a rating on `scale` (null when it is one), for a row error on `value`. */
export function ratingValueProblem(scale: RatingScale, value: number): string | null {
  if (isOnRatingScale(scale, value)) return null;
  return `${value} is not a rating on this service's scale: ${describeRatingScale(scale)} (configured by ${RATING_SCALE_SETTINGS})`;
}
