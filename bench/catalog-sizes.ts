/**
 * The catalogue at several sizes (`npm run bench`): how many bytes one answer puts on the wire and how many
 * answers a second the app serves, plain (no Accept-Encoding: what every client got before compression), as a
 * browser asks (`gzip, deflate, br` → brotli) and as a revalidation (If-None-Match → 304).
 *
 * Sizes are made in the bench database by SQL from the bench process — the app hears of them through the
 * catalogue's LISTEN/NOTIFY, like any other process's write: this year's products are the first `n` of the
 * seed's (ids md5('p' || i)); above the seed's product count, copies of the seed's products (with their option
 * groups and options) are added.
 */
import type pg from 'pg';
import { request as httpRequest } from 'node:http';

const BROWSER = 'gzip, deflate, br';

/** Make exactly the first `n` products visible (adding copies past `seeded`). */
export async function setVisibleProducts(client: pg.Client, n: number, seeded: number): Promise<void> {
  if (n > seeded) {
    await client.query(
      `INSERT INTO products (id, category_id, name_ko, name_en, description_ko, description_en, price, stock, max_quantity_per_user,
                             visible_starts_at, visible_ends_at, orderable_starts_at, orderable_ends_at, refundable_ends_at, priority,
                             donation_allowed, donation_min_price, donation_max_price)
       SELECT md5('p' || g)::uuid, s.category_id, '상품 ' || g, 'Product ' || g, s.description_ko, s.description_en, s.price, s.stock,
              s.max_quantity_per_user, s.visible_starts_at, s.visible_ends_at, s.orderable_starts_at, s.orderable_ends_at,
              s.refundable_ends_at, s.priority, s.donation_allowed, s.donation_min_price, s.donation_max_price
         FROM generate_series($1::int, $2::int - 1) g JOIN products s ON s.id = md5('p' || (g % $1))::uuid
       ON CONFLICT (id) DO NOTHING`,
      [seeded, n],
    );
    await client.query(
      `INSERT INTO option_groups (id, product_id, priority, name_ko, name_en, min_quantity_per_product, max_quantity_per_product, max_quantity_per_user)
       SELECT md5(g || '-' || s.id)::uuid, md5('p' || g)::uuid, s.priority, s.name_ko, s.name_en, s.min_quantity_per_product,
              s.max_quantity_per_product, s.max_quantity_per_user
         FROM generate_series($1::int, $2::int - 1) g JOIN option_groups s ON s.product_id = md5('p' || (g % $1))::uuid
       ON CONFLICT (id) DO NOTHING`,
      [seeded, n],
    );
    await client.query(
      `INSERT INTO options (id, group_id, priority, name_ko, name_en, additional_price, stock, max_quantity_per_user)
       SELECT md5(g || '-' || o.id)::uuid, md5(g || '-' || s.id)::uuid, o.priority, o.name_ko, o.name_en, o.additional_price, o.stock,
              o.max_quantity_per_user
         FROM generate_series($1::int, $2::int - 1) g JOIN option_groups s ON s.product_id = md5('p' || (g % $1))::uuid
         JOIN options o ON o.group_id = s.id
       ON CONFLICT (id) DO NOTHING`,
      [seeded, n],
    );
  }
  // visible now: the first n (by seed number); every other product's window is over
  await client.query(
    `WITH numbered AS (SELECT id, (substring(name_en from 9))::int AS k FROM products WHERE name_en ~ '^Product [0-9]+$')
     UPDATE products p
        SET visible_starts_at = CASE WHEN n.k < $1 THEN now() - interval '30 days' ELSE now() - interval '2 years' END,
            visible_ends_at = CASE WHEN n.k < $1 THEN now() + interval '365 days' ELSE now() - interval '1 year' END
       FROM numbered n WHERE n.id = p.id`,
    [n],
  );
}

/** One GET as raw bytes (not decoded): status, bytes of the body as sent, its ETag and Content-Encoding. */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; etag: string; encoding: string; products: number | null }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = String(res.headers['content-encoding'] ?? 'identity');
        let products: number | null = null;
        if (encoding === 'identity' && res.statusCode === 200) products = (JSON.parse(body.toString()) as unknown[]).length;
        resolve({ status: res.statusCode!, bytes: body.length, etag: String(res.headers.etag ?? ''), encoding, products });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export const BROWSER_ACCEPT = BROWSER;
