import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { loadConfig } from '../src/config.ts';
import { PostgresRateLimiter } from '../src/http/rate-limit.ts';
import pino from 'pino';
const url = process.env.PROBE_URL ?? (await (async () => { const e = await startEmbeddedPostgres({ port: 0 }); await applyMigrations(e.url); return e.url; })());
const limiter = new PostgresRateLimiter(loadConfig({ RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_STORE_TIMEOUT_MS: '10000' }), url, pino());
const viewer = { keyId: 'probe', keyName: 'p', role: 'INTEGRATION' as const };
for (let i = 0; i < 200; i++) await limiter.consume(viewer);
const n = 3000; const times: number[] = [];
const cpu0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < n; i++) { const s = performance.now(); const d = await limiter.consume(viewer); if (!d.allowed) throw new Error('refused'); times.push(performance.now() - s); }
const wall = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
console.log(JSON.stringify({ url: url.replace(/\/\/.*@/, '//'), n, meanMs: +(wall / n).toFixed(3), p50: +times[n / 2 | 0]!.toFixed(3), p95: +times[n * 0.95 | 0]!.toFixed(3), p99: +times[n * 0.99 | 0]!.toFixed(3), clientCpuUsPerCall: +((cpu.user + cpu.system) / n).toFixed(1) }));
await limiter.close(); process.exit(0);
