// Entry of the training thread (training-thread.ts); the work is in training-worker.ts.
// Plain JavaScript because a worker thread cannot count on the process's TypeScript loader:
// on Node 20, tsx registers its hooks on the main thread only (an inherited `--import tsx` does
// nothing in a worker), and under vitest TypeScript is compiled by vite, not by a Node loader.
// So tsx is registered here, unless this thread already maps './x.js' to './x.ts' as the ML core
// needs (newer Node runs the inherited `--import tsx` in workers too: registering twice would
// compile every module twice).
if (!import.meta.resolve('./training-worker.js').endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./training-worker.ts');
