import cors from 'cors';
import type express from 'express';
import type { Config } from '../config.ts';

/**
 * CORS for /graphql: CORS_ORIGINS is `*` or a comma-separated list of origins. Unset: `*`
 * outside production, no cross-origin browser access in production.
 */
export function corsMiddleware(config: Pick<Config, 'CORS_ORIGINS' | 'NODE_ENV'>): express.RequestHandler {
  const raw = config.CORS_ORIGINS?.trim() ?? (config.NODE_ENV === 'production' ? '' : '*');
  if (raw === '*') return cors();
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter(Boolean);
  return cors({ origin: origins.length ? origins : false, maxAge: 600 });
}
