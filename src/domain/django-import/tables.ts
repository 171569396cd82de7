/**
 * Which table and column of the Django backend becomes which of ours (spec after-pr43 §5 table list and
 * columns, plus the later additions of §1c/§2/§4). Pure data: the runner (src/services/django-import.ts)
 * turns it into SQL.
 *
 * Source columns a Django database may lack (added after the original's PR #43: option-group windows and
 * caps, `is_ticket`, `placeholder_mode`) carry a `missing` SQL default, so an older database imports too.
 * Target columns that only exist once our schema has them (`optional`) are written only when present.
 */

export interface SourceColumn {
  name: string;
  /** PostgreSQL type of the staging column */
  type: string;
  /** SQL default (over the other source columns, alias-free) used when the Django table lacks the column */
  missing?: string;
}

export interface TargetColumn {
  column: string;
  /** SQL over the staged source row `s`; default: `s.<column>` */
  expr?: string;
  /** a Django user id translated through the user map */
  user?: boolean;
  /** only written when our table has this column */
  optional?: boolean;
}

export interface TableMap {
  /** Django table */
  source: string;
  /** our table */
  target: string;
  /** Django simple-history table of this model (their rows become audit rows) */
  history?: string;
  /** the whole table is optional on both sides (imported only when both have it) */
  optional?: boolean;
  columns: SourceColumn[];
  targetColumns: TargetColumn[];
}

const ts = 'timestamptz';

/** The common base columns of every Django shop table ("B"). */
const BASE: SourceColumn[] = [
  { name: 'id', type: 'uuid' },
  { name: 'created_at', type: ts },
  { name: 'updated_at', type: ts },
  { name: 'deleted_at', type: ts },
  { name: 'created_by_id', type: 'bigint' },
  { name: 'updated_by_id', type: 'bigint' },
  { name: 'deleted_by_id', type: 'bigint' },
];
const BASE_TARGET: TargetColumn[] = [
  { column: 'id' },
  { column: 'created_at' },
  { column: 'updated_at' },
  { column: 'deleted_at' },
  { column: 'created_by_id', user: true },
  { column: 'updated_by_id', user: true },
  { column: 'deleted_by_id', user: true },
];

/** The simple-history columns ("H") added to a model's columns in its historical table. */
export const HISTORY_COLUMNS: SourceColumn[] = [
  { name: 'history_id', type: 'bigint' },
  { name: 'history_date', type: ts },
  { name: 'history_change_reason', type: 'text' },
  { name: 'history_type', type: 'text' },
  { name: 'history_user_id', type: 'bigint' },
];

const col = (name: string, type: string, missing?: string): SourceColumn => ({ name, type, ...(missing !== undefined ? { missing } : {}) });
/** translated text: `name` plus `name_ko` / `name_en` (django-modeltranslation) */
const translated = (f: string): SourceColumn[] => [col(f, 'text', 'NULL'), col(`${f}_ko`, 'text', 'NULL'), col(`${f}_en`, 'text', 'NULL')];
const koFrom = (f: string): TargetColumn => ({ column: `${f}_ko`, expr: `coalesce(nullif(s.${f}_ko, ''), s.${f}, '')` });
const enFrom = (f: string): TargetColumn => ({ column: `${f}_en`, expr: `coalesce(s.${f}_en, '')` });
const MIN = `'0001-01-01T00:00:00Z'::timestamptz`;

