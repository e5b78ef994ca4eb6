import { Prisma, type Campaign } from '../../generated/prisma/client.ts';

/** Campaign columns for raw SQL joins (alias `c`), shaped like Prisma's Campaign row by campaignFromRow. */
export const CAMPAIGN_COLUMNS = Prisma.sql`c.id, c.external_id AS "externalId", c.name, c.description,
  c.channel::text AS channel, c.status::text AS status, c.budget::text AS budget, c.starts_at AS "startsAt",
  c.ends_at AS "endsAt", c.ad_copies AS "adCopies", c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

export type CampaignRow = Omit<Campaign, 'budget'> & { budget: string | null };

export function campaignFromRow(row: CampaignRow): Campaign {
  return { ...row, budget: row.budget === null ? null : new Prisma.Decimal(row.budget) };
}
