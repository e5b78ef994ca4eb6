/**
 * OpenTelemetry traces (HTTP, GraphQL, SQL), exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; without it no @opentelemetry module is loaded at all.
 *
 * Imported first by each entry (src/main.ts, src/worker.ts), so that it runs before pg,
 * express and graphql are loaded. Instrumentations patch modules as they are `require`d; the
 * app imports these CommonJS packages from ESM, which bypasses that hook, so they are required
 * here once, right after the hooks are on: later imports get the same, patched, module objects.
 * Everything here is synchronous on purpose: a top-level await would let sibling imports of the
 * entry run first.
 */
import { createRequire } from 'node:module';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { tracingConfig } from '../config.ts';
import { API_VERSION } from '../version.ts';

const require = createRequire(import.meta.url);

/** Health checks and scrapes are frequent and say nothing about a request: never traced. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

let provider: NodeTracerProvider | null = null;

function startTracing(serviceName: string): NodeTracerProvider {
  const { NodeTracerProvider: Provider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  // Reads OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), _TRACES_ENDPOINT, _HEADERS and _TIMEOUT itself.
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');

  const tracerProvider = new Provider({
    // OTEL_RESOURCE_ATTRIBUTES wins over the defaults, as the specification says.
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': API_VERSION }).merge(detectResources({ detectors: [envDetector] })),
    // Batches (OTEL_BSP_* tune them): exporting never runs on a request's path.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  tracerProvider.register();
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]) }),
      new ExpressInstrumentation(),
      // One span per operation phase and per non-trivial resolver; list items merged.
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      // Only SQL inside a traced operation: the job queue's polling would otherwise be a trace each.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  for (const name of ['http', 'express', 'graphql', 'pg']) require(name);
  return tracerProvider;
}

const settings = tracingConfig();
if (settings) provider = startTracing(settings.serviceName);

/** Whether this process exports traces (OTEL_EXPORTER_OTLP_ENDPOINT was set when it started). */
export function tracingActive(): boolean {
  return provider !== null;
}

/** Exports the spans still buffered; called by the shutdown sequence before the process exits. */
export async function flushTracing(): Promise<void> {
  await provider?.shutdown();
}
