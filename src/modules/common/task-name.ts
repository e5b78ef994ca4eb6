import { z } from 'zod';
import { userInputError } from '../../graphql/errors.ts';

/**
 * The one rule for a task name (a label set such as "sentiment"): what labelling, training,
 * classification, analytics and import all accept. Stored labels were written under this rule,
 * so it must never be narrowed without a migration of the stored names.
 */
export const TASK_NAME_PATTERN = /^[a-z0-9_-]{1,50}$/;
export const TASK_NAME_RULE = '1 to 50 characters of a-z, 0-9, _ and -';

/** Zod field for a task name in bulk rows (surrounding white space is ignored). */
export const taskNameField = z.string().trim().regex(TASK_NAME_PATTERN, `must be ${TASK_NAME_RULE}`);

export function isTaskName(value: string): boolean {
  return TASK_NAME_PATTERN.test(value.trim());
}

/** The trimmed task name of an argument, or BAD_USER_INPUT naming the argument. */
export function parseTaskName(value: string | null | undefined, argument = 'task'): string {
  const trimmed = (value ?? '').trim();
  if (!TASK_NAME_PATTERN.test(trimmed)) {
    throw userInputError(`${argument} must be ${TASK_NAME_RULE}; got ${value == null ? 'null' : `"${value.slice(0, 60)}"`}.`, { argument });
  }
  return trimmed;
}

/**
 * The most labels one task's classifier distinguishes (training refuses more) and the most
 * label counts an analytics list returns (the most frequent); also the size the request cost
 * model assumes for lists of labels and scores (`@listSize(assumedSize: 50)` in the SDL; a test ties the two).
 */
export const MAX_LABELS_PER_TASK = 50;

/** The most labels and predictions `Feedback.labels` / `Feedback.predictions` return (by task name). */
export const MAX_TASKS_PER_FEEDBACK = 50;
