import type { Resolvers } from '../../generated/graphql.ts';
import { optionalLocalId, refArgs } from '../common/references.ts';
import { parseTaskName } from '../common/task-name.ts';

export const analyticsResolvers: Resolvers = {
  Query: {
    campaignStats: (_parent, args, { services }) =>
      services.analytics.campaignStats({
        campaign: refArgs('Campaign', { id: args.campaignId, externalId: args.campaignExternalId }, ['campaignId', 'campaignExternalId']),
        from: args.from,
        to: args.to,
        granularity: args.granularity,
        attributionWindowDays: args.attributionWindowDays,
      }),
    campaignLeaderboard: (_parent, args, { services }) => services.analytics.campaignLeaderboard(args),
    feedbackInsights: (_parent, args, { services }) =>
      services.analytics.feedbackInsights({
        ...args,
        productId: optionalLocalId('Product', args.productId, 'productId'),
        campaignId: optionalLocalId('Campaign', args.campaignId, 'campaignId'),
      }),
    productFeatureReport: (_parent, args, { services }) => services.analytics.productFeatureReport(args),
  },
  Product: {
    productSentiment: (product, { task }, { loaders }) => loaders.sentimentByProductId.load({ parentId: product.id, task: parseTaskName(task) }),
  },
  Campaign: {
    sentimentSummary: (campaign, { task }, { loaders }) => loaders.sentimentByCampaignId.load({ parentId: campaign.id, task: parseTaskName(task) }),
  },
};
