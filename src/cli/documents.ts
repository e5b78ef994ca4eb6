/**
 * The client's GraphQL operations. `npm run codegen` types each one (result and variables) from
 * schema.graphql into src/cli/generated/, so a field the API does not have fails the typecheck.
 */
import { graphql } from './generated/gql.ts';

export const SERVICE_INFO = graphql(`
  query CliServiceInfo {
    serviceInfo {
      version
      maxBatchSize
      maxPageSize
      ratingScale { min max step }
    }
  }
`);

export const UPSERT_USERS = graphql(`
  mutation CliUpsertUsers($input: [UserInput!]!) {
    result: upsertUsers(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);

export const UPSERT_PRODUCTS = graphql(`
  mutation CliUpsertProducts($input: [ProductInput!]!) {
    result: upsertProducts(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);

export const RECORD_INTERACTIONS = graphql(`
  mutation CliRecordInteractions($input: [InteractionInput!]!) {
    result: recordInteractions(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);

export const SUBMIT_FEEDBACK = graphql(`
  mutation CliSubmitFeedback($input: [FeedbackInput!]!) {
    result: submitFeedback(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);

export const RECORD_CAMPAIGN_METRICS = graphql(`
  mutation CliRecordCampaignMetrics($input: [CampaignMetricInput!]!) {
    result: recordCampaignMetrics(input: $input) { created updated unchanged failed errors { index externalId code message field } }
  }
`);

export const PRODUCT_FEATURE_REPORT = graphql(`
  query CliProductFeatureReport {
    productFeatureReport {
      products
      features { name kind present missing missingRate imputation median mostFrequent }
    }
  }
`);

export const FEEDBACK_PREDICTIONS = graphql(`
  query CliFeedbackPredictions($first: Int!, $after: String, $task: String!) {
    feedback(first: $first, after: $after, filter: { predictedLabel: { task: $task } }) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          externalId
          user { externalId }
          product { externalId }
          campaign { externalId }
          predictions { task label confidence modelVersionId createdAt }
        }
      }
    }
  }
`);

export const MODEL_VERSION = graphql(`
  query CliModelVersion($id: ID!) {
    model(id: $id) { version }
  }
`);

export const CONSENTING_USERS = graphql(`
  query CliConsentingUsers($first: Int!, $after: String) {
    users(first: $first, after: $after, filter: { marketingConsent: true }) {
      pageInfo { hasNextPage endCursor }
      edges { node { externalId email name } }
    }
  }
`);

export const USER_RECOMMENDATIONS = graphql(`
  query CliUserRecommendations($userExternalId: String!, $limit: Int!) {
    recommendations(userExternalId: $userExternalId, limit: $limit) {
      fallback
      items { score product { externalId name } reason { text } }
    }
  }
`);

export const CAMPAIGN_AUDIENCE = graphql(`
  query CliCampaignAudience($campaignExternalId: String!, $limit: Int!) {
    campaignAudience(campaignExternalId: $campaignExternalId, limit: $limit) {
      score
      reason
      user { externalId email name marketingConsent }
    }
  }
`);
