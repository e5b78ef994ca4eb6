import type { Resolvers } from '../../generated/graphql.ts';
import { userInputError } from '../../graphql/errors.ts';
import { localIdOf } from '../../graphql/global-id.ts';
import { assertTask } from './analytics.service.ts';

export const analyticsResolvers: Resolvers = {
  Query: {
    campaignStats: (_parent, args, { services }) => {
      const given = [args.campaignId, args.campaignExternalId].filter((value) => value !== undefined && value !== null).length;
      if (given !== 1) throw userInputError('Give exactly one of campaignId or campaignExternalId.', { argument: 'campaignId' });
      return services.analytics.campaignStats({
        campaign: { id: args.campaignId ? localIdOf('Campaign', args.campaignId, 'campaignId') : null, externalId: args.campaignExternalId },
        from: args.from,
        to: args.to,
        granularity: args.granularity,
        attributionWindowDays: args.attributionWindowDays,
      });
    },
    campaignLeaderboard: (_parent, args, { services }) => services.analytics.campaignLeaderboard(args),
    feedbackInsights: (_parent, args, { services }) =>
      services.analytics.feedbackInsights({
        ...args,
        productId: args.productId ? localIdOf('Product', args.productId, 'productId') : null,
        campaignId: args.campaignId ? localIdOf('Campaign', args.campaignId, 'campaignId') : null,
      }),
    productFeatureReport: (_parent, args, { services }) => services.analytics.productFeatureReport(args),
  },
  Product: {
    productSentiment: (product, { task }, { loaders }) =>
      loaders.sentimentByProductId.load({ parentId: product.id, task: assertTask(task ?? 'sentiment') }),
  },
  Campaign: {
    sentimentSummary: (campaign, { task }, { loaders }) =>
      loaders.sentimentByCampaignId.load({ parentId: campaign.id, task: assertTask(task ?? 'sentiment') }),
  },
};
