import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { TestServer } from './server.ts';

/** The result of a `trainingJob(id: $id) { status ... }` query; each test selects the fields it checks. */
type JobResult = { trainingJob: { status: string } | null };
type JobOf<R extends JobResult> = NonNullable<R['trainingJob']>;

export interface WaitForJobOptions<J> {
  /** Done when this holds; default: SUCCEEDED or FAILED. */
  until?: (job: J) => boolean;
  /** Default 120 s. */
  timeoutMs?: number;
  /** Default 200 ms. */
  pollMs?: number;
  /** Treat a request that fails outright (e.g. a reset connection) as no answer and poll again. */
  retryFailedRequests?: boolean;
  /** Appended to the timeout error, e.g. the log of a worker process. */
  context?: () => string;
}

/**
 * Polls a training job with the given query until it is done. A null job or an error answer
 * fails at once: the job was stored when trainModel answered, so it must be found every time.
 */
export async function waitForJob<R extends JobResult>(
  server: Pick<TestServer, 'gql'>,
  document: TypedDocumentNode<R, { id: string }>,
  id: string,
  options: WaitForJobOptions<JobOf<R>> = {},
): Promise<JobOf<R>> {
  const until = options.until ?? ((job: JobOf<R>) => job.status === 'SUCCEEDED' || job.status === 'FAILED');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = server.gql(document, { id });
    const result = options.retryFailedRequests ? await request.catch(() => null) : await request;
    const context = () => {
      const text = options.context?.();
      return text ? `:\n${text}` : '';
    };
    let job: JobOf<R> | null = null;
    if (result) {
      job = (result.data?.trainingJob ?? null) as JobOf<R> | null;
      if (result.errors?.length || !job) {
        throw new Error(`job ${id}: trainingJob answered ${JSON.stringify(result.errors ?? null)} (HTTP ${result.status}, job ${JSON.stringify(job)})${context()}`);
      }
      if (until(job)) return job;
    }
    if (Date.now() > deadline) throw new Error(`job ${id} is ${JSON.stringify(job)} after ${timeoutMs / 1000} s${context()}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
}
