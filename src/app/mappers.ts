// The objects resolvers receive as parents: Prisma rows and connection pages.
import type { ApiKey, AuditEntry, ConsentChange, Campaign, CampaignMetric, Feedback, Interaction, Product, TrainingJob, User } from '../generated/prisma/client.ts';
import type { Connection, Edge } from '../graphql/pagination.ts';
import type { ModelVersion } from '../modules/models/registry.service.ts';

export type UserModel = User;
export type ProductModel = Product;
export type InteractionModel = Interaction;
export type FeedbackModel = Feedback;
export type CampaignModel = Campaign;
export type CampaignMetricModel = CampaignMetric;
export type ModelVersionModel = ModelVersion;
export type TrainingJobModel = TrainingJob;
export type ConnectionModel<T> = Connection<T>;
export type EdgeModel<T> = Edge<T>;
export type ApiKeyModel = ApiKey;
export type AuditEntryModel = AuditEntry;
export type ConsentChangeModel = ConsentChange;
export type { ErasureResultModel } from '../modules/users/users.service.ts';
