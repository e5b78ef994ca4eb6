import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldCipherFromConfig } from '../../../src/privacy/field-crypto.ts';
import { backfillPersonalData } from '../../../src/privacy/backfill.ts';
import { startTestServer, TEST_DATA_ENCRYPTION_KEY, TEST_DATA_HASH_KEY, type TestServer } from '../../support/server.ts';
import { graphql } from '../../support/graphql.ts';

const UPSERT = graphql(`mutation PrivacyUpsert($input: [UserInput!]!) { upsertUsers(input: $input) { created updated unchanged failed errors { index code field message } } }`);
const USER = graphql(`query PrivacyUser($externalId: String) { user(externalId: $externalId) { id externalId email name attributes marketingConsent } }`);

let api: TestServer;
const keys = { analyst: '', integration: '', integrationId: '' };
beforeAll(async () => {
  api = await startTestServer();
  keys.analyst = (await api.createKey('ANALYST', 'dashboard')).secret;
  const integration = await api.createKey('INTEGRATION', 'crm sync');
  keys.integration = integration.secret;
  keys.integrationId = integration.id;
  const seeded = await api.gql(UPSERT, {
    input: [
      {
        externalId: 'crm-ann',
        email: 'Ann.Lee@Example.com',
        name: 'Ann Lee',
        marketingConsent: true,
        attributes: { city: 'Shanghai', phone: '+86 555 0100', segment: 'vip', tier: 'gold', ageBand: '25-34' },
      },
    ],
  });
  expect(seeded.data).toMatchObject({ upsertUsers: { created: 1, failed: 0 } });
});
afterAll(async () => {
  await api?.stop();
});

