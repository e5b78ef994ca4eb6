// Entry of `npm run import` / `npm run export` and of bin/marketing-ai.mjs.
import { runProcess } from './main.ts';

await runProcess(process.argv.slice(2));
