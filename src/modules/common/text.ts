/**
 * Longest text the service takes: what submitFeedback stores and what classify accepts, so every
 * stored feedback text can also be classified.
 */
export const MAX_TEXT_LENGTH = 5_000;
