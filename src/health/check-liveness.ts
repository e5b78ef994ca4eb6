// Container healthcheck of the job worker (no HTTP to ask): exits 0 when the liveness file
// (LIVENESS_FILE) was rewritten within LIVENESS_MAX_AGE_SECONDS, else 1 with the reason.
//   node --import tsx src/health/check-liveness.ts [--max-age-seconds N]
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { LIVENESS_MAX_AGE_SECONDS, livenessAgeSeconds } from './liveness.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'max-age-seconds': { type: 'string' } } });
  const maxAge = values['max-age-seconds'] === undefined ? LIVENESS_MAX_AGE_SECONDS : Number(values['max-age-seconds']);
  if (!Number.isFinite(maxAge) || maxAge <= 0) {
    console.error('--max-age-seconds must be a positive number');
    return 2;
  }
  const file = loadConfig().LIVENESS_FILE;
  if (!file) {
    console.error('LIVENESS_FILE is not set: the worker writes no liveness file to check');
    return 2;
  }
  const age = await livenessAgeSeconds(file);
  if (age === null) {
    console.error(`unhealthy: ${file} does not exist (worker not started, stopped, or its database probe never succeeded)`);
    return 1;
  }
  if (age > maxAge) {
    console.error(`unhealthy: ${file} last written ${age.toFixed(0)} s ago (more than ${maxAge} s)`);
    return 1;
  }
  console.log(`healthy: ${file} written ${age.toFixed(1)} s ago`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(2);
  },
);
