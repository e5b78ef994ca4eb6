import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import { raw } from '../../db/raw.ts';
import type { Campaign, Product } from '../../generated/prisma/client.ts';
import { byKey, groupByKey, perLimit } from '../common/loaders.ts';
import { productsById } from './products.rows.ts';
import { CAMPAIGN_COLUMNS, campaignFromRow, type CampaignRow } from '../campaigns/campaigns.rows.ts';

export function createProductLoaders(db: Db) {
  const sql = raw(db);
  return {
    // Raw SQL through the pg pool: this loader is on every recommendation request's path.
    productById: new DataLoader<string, Product | null>(async (ids) => byKey(ids, await productsById(sql, ids), (product) => product.id)),
    /** Keys: limitedKey(productId, first). Campaigns targeting each product, newest first; one statement per distinct limit. */
    campaignsByProductId: new DataLoader<string, Campaign[]>((keys) =>
      perLimit(keys, async (ids, limit) => {
        const rows = await db.$queryRaw<(CampaignRow & { parentId: string; rn: bigint })[]>`
          SELECT * FROM (
            SELECT cp.product_id AS "parentId", ${CAMPAIGN_COLUMNS},
              ROW_NUMBER() OVER (PARTITION BY cp.product_id ORDER BY c.created_at DESC, c.id DESC) AS rn
            FROM campaign_products cp JOIN campaigns c ON c.id = cp.campaign_id
            WHERE cp.product_id = ANY(${ids}::uuid[])
          ) ranked
          WHERE rn <= ${limit}
          ORDER BY "parentId", rn`;
        return groupByKey(ids, rows, (row) => row.parentId).map((list) =>
          list.map(({ parentId: _parentId, rn: _rn, ...row }) => campaignFromRow(row)),
        );
      }),
    ),
  };
}
export type ProductLoaders = ReturnType<typeof createProductLoaders>;
