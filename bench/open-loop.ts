/**
 * Open-loop load over HTTP: requests are sent at a fixed arrival rate whatever the answers do, as
 * real traffic arrives, and each latency is measured from the moment the request was due (so a
 * server that falls behind is charged for the queue it builds, not hidden by a waiting client).
 */
import http from 'node:http';

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  sent: number;
  /** Answers per second actually received. */
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Non-200 answers, GraphQL errors, timeouts and connection failures. */
  errors: number;
  firstError: string | null;
}

export interface OpenLoopOptions {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  body: () => string;
  /** A request still unanswered after this long counts as an error (default 2 s). */
  timeoutMs?: number;
}

/** The quantile q of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, seconds } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const target = new URL(options.url);
  const total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let settled = 0;
  const fail = (message: string) => {
    errors++;
    firstError ??= message;
  };
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settle = () => {
    if (++settled === total) finish();
  };

  const send = (due: number) => {
    const payload = options.body();
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          const took = performance.now() - due;
          const text = Buffer.concat(chunks).toString();
          if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
          else if (text.includes('"errors"')) fail(text.slice(0, 200));
          else latencies.push(took);
          settle();
        });
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      fail(error.message);
      settle();
    });
    request.end(payload);
  };

  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && started + next * interval <= now) {
        send(started + next * interval);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, started + next * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    rate,
    seconds,
    sent: total,
    achieved: latencies.length / elapsed,
    p50: round(quantile(latencies, 0.5)),
    p95: round(quantile(latencies, 0.95)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? Number.NaN),
    errors,
    firstError,
  };
}
