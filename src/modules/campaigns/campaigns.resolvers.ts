import type { Resolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../graphql/global-id.ts';
import { refArgs } from '../common/references.ts';
import { assertDayRange } from '../common/days.ts';
import { limitedKey } from '../common/loaders.ts';
import { listPageSize } from '../../graphql/pagination.ts';

export const campaignsResolvers: Resolvers = {
  Query: {
    campaigns: (_parent, args, { services }) => services.campaigns.list(args),
    campaign: (_parent, args, { services }) => services.campaigns.find(refArgs('Campaign', args)),
  },
  Mutation: {
    upsertCampaigns: (_parent, { input }, { services }) => services.campaigns.upsertCampaigns(input),
    recordCampaignMetrics: (_parent, { input }, { services }) => services.campaigns.recordCampaignMetrics(input),
  },
  Campaign: {
    id: (campaign) => toGlobalId('Campaign', campaign.id),
    budget: (campaign) => (campaign.budget === null ? null : campaign.budget.toNumber()),
    products: (campaign, { first }, { services, loaders }, info) =>
      loaders.productsByCampaignId.load(limitedKey(campaign.id, listPageSize(first, services.limits.maxPageSize, info))),
    dailyMetrics: (campaign, { from, to }, { loaders }) => {
      assertDayRange(from, to);
      return loaders.metricsByCampaignId.load({ campaignId: campaign.id, from: from ?? null, to: to ?? null });
    },
    totals: (campaign, { from, to }, { loaders }) => {
      assertDayRange(from, to);
      return loaders.totalsByCampaignId.load({ campaignId: campaign.id, from: from ?? null, to: to ?? null });
    },
  },
  CampaignDailyMetric: {
    date: (metric) => metric.date.toISOString().slice(0, 10),
    spend: (metric) => metric.spend.toNumber(),
    revenue: (metric) => metric.revenue.toNumber(),
  },
};
