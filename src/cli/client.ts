/**
 * The GraphQL client of the command line: one POST per operation with the API key, typed by the
 * generated documents. It waits as the server asks (RATE_LIMITED: HTTP 429 with Retry-After) and
 * retries what the server calls retryable (WRITE_CONFLICT, DATABASE_UNAVAILABLE, QUERY_TIMEOUT:
 * `extensions.retryable`), 5xx gateways and lost connections, with backoff. Everything else is
 * an ApiError carrying the server's `extensions.code`.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export const DEFAULT_URL = 'http://localhost:4000/graphql';
export const API_KEY_VARIABLE = 'MARKETING_AI_API_KEY';

/** A refusal by the server (or no answer at all: code NETWORK_ERROR), with its extensions. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Raised instead of sending once the run was interrupted (SIGINT/SIGTERM). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface WaitNotice {
  reason: 'RATE_LIMITED' | 'RETRY';
  seconds: number;
  code: string;
  attempt: number;
}

export interface ClientOptions {
  url: string;
  apiKey: string;
  /** Attempts after a retryable failure before giving up (rate-limit waits do not count). Default 6. */
  retries?: number;
  /** Longest single wait the client accepts from Retry-After, in seconds. Default 300. */
  maxWaitSeconds?: number;
  onWait?: (notice: WaitNotice) => void;
  signal?: AbortSignal;
}

interface GraphQLResponseBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const RETRYABLE_CODES: ReadonlySet<string> = new Set(['WRITE_CONFLICT', 'DATABASE_UNAVAILABLE', 'QUERY_TIMEOUT', 'NETWORK_ERROR']);
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);

/** Sleeps, ending early (with Interrupted) when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class GraphQLClient {
  private readonly printed = new WeakMap<object, string>();
  /** Whether the server ever answered: a connection refused before that is a wrong URL, not a blip. */
  private reached = false;

  constructor(private readonly options: ClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  /** Runs one operation; resolves with its data, or rejects with ApiError / Interrupted. */
  async request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const retries = this.options.retries ?? 6;
    let attempt = 0;
    for (;;) {
      if (this.options.signal?.aborted) throw new Interrupted();
      try {
        return await this.send(document, variables);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === 'RATE_LIMITED') {
          const seconds = retryAfterSeconds(error);
          if (seconds > (this.options.maxWaitSeconds ?? 300)) throw error;
          this.options.onWait?.({ reason: 'RATE_LIMITED', seconds, code: error.code, attempt });
          await sleep(seconds * 1000, this.options.signal);
          continue;
        }
        if (error.code === 'NETWORK_ERROR' && !this.reached) throw error;
        const retryable = error.extensions.retryable === true || RETRYABLE_CODES.has(error.code) || (error.status !== null && RETRYABLE_STATUS.has(error.status));
        if (!retryable || attempt >= retries) throw error;
        attempt += 1;
        const seconds = Math.min(30, 0.5 * 2 ** (attempt - 1));
        this.options.onWait?.({ reason: 'RETRY', seconds, code: error.code, attempt });
        await sleep(seconds * 1000, this.options.signal);
      }
    }
  }

  private source(document: object): string {
    let text = this.printed.get(document);
    if (text === undefined) {
      text = print(document as Parameters<typeof print>[0]);
      this.printed.set(document, text);
    }
    return text;
  }

  private async send<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': this.options.apiKey },
        body: JSON.stringify({ query: this.source(document), variables }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(`cannot reach ${this.options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 'NETWORK_ERROR', null);
    }
    this.reached = true;
    const text = await response.text();
    let body: GraphQLResponseBody;
    try {
      body = JSON.parse(text) as GraphQLResponseBody;
    } catch {
      throw new ApiError(
        `${this.options.url} answered HTTP ${response.status} without a GraphQL response${text ? `: ${text.slice(0, 200)}` : ''}`,
        `HTTP_${response.status}`,
        response.status,
      );
    }
    const first = body.errors?.[0];
    if (first) {
      const extensions = { ...(first.extensions ?? {}) };
      const header = response.headers.get('retry-after');
      if (header !== null && Number(header) > 0) extensions.retryAfterSeconds = Number(header);
      throw new ApiError(first.message, typeof extensions.code === 'string' ? extensions.code : `HTTP_${response.status}`, response.status, extensions);
    }
    if (!response.ok || !body.data) throw new ApiError(`${this.options.url} answered HTTP ${response.status} without data`, `HTTP_${response.status}`, response.status);
    return body.data as R;
  }
}

/** Seconds the server asked to wait: its Retry-After, else `retryAfterSeconds`, else 1. */
function retryAfterSeconds(error: ApiError): number {
  const seconds = Number(error.extensions.retryAfterSeconds);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}
