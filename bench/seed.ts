/**
 * The benchmark's data set, written with bulk `INSERT … SELECT generate_series` (seconds, not minutes).
 *
 * Ids are deterministic (`md5(label || n)::uuid`) so rows can reference each other by formula:
 *   product p ∈ [0, products)         md5('p' || p)     p < currentProducts: this year's, visible now;
 *                                                        the rest: past years' (visible window over)
 *   option group j ∈ [0, groups)      md5('g' || j)     on product j·5 (every fifth product)
 *   option k ∈ [0, options)           md5('o' || k)     in group k / (options / groups)
 *   order o ∈ [1, orders]             md5('or' || o)    1–3 items each; user 1 owns exactly orders 1–20
 * Orders by o % 10: 0–6 completed (some items used), 7 partially refunded, 8 refunded, 9 a cart (no ledger).
 */
import type pg from 'pg';
import bcrypt from 'bcryptjs';

export interface SeedSize {
  products: number;
  currentProducts: number;
  groups: number;
  options: number;
  users: number;
  orders: number;
  tags: number;
}

export const FULL: SeedSize = { products: 200, currentProducts: 20, groups: 40, options: 2000, users: 20_000, orders: 50_000, tags: 10 };
export const QUICK: SeedSize = { products: 40, currentProducts: 10, groups: 8, options: 200, users: 500, orders: 2000, tags: 4 };

export const BENCH_PASSWORD = 'bench-pass-1234';
export const STAFF_EMAIL = 'bench-staff@example.com';

export const uuidOf = (label: string, n: number): string => {
  // same as PostgreSQL md5(label || n)::uuid
  return md5uuid(`${label}${n}`);
};