/** In copy order (foreign keys first), as the original's own migration copied them. */
export const SHOP_TABLES: TableMap[] = [
  {
    source: 'product_categorygroup',
    target: 'category_groups',
    history: 'product_historicalcategorygroup',
    columns: [...BASE, col('name', 'text'), col('priority', 'integer')],
    targetColumns: [...BASE_TARGET, { column: 'name' }, { column: 'priority' }],
  },
  {
    source: 'product_category',
    target: 'categories',
    history: 'product_historicalcategory',
    columns: [
      ...BASE,
      col('group_id', 'uuid'),
      col('name', 'text'),
      col('priority', 'integer'),
      // before the explicit flag, a category whose name contains "티켓" was a ticket category (the
      // original's own backfill rule)
      col('is_ticket', 'boolean', `(name LIKE '%티켓%')`),
    ],
    targetColumns: [...BASE_TARGET, { column: 'group_id' }, { column: 'name' }, { column: 'priority' }, { column: 'is_ticket', optional: true }],
  },
  {
    source: 'product_tag',
    target: 'tags',
    history: 'product_historicaltag',
    columns: [...BASE, ...translated('name'), col('stock', 'integer'), col('max_quantity_per_user', 'integer')],
    targetColumns: [...BASE_TARGET, koFrom('name'), enFrom('name'), { column: 'stock' }, { column: 'max_quantity_per_user' }],
  },
  {
    source: 'product_product',
    target: 'products',
    history: 'product_historicalproduct',
    columns: [
      ...BASE,
      ...translated('name'),
      ...translated('description'),
      col('image', 'text', 'NULL'),
      col('price', 'integer'),
      col('stock', 'integer'),
      col('hidden', 'boolean', 'false'),
      col('max_quantity_per_user', 'integer'),
      col('visible_starts_at', ts),
      col('visible_ends_at', ts),
      col('orderable_starts_at', ts),
      col('orderable_ends_at', ts),
      col('refundable_ends_at', ts),
      col('category_id', 'uuid'),
      col('priority', 'integer'),
      col('donation_allowed', 'boolean'),
      col('donation_min_price', 'integer'),
      col('donation_max_price', 'integer'),
    ],
    targetColumns: [
      ...BASE_TARGET,
      koFrom('name'),
      enFrom('name'),
      { column: 'description_ko', expr: `coalesce(s.description_ko, s.description)` },
      { column: 'description_en', expr: `s.description_en` },
      { column: 'image' },
      { column: 'price' },
      { column: 'stock' },
      { column: 'max_quantity_per_user' },
      // `hidden` (removed by the original later) has no column here: a hidden product gets an empty
      // visibility window, so it stays invisible
      { column: 'visible_starts_at', expr: `CASE WHEN s.hidden THEN ${MIN} ELSE s.visible_starts_at END` },
      { column: 'visible_ends_at', expr: `CASE WHEN s.hidden THEN ${MIN} ELSE s.visible_ends_at END` },
      { column: 'orderable_starts_at' },
      { column: 'orderable_ends_at' },
      { column: 'refundable_ends_at' },
      { column: 'category_id' },
      { column: 'priority' },
      { column: 'donation_allowed' },
      { column: 'donation_min_price' },
      { column: 'donation_max_price' },
    ],
  },
  {
    source: 'product_producttagrelation',
    target: 'product_tag_relations',
    history: 'product_historicalproducttagrelation',
    columns: [...BASE, col('product_id', 'uuid'), col('tag_id', 'uuid')],
    targetColumns: [...BASE_TARGET, { column: 'product_id' }, { column: 'tag_id' }],
  },
  {
    source: 'product_optiongroup',
    target: 'option_groups',
    history: 'product_historicaloptiongroup',
    columns: [
      ...BASE,
      col('product_id', 'uuid'),
      col('priority', 'integer'),
      ...translated('name'),
      col('min_quantity_per_product', 'integer'),
      col('max_quantity_per_product', 'integer'),
      col('max_quantity_per_user', 'integer', '0'),
      col('is_custom_response', 'boolean'),
      col('custom_response_pattern', 'text'),
      col('response_modifiable_ends_at', ts),
      col('visible_starts_at', ts, 'NULL'),
      col('visible_ends_at', ts, 'NULL'),
      col('orderable_starts_at', ts, 'NULL'),
      col('orderable_ends_at', ts, 'NULL'),
      col('placeholder_mode', 'text', `'hidden'`),
    ],
    targetColumns: [
      ...BASE_TARGET,
      { column: 'product_id' },
      { column: 'priority' },
      koFrom('name'),
      enFrom('name'),
      { column: 'min_quantity_per_product' },
      { column: 'max_quantity_per_product' },
      { column: 'max_quantity_per_user' },
      { column: 'is_custom_response' },
      { column: 'custom_response_pattern' },
      { column: 'response_modifiable_ends_at' },
      { column: 'visible_starts_at' },
      { column: 'visible_ends_at' },
      { column: 'orderable_starts_at' },
      { column: 'orderable_ends_at' },
      { column: 'placeholder_mode', optional: true },
    ],
  },
  {
    source: 'product_option',
    target: 'options',
    history: 'product_historicaloption',
    columns: [
      ...BASE,
      col('group_id', 'uuid'),
      col('priority', 'integer'),
      ...translated('name'),
      col('max_quantity_per_user', 'integer'),
      col('additional_price', 'integer'),
      col('stock', 'integer'),
    ],
    targetColumns: [
      ...BASE_TARGET,
      { column: 'group_id' },
      { column: 'priority' },
      koFrom('name'),
      enFrom('name'),
      { column: 'max_quantity_per_user' },
      { column: 'additional_price' },
      { column: 'stock' },
    ],
  },
  {
    source: 'order_order',
    target: 'orders',
    history: 'order_historicalorder',
    columns: [...BASE, col('user_id', 'bigint'), ...translated('name')],
    // prepared_cart_* are HMACs under the Django SECRET_KEY: meaningless here, never copied
    targetColumns: [...BASE_TARGET, { column: 'user_id', user: true }, koFrom('name'), enFrom('name')],
  },
  {
    source: 'order_orderproductrelation',
    target: 'order_product_relations',
    history: 'order_historicalorderproductrelation',
    columns: [...BASE, col('order_id', 'uuid'), col('product_id', 'uuid'), col('status', 'text'), col('price', 'integer'), col('donation_price', 'integer')],
    targetColumns: [...BASE_TARGET, { column: 'order_id' }, { column: 'product_id' }, { column: 'status' }, { column: 'price' }, { column: 'donation_price' }],
  },
  {
    source: 'order_singleproductcart',
    target: 'single_product_carts',
    history: 'order_historicalsingleproductcart',
    columns: [...BASE, col('user_id', 'bigint'), col('order_product_relation_id', 'uuid')],
    targetColumns: [...BASE_TARGET, { column: 'user_id', user: true }, { column: 'order_product_relation_id' }],
  },
  {
    source: 'order_orderproductoptionrelation',
    target: 'order_product_option_relations',
    history: 'order_historicalorderproductoptionrelation',
    columns: [
      ...BASE,
      col('order_product_relation_id', 'uuid'),
      col('product_option_group_id', 'uuid'),
      col('product_option_id', 'uuid'),
      col('custom_response', 'text'),
    ],
    targetColumns: [
      ...BASE_TARGET,
      { column: 'order_product_relation_id' },
      { column: 'product_option_group_id' },
      { column: 'product_option_id' },
      { column: 'custom_response' },
    ],
  },
  {
    source: 'order_customerinfo',
    target: 'customer_infos',
    history: 'order_historicalcustomerinfo',
    columns: [
      ...BASE,
      col('order_id', 'uuid'),
      col('single_product_cart_id', 'uuid'),
      col('name', 'text'),
      col('phone', 'text'),
      col('email', 'text'),
      col('organization', 'text'),
    ],
    targetColumns: [
      ...BASE_TARGET,
      { column: 'order_id' },
      { column: 'single_product_cart_id' },
      { column: 'name' },
      { column: 'phone' },
      { column: 'email' },
      { column: 'organization' },
    ],
  },
  {
    source: 'payment_history_paymenthistory',
    target: 'payment_histories',
    columns: [...BASE, col('order_id', 'uuid'), col('imp_id', 'text'), col('status', 'text'), col('price', 'integer')],
    targetColumns: [...BASE_TARGET, { column: 'order_id' }, { column: 'imp_id' }, { column: 'status' }, { column: 'price' }],
  },
  {
    source: 'order_ticketinfo',
    target: 'ticket_infos',
    history: 'order_historicalticketinfo',
    optional: true,
    columns: [
      ...BASE,
      col('order_product_relation_id', 'uuid'),
      col('name', 'text'),
      col('phone', 'text'),
      col('email', 'text'),
      col('organization', 'text'),
      col('contribution_message', 'text'),
    ],
    targetColumns: [
      ...BASE_TARGET,
      { column: 'order_product_relation_id' },
      { column: 'name' },
      { column: 'phone' },
      { column: 'email' },
      { column: 'organization' },
      { column: 'contribution_message' },
    ],
  },
];

