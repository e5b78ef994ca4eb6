import DataLoader from 'dataloader';
import type { Db } from '../../db/prisma.ts';
import { raw } from '../../db/raw.ts';
import { Prisma, type Campaign, type Product } from '../../generated/prisma/client.ts';
import { byKey, firstRowsPerParent, perLimit } from '../common/loaders.ts';
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
        const query = {
          columns: CAMPAIGN_COLUMNS,
          from: Prisma.sql`campaign_products cp JOIN campaigns c ON c.id = cp.campaign_id`,
          parent: Prisma.sql`cp.product_id`,
          order: Prisma.sql`c.created_at DESC, c.id DESC`,
        };
        return (await firstRowsPerParent<CampaignRow>(db, query, ids, limit)).map((rows) => rows.map(campaignFromRow));
      }),
    ),
  };
}
export type ProductLoaders = ReturnType<typeof createProductLoaders>;
