import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.ts';

// What docker-compose.yml and the Dockerfile promise, read from the files (no Docker engine runs
// here; CI also resolves the compose file with `docker-compose config`, and runs the image's
// install and command by hand in .ci/image-rehearsal.sh).
const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  build?: unknown;
  image?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  ports?: string[];
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const { api, worker } = compose.services as { api: ComposeService; worker: ComposeService };
const seconds = (duration: string | undefined) => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? '');
  return match ? Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0) : 0;
};
/** The value a `${NAME:-default}` interpolation gives when NAME is not set. */
const unsetValue = (value: string | undefined) => (value ?? '').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('builds one image that the api and worker services both run', () => {
    expect(api.build).toBeDefined();
    expect(api.image).toBeTruthy();
    expect(worker.build).toBeUndefined();
    expect(worker.image).toBe(api.image);
  });

  it('runs the API enqueue-only and training in the worker', () => {
    expect(api.environment?.WORKER_MODE).toBe('off');
    expect(worker.command).toEqual(['node', '--import', 'tsx', 'src/worker.ts']);
  });

  it('gives the worker a healthcheck of its own (it serves no HTTP)', () => {
    const test = (worker.healthcheck?.test ?? []).join(' ');
    expect(test).toContain('src/health/check-liveness.ts');
    expect(test).not.toMatch(/readyz|fetch|http/);
    expect(worker.environment?.LIVENESS_FILE).toBeTruthy();
  });

  it('gives each service longer to stop than its own shutdown may take', () => {
    for (const service of [api, worker]) {
      const shutdown = Number(service.environment?.SHUTDOWN_TIMEOUT_SECONDS ?? loadConfig({}).SHUTDOWN_TIMEOUT_SECONDS);
      expect(seconds(service.stop_grace_period)).toBeGreaterThan(shutdown);
      expect(service.init, 'an init reaps what node forks and passes signals on').toBe(true);
    }
  });

  it('seeds no demo data and keeps /metrics closed unless asked', () => {
    expect(unsetValue(api.environment?.SEED_DEMO_DATA)).toBe('false');
    expect(api.environment?.NODE_ENV).toBe('production');
    // In production /metrics answers 404 until METRICS_TOKEN is set (test/hardening covers the handler).
    expect(unsetValue(api.environment?.METRICS_TOKEN)).toBe('');
  });

  it('passes only variables the configuration reads', () => {
    for (const service of [api, worker]) {
      expect(Object.keys(service.environment ?? {}).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    }
  });
});

describe('Dockerfile', () => {
  const stages = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'))
    .reduce<string[][]>((all, line) => {
      if (/^FROM /i.test(line)) all.push([]);
      all.at(-1)?.push(line.trim());
      return all;
    }, []);
  const runtime = stages.at(-1) ?? [];
  const index = (stage: string[], pattern: RegExp) => stage.findIndex((line) => pattern.test(line));

  it('builds in one stage and runs from another, with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const install = runtime.find((line) => /npm ci/.test(line)) ?? '';
    expect(install).toContain('--omit=dev');
    expect(install).toContain('--ignore-scripts');
    expect(runtime.some((line) => /^COPY --from=build .*src\/generated/.test(line))).toBe(true);
  });

  it('copies the dependency manifest before the sources in every stage (layer cache)', () => {
    for (const stage of stages) {
      expect(index(stage, /^COPY package\.json package-lock\.json/)).toBeGreaterThan(0);
      expect(index(stage, /^COPY package\.json/)).toBeLessThan(index(stage, /^COPY src /));
      expect(index(stage, /^RUN npm ci/)).toBeLessThan(index(stage, /^COPY src /));
    }
  });

  it('runs as a non-root user with node as PID 1 and checks HTTP health of the default command', () => {
    expect(runtime.find((line) => /^USER /.test(line))).toMatch(/^USER (?!root\b|0\b)\S+/);
    expect(runtime.find((line) => /^CMD /.test(line))).toBe('CMD ["node", "--import", "tsx", "src/main.ts"]');
    expect(runtime.find((line) => /^HEALTHCHECK /.test(line))).toContain('/readyz');
  });

  it('keeps secrets, dependencies and generated files out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['**/node_modules', '.git', '.env', 'src/generated', '.data']) expect(ignored).toContain(entry);
  });
});