describe('encryption at rest', () => {
  it('stores ciphertext and a keyed hash, and returns plaintext to ADMIN', async () => {
    const { rows } = await api.database.pool.query(`SELECT * FROM users WHERE external_id = 'crm-ann'`);
    const row = rows[0];
    expect(row.email).toBeNull();
    expect(row.name).toBeNull();
    expect(row.email_ciphertext).toMatch(/^v1:test:[A-Za-z0-9_-]+$/);
    expect(row.name_ciphertext).toMatch(/^v1:test:/);
    expect(row.email_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toMatch(/ann\.lee|Ann Lee/i);
    const admin = await api.gql(USER, { externalId: 'crm-ann' });
    expect(admin.data!.user).toMatchObject({ email: 'ann.lee@example.com', name: 'Ann Lee', attributes: { city: 'Shanghai', phone: '+86 555 0100' } });
  });

  it('finds a user by email (ADMIN), case-insensitively, through the hash', async () => {
    const found = await api.gql(graphql(`query PrivacyUserByEmail { user(email: "ANN.LEE@example.com") { externalId } }`));
    expect(found.data?.user).toEqual({ externalId: 'crm-ann' });
    const search = await api.gql(graphql(`query PrivacyUsersByFilter { users(filter: { search: "ann.lee@example.com" }) { totalCount } }`));
    expect(search.data?.users.totalCount).toBe(1);
    const missing = await api.gql(graphql(`query PrivacyUserByEmail2 { user(email: "nobody@example.com") { id } }`));
    expect(missing.data?.user).toBeNull();
  });

  it('keeps emails unique through the hash, and re-sent values unchanged', async () => {
    const clash = await api.gql(UPSERT, {
      input: [{ externalId: 'crm-other', email: 'ann.lee@EXAMPLE.com' }],
    });
    expect(clash.data!.upsertUsers.failed).toBe(1);
    expect(clash.data!.upsertUsers.errors[0]).toMatchObject({ code: 'CONFLICT', field: 'email' });
    const same = await api.gql(UPSERT, { input: [{ externalId: 'crm-ann', email: 'ann.lee@example.com', name: 'Ann Lee' }] });
    expect(same.data).toMatchObject({ upsertUsers: { unchanged: 1, updated: 0 } });
  });

  it('encrypts legacy plaintext rows at start-up (backfill), idempotently, and re-encrypts on key rotation', async () => {
    await api.database.pool.query(
      `INSERT INTO users (id, external_id, email, name, attributes, updated_at) VALUES (gen_random_uuid(), 'legacy-1', 'Old.Row@example.com', 'Old Row', '{}', now())`,
    );
    const cipher = fieldCipherFromConfig({ DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, DATA_HASH_KEY: TEST_DATA_HASH_KEY });
    expect(await backfillPersonalData(api.database.prisma, cipher)).toBe(1);
    expect(await backfillPersonalData(api.database.prisma, cipher)).toBe(0);
    const { rows } = await api.database.pool.query(`SELECT email, name, email_ciphertext, email_hash FROM users WHERE external_id = 'legacy-1'`);
    expect(rows[0]).toMatchObject({ email: null, name: null, email_ciphertext: expect.stringMatching(/^v1:test:/), email_hash: expect.any(String) });
    const byEmail = await api.gql(graphql(`query PrivacyUserByEmail3 { user(email: "old.row@example.com") { externalId email name } }`));
    expect(byEmail.data?.user).toEqual({ externalId: 'legacy-1', email: 'old.row@example.com', name: 'Old Row' });

    // Rotation: a new current key re-encrypts every row; the old key still decrypts meanwhile.
    const rotated = fieldCipherFromConfig({
      DATA_ENCRYPTION_KEY: `next:${Buffer.alloc(32, 3).toString('hex')},${TEST_DATA_ENCRYPTION_KEY}`,
      DATA_HASH_KEY: TEST_DATA_HASH_KEY,
    });
    const total = Number((await api.database.pool.query(`SELECT count(*) FROM users WHERE email_ciphertext IS NOT NULL OR name_ciphertext IS NOT NULL`)).rows[0].count);
    expect(await backfillPersonalData(api.database.prisma, rotated, undefined, 2)).toBe(total);
    const stored = (await api.database.pool.query(`SELECT email_ciphertext FROM users WHERE external_id = 'legacy-1'`)).rows[0].email_ciphertext;
    expect(stored).toMatch(/^v1:next:/);
    expect(rotated.decrypt(stored, 'users.email')).toBe('old.row@example.com');
    expect(() => rotated.decrypt(stored, 'users.name')).toThrow(); // bound to its column
    // Rotate back so this server (which only knows the test key) reads the rows again.
    const back = fieldCipherFromConfig({ DATA_ENCRYPTION_KEY: `${TEST_DATA_ENCRYPTION_KEY},next:${Buffer.alloc(32, 3).toString('hex')}`, DATA_HASH_KEY: TEST_DATA_HASH_KEY });
    expect(await backfillPersonalData(api.database.prisma, back)).toBe(total);
  });
});

describe('masking', () => {
  it('shows ANALYST keys masked email, initials and only non-personal attributes', async () => {
    const result = await api.gqlAs(keys.analyst, USER, { externalId: 'crm-ann' });
    expect(result.errors).toBeUndefined();
    expect(result.data!.user).toMatchObject({
      email: 'a***@example.com',
      name: 'A. L.',
      attributes: { segment: 'vip', tier: 'gold', ageBand: '25-34' },
    });
    expect(JSON.stringify(result.data)).not.toMatch(/Shanghai|555/);
    // The same through node(id) and lists.
    const node = await api.gqlAs(keys.analyst, graphql(`query PrivacyNodeById($id: ID!) { node(id: $id) { ... on User { email name } } }`), {
      id: result.data!.user!.id,
    });
    expect(node.data!.node).toEqual({ email: 'a***@example.com', name: 'A. L.' });
    const list = await api.gqlAs(keys.analyst, graphql(`query PrivacyUsersByFilter2 { users(filter: { search: "crm-ann" }) { edges { node { email } } } }`));
    expect(list.data!.users.edges).toEqual([{ node: { email: 'a***@example.com' } }]);
  });

  it('shows INTEGRATION keys no email or name at all', async () => {
    const result = await api.gqlAs(keys.integration, USER, { externalId: 'crm-ann' });
    expect(result.data!.user).toMatchObject({ email: null, name: null, attributes: { segment: 'vip', tier: 'gold', ageBand: '25-34' } });
  });

  it('does not let non-ADMIN searches match emails or names', async () => {
    const query = graphql(`query PrivacyUsersBySearch($search: String) { users(filter: { search: $search }) { totalCount } }`);
    for (const search of ['ann.lee@example.com', 'Lee', 'example.com']) {
      const result = await api.gqlAs(keys.analyst, query, { search });
      expect(result.data!.users.totalCount, search).toBe(0);
    }
    expect((await api.gqlAs(keys.analyst, query, { search: 'crm-ann' })).data!.users.totalCount).toBe(1);
  });
});

describe('consent history', () => {
  it('records every consent change with its source, and only ADMIN reads it', async () => {
    const HISTORY = graphql(`query PrivacyHistory { user(externalId: "crm-ann") { marketingConsent marketingConsentUpdatedAt consentHistory { granted source changedAt } } }`);
    const before = await api.gql(HISTORY);
    expect(before.data!.user!.consentHistory).toMatchObject([{ granted: true, source: 'ADMIN_API_KEY' }]);
    const withdraw = await api.gqlAs(keys.integration, UPSERT, { input: [{ externalId: 'crm-ann', marketingConsent: false }] });
    expect(withdraw.data).toMatchObject({ upsertUsers: { updated: 1 } });
    await api.gqlAs(keys.integration, UPSERT, { input: [{ externalId: 'crm-ann', marketingConsent: false }] }); // unchanged: no row
    await api.gqlAs(keys.integration, UPSERT, { input: [{ externalId: 'crm-ann', name: 'Ann Lee-Wong' }] }); // other field: no row
    const after = await api.gql(HISTORY);
    expect(after.data!.user!.marketingConsent).toBe(false);
    expect(after.data!.user!.consentHistory).toMatchObject([
      { granted: false, source: 'crm sync' },
      { granted: true, source: 'ADMIN_API_KEY' },
    ]);
    expect(Date.parse(after.data!.user!.marketingConsentUpdatedAt!)).toBeGreaterThan(Date.parse(before.data!.user!.marketingConsentUpdatedAt!) - 1);
    // New users without consent have no history.
    await api.gql(UPSERT, { input: [{ externalId: 'crm-no-consent' }] });
    const none = await api.gql(graphql(`query PrivacyUserByExternalId { user(externalId: "crm-no-consent") { consentHistory { granted } marketingConsentUpdatedAt } }`));
    expect(none.data!.user).toEqual({ consentHistory: [], marketingConsentUpdatedAt: null });
    const asAnalyst = await api.gqlAs(keys.analyst, HISTORY);
    expect(asAnalyst.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(asAnalyst.data?.user?.consentHistory).toBeNull();
  });
});

describe('eraseUser', () => {
  const ERASE = graphql(`mutation PrivacyErase($id: ID, $externalId: String) {
    eraseUser(id: $id, externalId: $externalId) { erased erasedAt feedbackErased interactionsKept user { id externalId email name attributes marketingConsent erasedAt } }
  }`);

  it('removes personal data everywhere, keeps aggregates, is audited, hidden and idempotent', async () => {
    await api.gql(graphql(`mutation PrivacyUpsertProducts { upsertProducts(input: [{ externalId: "prod-e", name: "Kettle", category: "kitchen" }]) { created } }`));
    await api.gql(UPSERT, {
      input: [{ externalId: 'crm-erin', email: 'erin.erasable@example.com', name: 'Erin Erasable', marketingConsent: true, attributes: { city: 'Lyon', segment: 'new' } }],
    });
    const events = await api.gql(
      graphql(`mutation PrivacyRecordInteractions { recordInteractions(input: [
        { userExternalId: "crm-erin", productExternalId: "prod-e", type: VIEW, occurredAt: "2026-11-01T10:00:00Z" },
        { userExternalId: "crm-erin", productExternalId: "prod-e", type: CLICK, occurredAt: "2026-11-01T10:01:00Z" },
        { userExternalId: "crm-erin", productExternalId: "prod-e", type: PURCHASE, value: 1, occurredAt: "2026-11-01T10:02:00Z" }
      ]) { created failed } }`),
    );
    expect(events.data).toEqual({ recordInteractions: { created: 3, failed: 0 } });
    const feedback = await api.gql(
      graphql(`mutation PrivacySubmitFeedback { submitFeedback(input: [
        { externalId: "ticket-erin-1", userExternalId: "crm-erin", productExternalId: "prod-e", channel: REVIEW, text: "Erin here, my kettle leaks, call me", rating: 2, labels: [{ task: "sentiment", label: "negative" }] },
        { userExternalId: "crm-erin", productExternalId: "prod-e", channel: SURVEY, text: "Erin again: delivery was fine", rating: 4 }
      ]) { created failed errors { message } } }`),
    );
    expect(feedback.data).toMatchObject({ submitFeedback: { created: 2, failed: 0 } });
    const COUNT = graphql(`query PrivacyCount { product(externalId: "prod-e") { interactionCount feedback { rating channel } } }`);
    const countBefore = await api.gql(COUNT);
    expect(countBefore.data!.product!.interactionCount).toBe(3);

    const erased = await api.gql(ERASE, { externalId: 'crm-erin' });
    expect(erased.errors).toBeUndefined();
    const result = erased.data!.eraseUser;
    expect(result).toMatchObject({ erased: true, feedbackErased: 2, interactionsKept: 3 });
    expect(result.user).toMatchObject({ email: null, name: null, attributes: {}, marketingConsent: false, erasedAt: expect.any(String) });
    expect(result.user.externalId).toMatch(/^erased:/);

    // Nothing personal left in any table.
    const userId = (await api.database.pool.query(`SELECT id FROM users WHERE erased_at IS NOT NULL`)).rows[0].id as string;
    const dump = JSON.stringify(
      await Promise.all(
        ['users', 'feedback', 'feedback_labels', 'feedback_predictions', 'interactions', 'consent_changes', 'audit_log'].map(
          async (table) => (await api.database.pool.query(`SELECT t::text AS row FROM ${table} t`)).rows,
        ),
      ),
    );
    expect(dump).not.toMatch(/erin|Erasable|crm-erin|kettle leaks|Lyon|ticket-erin/i);
    const fb = await api.database.pool.query(`SELECT text, rating, channel, product_id IS NOT NULL AS has_product FROM feedback WHERE user_id = $1 ORDER BY rating`, [userId]);
    expect(fb.rows).toEqual([
      { text: '[erased]', rating: 2, channel: 'REVIEW', has_product: true },
      { text: '[erased]', rating: 4, channel: 'SURVEY', has_product: true },
    ]);
    expect((await api.database.pool.query(`SELECT count(*)::int AS n FROM consent_changes WHERE user_id = $1`, [userId])).rows[0].n).toBe(0);

    // Aggregates unchanged.
    const countAfter = await api.gql(COUNT);
    expect(countAfter.data!.product!.interactionCount).toBe(3);
    expect(countAfter.data!.product!.feedback).toHaveLength(2);

    // Hidden from lists and lookups by the old externalId.
    const list = await api.gql(graphql(`query PrivacyUsersByFirst { users(first: 100) { edges { node { id } } } }`));
    expect(list.data!.users.edges.map((edge) => edge.node.id)).not.toContain(result.user.id);
    const withErased = await api.gql(graphql(`query PrivacyUsersByFirstAndFilter { users(first: 100, filter: { includeErased: true }) { edges { node { id } } } }`));
    expect(withErased.data!.users.edges.map((edge) => edge.node.id)).toContain(result.user.id);
    expect((await api.gql(USER, { externalId: 'crm-erin' })).data?.user).toBeNull();
    expect((await api.gql(ERASE, { externalId: 'crm-erin' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Idempotent by id.
    const again = await api.gql(ERASE, { id: result.user.id });
    expect(again.data!.eraseUser).toMatchObject({ erased: false, feedbackErased: 0, interactionsKept: 3 });
    expect(again.data!.eraseUser.user.externalId).toBe(result.user.externalId);

    // Audited with counts.
    const audit = await api.gql(graphql(`query PrivacyAuditLogByFilter { auditLog(filter: { operation: "eraseUser" }) { edges { node { outcome counts } } } }`));
    expect(audit.data!.auditLog.edges.map((edge) => edge.node)).toEqual([
      { outcome: 'OK', counts: { affected: 0, targetId: userId, feedbackErased: 0, interactionsKept: 3, modelVersionsPurged: 0, modelRetrainsQueued: 0 } },
      { outcome: 'ERROR', counts: {} },
      { outcome: 'OK', counts: { affected: 1, targetId: userId, feedbackErased: 2, interactionsKept: 3, modelVersionsPurged: 0, modelRetrainsQueued: 0 } },
    ]);

    // The original externalId later makes a new, unrelated user.
    const reborn = await api.gql(UPSERT, { input: [{ externalId: 'crm-erin', email: 'erin.erasable@example.com' }] });
    expect(reborn.data).toMatchObject({ upsertUsers: { created: 1, failed: 0 } });
    const newUser = await api.gql(USER, { externalId: 'crm-erin' });
    expect(newUser.data!.user!.id).not.toBe(result.user.id);
    expect((await api.gqlAs(keys.analyst, ERASE, { id: result.user.id })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
