/**
 * The house rules of src/, checked by `npm run lint:deps` and test/architecture.test.ts.
 * Type-only imports count (tsPreCompilationDeps): a cycle of types is still a cycle.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'No import cycle in src/, type-only imports included.', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'ml-core-stands-alone',
      comment: 'The ML core (src/ml) is plain TypeScript: it imports nothing else of src/.',
      severity: 'error',
      from: { path: '^src/ml/' },
      to: { path: '^src/', pathNot: '^src/ml/' },
    },
    {
      name: 'graphql-is-a-library',
      comment: 'src/graphql holds what every module uses (errors, IDs, pagination, arguments); it knows no module and no composition.',
      severity: 'error',
      from: { path: '^src/graphql/' },
      to: { path: '^src/', pathNot: ['^src/graphql/', '^src/version\\.ts$'] },
    },
    {
      name: 'cli-is-an-api-client',
      comment: 'The command-line client (src/cli) speaks GraphQL over HTTP: besides itself it may use only pure rules shared with the server.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/',
        pathNot: ['^src/cli/', '^src/ml/recommender/ratings\\.ts$', '^src/modules/interactions/interaction-values\\.ts$', '^src/modules/common/task-name\\.ts$'],
      },
    },
    {
      name: 'modules-do-not-compose',
      comment: 'Modules are composed by src/app; they may use the request context type, not the assembly.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: '^src/app/', pathNot: '^src/app/context\\.ts$' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/prisma/' },
  },
};
