import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_ADMIN_API_KEY } from '../support/server.ts';
import { spawnService, type SpawnedService } from '../support/spawn.ts';

// The real server with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver of
// this test: one GraphQL request must arrive as one trace with HTTP, GraphQL and SQL spans.
// And without the variable, no @opentelemetry module may be loaded at all.

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  scope: string;
  attributes: Record<string, unknown>;
}
type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
interface OtlpTraces {
  resourceSpans: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans: { scope?: { name: string }; spans: { traceId: string; spanId: string; name: string; kind: number; attributes?: { key: string; value: OtlpValue }[] }[] }[];
  }[];
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

let database: TestDatabase;
let server: SpawnedService;
let receiver: http.Server;
let endpoint: string;
const spans: ReceivedSpan[] = [];
const resources: Record<string, unknown>[] = [];
const contentTypes: string[] = [];

const attributesOf = (list: { key: string; value: OtlpValue }[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue]));

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type']));
      const traces = JSON.parse(body) as OtlpTraces;
      for (const resourceSpans of traces.resourceSpans) {
        resources.push(attributesOf(resourceSpans.resource?.attributes));
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              name: span.name,
              kind: span.kind,
              scope: scopeSpans.scope?.name ?? '',
              attributes: attributesOf(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  database = await createTestDatabase();
  server = await spawnService({
    entry: 'main',
    env: {
      DATABASE_URL: database.url,
      WORKER_MODE: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: 'marketing-ai-test',
      // Export within a fraction of a second instead of the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await database?.destroy();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; received spans: ${JSON.stringify(spans.map((s) => `${s.scope} ${s.name}`))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('OpenTelemetry traces', () => {
  it('exports one trace per GraphQL request with its HTTP, GraphQL and SQL spans', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_ADMIN_API_KEY },
      body: JSON.stringify({ query: 'query TracedCampaigns { campaigns(first: 2) { totalCount } }', operationName: 'TracedCampaigns' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { campaigns: { totalCount: number } } };
    expect(body.data?.campaigns.totalCount).toBe(0);

    const httpSpan = await waitFor('HTTP server span', () =>
      spans.find(
        (span) =>
          span.scope === '@opentelemetry/instrumentation-http' &&
          span.kind === 2 &&
          String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '').startsWith('/graphql'),
      ),
    );
    const trace = (scope: string, test: (span: ReceivedSpan) => boolean = () => true) =>
      spans.find((span) => span.traceId === httpSpan.traceId && span.scope === scope && test(span));
    const graphqlSpan = await waitFor('GraphQL span in the same trace', () => trace('@opentelemetry/instrumentation-graphql', (span) => span.name.includes('TracedCampaigns')));
    const sqlSpan = await waitFor('SQL span in the same trace', () =>
      trace('@opentelemetry/instrumentation-pg', (span) => /campaigns/i.test(String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? ''))),
    );

    expect(graphqlSpan.traceId).toBe(httpSpan.traceId);
    expect(sqlSpan.traceId).toBe(httpSpan.traceId);
    expect(httpSpan.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(resources.some((resource) => resource['service.name'] === 'marketing-ai-test')).toBe(true);
    expect(contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
    // Health checks are never traced.
    await fetch(`${server.url}/readyz`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(spans.filter((span) => String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '').startsWith('/readyz'))).toEqual([]);
  });

  // The module graph of a server process, loaded in a child, then its CommonJS module cache
  // (the tracing module loads the SDK with require): no SDK, exporter or instrumentation module
  // without an endpoint. @opentelemetry/api is the no-op facade prom-client loads in any case.
  const probe = `
    await import('./src/tracing/tracing.ts');
    await import('./src/server.ts');
    const { createRequire } = await import('node:module');
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('/@opentelemetry/') && !file.includes('/@opentelemetry/api/'));
    const { tracingActive } = await import('./src/tracing/tracing.ts');
    console.log(JSON.stringify({ active: tracingActive(), loaded: loaded.length }));
  `;
  const loadedModules = async (env: Record<string, string | undefined>) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: ROOT, env: { ...process.env, ...env } });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { active: boolean; loaded: number };
  };

  it('loads no OpenTelemetry SDK module when OTEL_EXPORTER_OTLP_ENDPOINT is unset or empty', async () => {
    expect(await loadedModules({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined })).toEqual({ active: false, loaded: 0 });
    expect(await loadedModules({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual({ active: false, loaded: 0 });
    // The same probe sees the SDK when the endpoint is set.
    const traced = await loadedModules({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(traced.active).toBe(true);
    expect(traced.loaded).toBeGreaterThan(10);
  }, 180_000);
});
