import type { z } from 'zod';

/** Where a zod issue points and what it says, as every error of this service reports it. */
export interface DescribedIssue {
  /** Dotted path below `prefix` ("hyperparameters.als.factors"), or null at the root without a prefix. */
  field: string | null;
  /** "<field>: <message>", or the bare message when there is no field. */
  message: string;
}

/** How many further unknown keys a message names. */
export const MAX_NAMED_KEYS = 10;

/**
 * The one way zod issues become messages (bulk rows, hyperparameters, configuration). An
 * unrecognised key is named in the path, so a typo reads "hyperparameters.epoch: unknown key".
 */
export function describeIssue(issue: z.core.$ZodIssue, prefix?: string): DescribedIssue {
  const path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
    path.push(issue.keys[0]);
    const others = issue.keys.slice(1);
    // At most MAX_NAMED_KEYS more are named: an object of 10^5 unknown keys must not become a megabyte message.
    const named = others.slice(0, MAX_NAMED_KEYS).join(', ') + (others.length > MAX_NAMED_KEYS ? ` and ${others.length - MAX_NAMED_KEYS} more` : '');
    message = others.length ? `unknown key (also unknown: ${named})` : 'unknown key';
  }
  const parts = prefix ? [prefix, ...path] : path;
  const field = parts.length ? parts.join('.') : null;
  return { field, message: field ? `${field}: ${message}` : message };
}

/** The first issue of a failed parse, described (zod reports issues in input order). */
export function describeFirstIssue(error: z.ZodError, prefix?: string): DescribedIssue {
  const issue = error.issues[0];
  return issue ? describeIssue(issue, prefix) : { field: prefix ?? null, message: prefix ? `${prefix}: invalid value` : 'invalid value' };
}
