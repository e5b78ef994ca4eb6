import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types come from the SDL; parents are the Prisma rows the services return.
const config: CodegenConfig = {
  schema: ['src/graphql/*.graphql', 'src/modules/*/*.graphql'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useIndexSignature: true,
        contextType: '../app/context.ts#GraphQLContext',
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