/** Django users (read explicitly: they are mapped, not copied). */
export const USER_SOURCE: { source: string; columns: SourceColumn[] } = {
  source: 'user_userext',
  columns: [
    col('id', 'bigint'),
    col('password', 'text'),
    col('last_login', ts),
    col('is_superuser', 'boolean'),
    col('username', 'text'),
    col('email', 'text'),
    col('is_staff', 'boolean'),
    col('is_active', 'boolean'),
    col('date_joined', ts),
    col('unique_id', 'uuid'),
  ],
};

/** allauth social accounts (provider + uid identify a person at a provider). */
export const SOCIAL_SOURCE: { source: string; columns: SourceColumn[] } = {
  source: 'socialaccount_socialaccount',
  columns: [
    col('id', 'integer'),
    col('provider', 'text'),
    col('uid', 'text'),
    col('last_login', ts),
    col('date_joined', ts),
    col('extra_data', 'jsonb'),
    col('user_id', 'bigint'),
  ],
};

/** Django tables deliberately left behind, with the reason printed in the report. */
export const NOT_IMPORTED: Record<string, string> = {
  socialaccount_socialapp: 'OAuth client ids and secrets come from our environment (GOOGLE_*, NAVER_*, KAKAO_*)',
  account_emailaddress: 'we keep one e-mail per account; the addresses were used for matching only',
  socialaccount_socialtoken: 'expired provider tokens',
  user_userext_groups: 'Django permissions: grant roles again with `npm run user`',
  user_userext_user_permissions: 'Django permissions: grant roles again with `npm run user`',
  payment_history_paymentwebhookevent: 'forensic log of the old system',
};

/** snake_case column → our model attribute name (Sequelize `underscored`): the keys of audit before/after. */
export function attributeName(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