import { createHash } from 'node:crypto';
function md5uuid(s: string): string {
  const h = createHash('md5').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface SeedInfo {
  /** a product of this year with limited (large) stock, no option groups: the checkouts' (buy-now, cart) target */
  cartProductId: string;
  /**
   * another product like it (limited large stock, no option groups, no per-person cap): the cart add scenario's,
   * so that its units (this side only: the baseline's database is copied before it) are not in the checkouts'
   * carts or counts
   */
  cartAddProductId: string;
  /** the buyer with exactly 20 purchased orders */
  twentyOrdersEmail: string;
  buyerEmail(n: number): string;
  counts: Record<string, number>;
}

export async function seed(client: pg.Client, size: SeedSize): Promise<SeedInfo> {
  const hash = bcrypt.hashSync(BENCH_PASSWORD, 4);
  const perGroup = Math.floor(size.options / size.groups);
  const p = { ...size, perGroup, hash };
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);

  await q(`SET synchronous_commit = off`);
  await q(
    `INSERT INTO users (email, username, password_hash)
     SELECT 'bench' || g || '@example.com', 'bench' || g, $2 FROM generate_series(1, $1) g`,
    [p.users, p.hash],
  );
  await q(
    `INSERT INTO users (email, username, password_hash, is_staff, is_superuser, admin_role)
     VALUES ($1, 'bench-staff', $2, true, true, 'manager')`,
    [STAFF_EMAIL, p.hash],
  );

  // catalogue: 5 category groups × 4 categories
  await q(
    `INSERT INTO category_groups (id, name, priority)
     SELECT md5('cg' || g)::uuid, (ARRAY['티켓','굿즈','후원','튜토리얼','스프린트'])[g + 1], g FROM generate_series(0, 4) g`,
  );
  await q(
    `INSERT INTO categories (id, group_id, name, priority)
     SELECT md5('c' || c)::uuid, md5('cg' || (c % 5))::uuid, '카테고리 ' || c, c / 5 FROM generate_series(0, 19) c`,
  );
  await q(
    `INSERT INTO tags (id, name_ko, name_en, stock, max_quantity_per_user)
     SELECT md5('t' || t)::uuid, '태그 ' || t, 'Tag ' || t, CASE WHEN t = 0 THEN 5000000 ELSE 0 END, 0 FROM generate_series(0, $1 - 1) t`,
    [p.tags],
  );
  await q(
    `INSERT INTO products (id, category_id, name_ko, name_en, description_ko, description_en, price, stock, max_quantity_per_user,
                           visible_starts_at, visible_ends_at, orderable_starts_at, orderable_ends_at, refundable_ends_at, priority,
                           donation_allowed, donation_min_price, donation_max_price)
     SELECT md5('p' || g)::uuid, md5('c' || (g % 20))::uuid, '상품 ' || g, 'Product ' || g,
            '상품 ' || g || '의 설명입니다.', 'About product ' || g,
            10000 + (g % 10) * 5000,
            CASE WHEN g % 4 = 0 THEN 0 ELSE 1000000 END,
            CASE WHEN g % 7 = 3 THEN 4 ELSE 0 END,
            CASE WHEN g < $2 THEN now() - interval '30 days' ELSE now() - interval '1 year' * (1 + g % 8) - interval '60 days' END,
            CASE WHEN g < $2 THEN now() + interval '365 days' ELSE now() - interval '1 year' * (1 + g % 8) END,
            CASE WHEN g < $2 THEN now() - interval '30 days' ELSE now() - interval '1 year' * (1 + g % 8) - interval '60 days' END,
            CASE WHEN g < $2 THEN now() + interval '365 days' ELSE now() - interval '1 year' * (1 + g % 8) END,
            CASE WHEN g < $2 THEN now() + interval '300 days' ELSE now() - interval '1 year' * (1 + g % 8) END,
            g % 3,
            g % 20 = 2, CASE WHEN g % 20 = 2 THEN 1000 ELSE 0 END, CASE WHEN g % 20 = 2 THEN 500000 ELSE 0 END
       FROM generate_series(0, $1 - 1) g`,
    [p.products, p.currentProducts],
  );
  await q(
    `INSERT INTO product_tag_relations (product_id, tag_id)
     SELECT md5('p' || g)::uuid, md5('t' || (g % $2))::uuid FROM generate_series(0, $1 - 1) g`,
    [p.products, p.tags],
  );
  await q(
    `INSERT INTO option_groups (id, product_id, priority, name_ko, name_en, min_quantity_per_product, max_quantity_per_product, max_quantity_per_user)
     SELECT md5('g' || j)::uuid, md5('p' || (j * 5))::uuid, 0, '옵션 그룹 ' || j, 'Group ' || j, j % 2, 1, 0
       FROM generate_series(0, $1 - 1) j`,
    [p.groups],
  );
  await q(
    `INSERT INTO options (id, group_id, priority, name_ko, name_en, additional_price, stock, max_quantity_per_user)
     SELECT md5('o' || k)::uuid, md5('g' || (k / $2))::uuid, k % $2, '옵션 ' || k, 'Option ' || k, (k % 3) * 1000,
            CASE WHEN k % 2 = 0 THEN 0 ELSE 100000 END, 0
       FROM generate_series(0, $1 - 1) k`,
    [p.groups * p.perGroup, p.perGroup],
  );

  // orders, items, options, ledger, customer info
  await q(
    `INSERT INTO orders (id, user_id, name_ko, name_en, created_at, updated_at)
     SELECT md5('or' || o)::uuid,
            CASE WHEN o <= 20 THEN 1 ELSE 2 + (o % ($2 - 1)) END,
            CASE WHEN o % 10 = 9 AND o > 20 THEN '' ELSE '주문 ' || o END,
            CASE WHEN o % 10 = 9 AND o > 20 THEN '' ELSE 'Order ' || o END,
            now() - interval '1 minute' * ((o * 37) % 1000000), now()
       FROM generate_series(1, $1) o`,
    [p.orders, p.users],
  );
  // item k of order o: product = this year's (o % 5 = 0 or the 20-order buyer) or a past year's
  await q(
    `WITH items AS (
       SELECT o, k,
              CASE WHEN o <= 20 OR o % 5 = 0 THEN (o + k) % $2 ELSE $2 + ((o * 3 + k) % ($3 - $2)) END AS pidx,
              CASE WHEN o <= 20 THEN 'completed' WHEN o % 10 <= 6 THEN 'completed' WHEN o % 10 = 7 THEN 'partial'
                   WHEN o % 10 = 8 THEN 'refunded' ELSE 'cart' END AS state
         FROM generate_series(1, $1) o, generate_series(0, 2) k
        WHERE k < 1 + o % 3
     )
     INSERT INTO order_product_relations (id, order_id, product_id, status, price, donation_price, created_at, updated_at)
     SELECT md5('opr' || o || '-' || k)::uuid, md5('or' || o)::uuid, md5('p' || pidx)::uuid,
            CASE state WHEN 'completed' THEN (CASE WHEN o % 7 = 0 THEN 'used' ELSE 'paid' END)
                       WHEN 'partial' THEN (CASE WHEN k = 0 THEN 'refunded' ELSE 'paid' END)
                       WHEN 'refunded' THEN 'refunded' ELSE 'pending' END,
            10000 + (pidx % 10) * 5000, 0, now() - interval '1 minute' * ((o * 37) % 1000000), now()
       FROM items`,
    [p.orders, p.currentProducts, p.products],
  );
  // an option for every item whose product has a group (products j·5 for j < groups)
  await q(
    `INSERT INTO order_product_option_relations (order_product_relation_id, product_option_group_id, product_option_id)
     SELECT opr.id, og.id, md5('o' || ((substring(og.name_en from 7))::int * $1 + (abs(hashtext(opr.id::text)) % $1)))::uuid
       FROM order_product_relations opr JOIN option_groups og ON og.product_id = opr.product_id`,
    [p.perGroup],
  );
  await q(
    `INSERT INTO payment_histories (order_id, imp_id, status, price, created_at, updated_at)
     SELECT o.id, 'imp_bench_' || substring(o.name_en from 7), 'completed', sum(opr.price + opr.donation_price),
            o.created_at + interval '1 minute', o.created_at + interval '1 minute'
       FROM orders o JOIN order_product_relations opr ON opr.order_id = o.id
      WHERE o.name_en <> ''
      GROUP BY o.id`,
  );
  await q(
    `INSERT INTO payment_histories (order_id, imp_id, status, price, created_at, updated_at)
     SELECT o.id, 'imp_bench_' || substring(o.name_en from 7),
            CASE WHEN bool_and(opr.status = 'refunded') THEN 'refunded' ELSE 'partial_refunded' END,
            sum(CASE WHEN opr.status = 'refunded' THEN 0 ELSE opr.price + opr.donation_price END),
            o.created_at + interval '2 days', o.created_at + interval '2 days'
       FROM orders o JOIN order_product_relations opr ON opr.order_id = o.id
      WHERE o.name_en <> '' AND EXISTS (SELECT 1 FROM order_product_relations r WHERE r.order_id = o.id AND r.status = 'refunded')
      GROUP BY o.id`,
  );
  await q(
    `INSERT INTO customer_infos (order_id, name, phone, email, organization)
     SELECT o.id, '구매자 ' || o.user_id, '010-0000-' || lpad((o.user_id % 10000)::text, 4, '0'), 'bench' || o.user_id || '@example.com', ''
       FROM orders o WHERE o.name_en <> ''`,
  );
  await q(`RESET synchronous_commit`);

  const counts: Record<string, number> = {};
  for (const t of ['products', 'option_groups', 'options', 'users', 'orders', 'order_product_relations', 'order_product_option_relations', 'payment_histories']) {
    counts[t] = Number((await q(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  }
  return {
    cartProductId: uuidOf('p', 1),
    cartAddProductId: uuidOf('p', 6),
    twentyOrdersEmail: 'bench1@example.com',
    buyerEmail: (n) => `bench${n}@example.com`,
    counts,
  };
}
