import { createRandom } from '../../src/ml/shared/random.ts';
import { generateFeedbackText } from '../../src/seed/feedback-text.ts';
import { graphql, type FeedbackInput } from './graphql.ts';
import type { TestServer } from './server.ts';

/**
 * `count` generated reviews, each labelled with its planted sentiment (task "sentiment"), with
 * externalIds `<idPrefix><i>`; product names in turn from `productNames` (default: a lamp).
 */
export function sentimentFeedback(options: { seed: number; count: number; idPrefix: string; productNames?: string[] }): FeedbackInput[] {
  const random = createRandom(options.seed);
  const names = options.productNames ?? ['lamp'];
  return Array.from({ length: options.count }, (_, i) => {
    const row = generateFeedbackText(random, { productName: names[i % names.length] });
    return { externalId: `${options.idPrefix}${i}`, channel: 'REVIEW', text: row.text, labels: [{ task: 'sentiment', label: row.sentiment }] };
  });
}

const SUBMIT = graphql(`
  mutation TestSupportSubmitFeedback($input: [FeedbackInput!]!) {
    submitFeedback(input: $input) { created failed errors { index message } }
  }
`);

/** Submits feedback as ADMIN; throws unless every row was accepted. Returns how many were created. */
export async function submitFeedback(server: Pick<TestServer, 'gql'>, input: FeedbackInput[]): Promise<number> {
  const result = await server.gql(SUBMIT, { input });
  if (!result.data || result.data.submitFeedback.failed > 0) {
    throw new Error(`submitFeedback failed: ${JSON.stringify(result.errors ?? result.data?.submitFeedback.errors)}`);
  }
  return result.data.submitFeedback.created;
}
