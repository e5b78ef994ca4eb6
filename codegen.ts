import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from the SDL; parents are the Prisma rows the services return.
// Tests get typed documents: every `graphql(`...`)` in test/ becomes a TypedDocumentNode whose
// result and variables types are those of its operation, with scalars as they travel in JSON.
const config: CodegenConfig = {
  schema: ['src/graphql/*.graphql', 'src/modules/*/*.graphql'],
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
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useIndexSignature: true,
        contextType: '../graphql/context.ts#GraphQLContext',
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
        mappers: {
          User: '../graphql/mappers.ts#UserModel',
          Product: '../graphql/mappers.ts#ProductModel',
          Interaction: '../graphql/mappers.ts#InteractionModel',
          Feedback: '../graphql/mappers.ts#FeedbackModel',
          Campaign: '../graphql/mappers.ts#CampaignModel',
          CampaignDailyMetric: '../graphql/mappers.ts#CampaignMetricModel',
          ModelVersion: '../graphql/mappers.ts#ModelVersionModel',
          TrainingJob: '../graphql/mappers.ts#TrainingJobModel',
          UserConnection: '../graphql/mappers.ts#ConnectionModel<UserModel>',
          ProductConnection: '../graphql/mappers.ts#ConnectionModel<ProductModel>',
          InteractionConnection: '../graphql/mappers.ts#ConnectionModel<InteractionModel>',
          FeedbackConnection: '../graphql/mappers.ts#ConnectionModel<FeedbackModel>',
          CampaignConnection: '../graphql/mappers.ts#ConnectionModel<CampaignModel>',
          UserEdge: '../graphql/mappers.ts#EdgeModel<UserModel>',
          ProductEdge: '../graphql/mappers.ts#EdgeModel<ProductModel>',
          InteractionEdge: '../graphql/mappers.ts#EdgeModel<InteractionModel>',
          FeedbackEdge: '../graphql/mappers.ts#EdgeModel<FeedbackModel>',
          CampaignEdge: '../graphql/mappers.ts#EdgeModel<CampaignModel>',
          ApiKey: '../graphql/mappers.ts#ApiKeyModel',
          AuditEntry: '../graphql/mappers.ts#AuditEntryModel',
          AuditEntryConnection: '../graphql/mappers.ts#ConnectionModel<AuditEntryModel>',
          AuditEntryEdge: '../graphql/mappers.ts#EdgeModel<AuditEntryModel>',
          ConsentChange: '../graphql/mappers.ts#ConsentChangeModel',
          ErasureResult: '../graphql/mappers.ts#ErasureResultModel',
        },
      },
    },
  },
};

export default config;
