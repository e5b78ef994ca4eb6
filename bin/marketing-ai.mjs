#!/usr/bin/env node
// The `marketing-ai` command of the package. The client is TypeScript run by tsx (a dependency,
// as for `npm start`), registered here so the bin works with plain `node`, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');
