// Writes schema.graphql at the repository root: the whole API as one SDL document, for
// reviewers, Studio uploads and clients' codegen. A test fails when it is stale.
import fs from 'node:fs';
import { printSchemaSdl } from '../src/app/sdl.ts';

fs.writeFileSync(new URL('../schema.graphql', import.meta.url), printSchemaSdl());
console.log('schema.graphql written');
