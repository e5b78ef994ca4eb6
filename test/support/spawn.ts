import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TEST_ADMIN_API_KEY, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY, TEST_TRAINING_MAX_QUEUED_PER_KEY } from './server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRIES = { main: 'src/main.ts', worker: 'src/worker.ts' } as const;

export interface SpawnOptions {
  /** `main`: the API server of `npm start`; `worker`: the job worker of `npm run worker`. */
  entry: keyof typeof ENTRIES;
  /** On top of the test defaults (NODE_ENV=test, the test keys, LOG_LEVEL=info, and for main PORT/HOST). */
  env?: Record<string, string>;
  /**
   * When the service counts as started: an HTTP path of the service answering 2xx (default for
   * main: `/readyz`), a text in its output, or `false` not to wait (default for worker).
   */
  ready?: { path: string } | { output: string | RegExp } | false;
  /** How long to wait for readiness before the process group is killed; default 60 s. */
  readyTimeoutMs?: number;
  /** Prefixes every output chunk, e.g. `[worker-1] `, when several processes share a log. */
  label?: string;
  /** Receives every output chunk too (for a log shared by several processes). */
  onOutput?: (chunk: string) => void;
}

export interface SpawnedService {
  pid: number;
  /** `http://127.0.0.1:<port>` of a main process (empty for a worker). */
  url: string;
  /** `<url>/graphql`. */
  graphqlUrl: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves once this text appears in the output (polls; throws with the output after the timeout). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** True until the process has exited. */
  running(): boolean;
  /** Resolves with the exit code (null when ended by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Sends the signal (default SIGTERM) to the process and waits for its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL to the whole process group (children included) if still running; waits for the exit. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const matches = (output: string, text: string | RegExp) => (typeof text === 'string' ? output.includes(text) : text.test(output));

/**
 * Starts `src/main.ts` or `src/worker.ts` as a child process (own process group, output
 * collected) and waits until it is ready. Stop it in afterAll with `kill()` (a no-op once exited).
 */
export async function spawnService(options: SpawnOptions): Promise<SpawnedService> {
  const port = options.entry === 'main' ? await freePort() : null;
  const url = port === null ? '' : `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRIES[options.entry]], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      DATA_HASH_KEY: TEST_DATA_HASH_KEY,
      TRAINING_MAX_QUEUED_PER_KEY: TEST_TRAINING_MAX_QUEUED_PER_KEY,
      ...(port === null ? {} : { PORT: String(port), HOST: '127.0.0.1', SEED_DEMO_DATA: 'false' }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own, so that kill() also reaches the processes it forks (cluster workers).
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = `${options.label ?? ''}${chunk.toString()}`;
    output += text;
    options.onOutput?.(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      resolve(code);
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const service: SpawnedService = {
    pid: child.pid!,
    url,
    graphqlUrl: url && `${url}/graphql`,
    output: () => output,
    running: () => !done,
    exited,
    async waitForOutput(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!matches(output, text)) {
        if (Date.now() > deadline) throw new Error(`no ${String(text)} in the output after ${timeoutMs} ms:\n${output}`);
        await sleep(100);
      }
    },
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
    async kill() {
      if (done) return;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };

  const ready = options.ready ?? (options.entry === 'main' ? { path: '/readyz' } : false);
  if (!ready) return service;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const isReady = async () =>
    'output' in ready
      ? matches(output, ready.output)
      : fetch(`${url}${ready.path}`).then(
          (response) => response.ok,
          () => false,
        );
  for (;;) {
    if (await isReady()) return service;
    const failed = done ? 'exited' : Date.now() > deadline ? 'did not get ready' : null;
    if (failed) {
      await service.kill();
      const error = await Promise.race([spawnError, sleep(0).then(() => null)]);
      throw new Error(`${ENTRIES[options.entry]} ${failed}${error ? ` (${error.message})` : ''}:\n${output}`);
    }
    await sleep(200);
  }
}
