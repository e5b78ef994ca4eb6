import type { Resolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../graphql/global-id.ts';
import { limitedKey } from '../common/loaders.ts';
import { refArgs } from '../common/references.ts';
import { listPageSize } from '../../graphql/pagination.ts';
import { seesPersonalData } from '../../privacy/masking.ts';

export const feedbackResolvers: Resolvers = {
  Query: {
    feedback: (_parent, args, { services, viewer }) => services.feedback.listFeedback(args, { maskedText: !seesPersonalData(viewer.role) }),
    feedbackItem: (_parent, args, { services }) => services.feedback.findFeedback(refArgs('Feedback', args)),
  },
  Mutation: {
    submitFeedback: (_parent, { input }, { services }) => services.feedback.submitFeedback(input),
    labelFeedback: (_parent, { input }, { services }) => services.feedback.labelFeedback(input),
  },
  Feedback: {
    id: (row) => toGlobalId('Feedback', row.id),
    user: (row, _args, { loaders }) => (row.userId ? loaders.userById.load(row.userId) : null),
    product: (row, _args, { loaders }) => (row.productId ? loaders.productById.load(row.productId) : null),
    campaign: (row, _args, { loaders }) => (row.campaignId ? loaders.campaignById.load(row.campaignId) : null),
    labels: (row, _args, { loaders }) => loaders.feedbackLabelsByFeedbackId.load(row.id),
    predictions: async (row, _args, { loaders }) =>
      (await loaders.feedbackPredictionsByFeedbackId.load(row.id)).map((prediction) => ({
        task: prediction.task,
        label: prediction.label,
        confidence: prediction.confidence,
        scores: labelScores(prediction.scores),
        modelVersionId: toGlobalId('ModelVersion', prediction.modelVersionId),
        createdAt: prediction.createdAt,
      })),
  },
  User: {
    feedback: (user, { first }, { services, loaders }, info) => loaders.feedbackByUser.load(limitedKey(user.id, listPageSize(first, services.limits.maxPageSize, info))),
  },
  Product: {
    feedback: (product, { first }, { services, loaders }, info) => loaders.feedbackByProduct.load(limitedKey(product.id, listPageSize(first, services.limits.maxPageSize, info))),
  },
  Campaign: {
    feedback: (campaign, { first }, { services, loaders }, info) =>
      loaders.feedbackByCampaign.load(limitedKey(campaign.id, listPageSize(first, services.limits.maxPageSize, info))),
  },
};

/** Stored scores are `[{label, score}]` (or, from older writers, `{label: score}`); highest first. */
function labelScores(stored: unknown): { label: string; score: number }[] {
  const list = Array.isArray(stored)
    ? stored.filter((entry): entry is { label: string; score: number } => !!entry && typeof entry.label === 'string' && typeof entry.score === 'number')
    : stored && typeof stored === 'object'
      ? Object.entries(stored as Record<string, unknown>)
          .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
          .map(([label, score]) => ({ label, score }))
      : [];
  return list.map(({ label, score }) => ({ label, score })).sort((a, b) => b.score - a.score);
}
