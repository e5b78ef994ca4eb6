// The README's example operations (and the dashboard of test/e2e/demo-dashboard.test.ts): the
// default query limits must let every one of them through.
export const README_QUERIES: Record<string, string> = {
  campaigns: `query Campaigns($after: String) {
  campaigns(first: 5, after: $after, filter: { statuses: [COMPLETED, ACTIVE] }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        name channel status startsAt endsAt
        totals { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
        products { name category price }
        feedback(first: 3) { text language rating predictions { task label confidence } }
      }
    }
  }
}`,
  dashboard: `query Campaigns($first: Int, $after: String) {
  campaigns(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        name channel status startsAt endsAt
        totals { impressions clicks conversions spend revenue ctr conversionRate costPerAcquisition roas }
        products { name category price }
        feedback(first: 5) { text language rating labels { task label } predictions { task label confidence } }
      }
    }
  }
}`,
  upserts: `mutation {
  upsertUsers(input: [{ externalId: "crm-42", email: "li.wei@example.com", name: "Li Wei", marketingConsent: true, attributes: { city: "Shanghai" } }]) {
    created updated unchanged failed errors { index code message field }
  }
  recordInteractions(input: [{ userExternalId: "crm-42", productExternalId: "prod-00001", type: PURCHASE, value: 1, occurredAt: "2026-11-20T10:00:00Z" }]) {
    created unchanged failed errors { index code message }
  }
}`,
  job: `query Job($id: ID!) {
  trainingJob(id: $id) {
    status error activationDecision
    progress { stage epoch epochs loss validationAccuracy fraction }
    modelVersion { version active backend trainingSeconds metrics }
  }
}`,
  classify: `query {
  classify(task: "sentiment", texts: ["送货太慢了，包装也破了", "Great value for the money!"]) {
    modelVersion { version }
    results { label confidence scores { label score } explanation { token weight } }
  }
}`,
  apiKeys: `query { apiKeys { id name role prefix createdAt revokedAt lastUsedAt } }`,
  createKey: `mutation { createApiKey(name: "hubspot sync", role: INTEGRATION) { secret apiKey { id prefix } } }`,
};
