import type { Db, StatementCounter } from '../db/prisma.ts';
import type { Viewer } from '../modules/access/viewer.ts';
import type { Services } from './services.ts';
import type { Loaders } from './loaders.ts';

export interface GraphQLContext {
  db: Db;
  services: Services;
  loaders: Loaders;
  viewer: Viewer;
  requestId: string;
  statements: StatementCounter;
}
