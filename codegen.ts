import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from the SDL; parents are the Prisma rows the services return.
// Tests and the command-line client (src/cli) get typed documents: every `graphql(`...`)` in test/ becomes a TypedDocumentNode whose
// result and variables types are those of its operation, with scalars as they travel in JSON.
/** Types as resolvers and services see them (DateTime as a Date). */
const serverTypes = {
  useTypeImports: true,
  enumsAsTypes: true,
  avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
  maybeValue: 'T | null',
  inputMaybeValue: 'T | null | undefined',
  scalars: {
    DateTime: 'Date',
    Date: 'string',
    JSONObject: 'Record<string, unknown>',
  },
};

const config: CodegenConfig = {
  // The assembled SDL (`npm run schema`, kept current by a test): module SDL with @connection expanded.
  schema: 'schema.graphql',
  // Only graphql(`...`) calls are documents: tests also send deliberately broken strings with gql().
  pluckConfig: { globalGqlIdentifierName: 'graphql', gqlMagicComment: 'graphql' },
  // A test document that no longer validates must not stop the resolver types (and so `npm ci`):
  // its output is skipped with the error printed, and the typecheck of test/ fails instead.
  allowPartialOutputs: true,
  generates: {
    'test/generated/': {
      preset: 'client',
      documents: ['test/**/*.ts', '!test/generated/**'],
      presetConfig: { gqlTagName: 'graphql', fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: true,
        // List variables as lists only, so that object literals in them keep their enum values' types.
        arrayInputCoercion: false,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
        strictScalars: true,
        scalars: {
          ID: 'string',
          DateTime: 'string',
          Date: 'string',
          JSONObject: 'Record<string, unknown>',
        },
      },
    },
    // The command-line client's documents (src/cli/documents.ts), typed as they travel in JSON;
    // enums as constant objects, so the client checks enum values against the schema's own lists.
    'src/cli/generated/': {
      preset: 'client',
      documents: ['src/cli/**/*.ts', '!src/cli/generated/**'],
      presetConfig: { gqlTagName: 'graphql', fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumType: 'const',
        skipTypename: true,
        arrayInputCoercion: false,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
        strictScalars: true,
        scalars: {
          ID: 'string',
          DateTime: 'string',
          Date: 'string',
          JSONObject: 'Record<string, unknown>',
        },
      },
    },
    // The schema's input and enum types alone, for services (they must not import the resolver
    // types, which import the request context and so the whole composition root).
    'src/generated/schema-types.ts': {
      plugins: ['typescript'],
      config: serverTypes,
    },
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        ...serverTypes,
        useIndexSignature: true,
        contextType: '../app/context.ts#GraphQLContext',
        mappers: {
          User: '../app/mappers.ts#UserModel',
          Product: '../app/mappers.ts#ProductModel',
          Interaction: '../app/mappers.ts#InteractionModel',
          Feedback: '../app/mappers.ts#FeedbackModel',
          Campaign: '../app/mappers.ts#CampaignModel',
          CampaignDailyMetric: '../app/mappers.ts#CampaignMetricModel',
          ModelVersion: '../app/mappers.ts#ModelVersionModel',
          TrainingJob: '../app/mappers.ts#TrainingJobModel',
          UserConnection: '../app/mappers.ts#ConnectionModel<UserModel>',
          ProductConnection: '../app/mappers.ts#ConnectionModel<ProductModel>',
          InteractionConnection: '../app/mappers.ts#ConnectionModel<InteractionModel>',
          FeedbackConnection: '../app/mappers.ts#ConnectionModel<FeedbackModel>',
          CampaignConnection: '../app/mappers.ts#ConnectionModel<CampaignModel>',
          UserEdge: '../app/mappers.ts#EdgeModel<UserModel>',
          ProductEdge: '../app/mappers.ts#EdgeModel<ProductModel>',
          InteractionEdge: '../app/mappers.ts#EdgeModel<InteractionModel>',
          FeedbackEdge: '../app/mappers.ts#EdgeModel<FeedbackModel>',
          CampaignEdge: '../app/mappers.ts#EdgeModel<CampaignModel>',
          ApiKey: '../app/mappers.ts#ApiKeyModel',
          AuditEntry: '../app/mappers.ts#AuditEntryModel',
          AuditEntryConnection: '../app/mappers.ts#ConnectionModel<AuditEntryModel>',
          AuditEntryEdge: '../app/mappers.ts#EdgeModel<AuditEntryModel>',
          ConsentChange: '../app/mappers.ts#ConsentChangeModel',
          ErasureResult: '../app/mappers.ts#ErasureResultModel',
        },
      },
    },
  },
};

export default config;
