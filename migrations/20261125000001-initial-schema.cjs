'use strict';
/**
 * The whole shop schema (spec §0–1, contract-era fields). Written as SQL so that partial unique indexes,
 * CHECK constraints and FK actions are exactly what they say. sequelize-cli format ({up, down}) so both
 * `npx sequelize-cli db:migrate` (through .sequelizerc) and the app's umzug runner execute it.
 *
 * Conventions: shop rows have UUID keys and the common columns created/updated/deleted _at/_by_id;
 * soft-deleted rows have deleted_at set, so every unique constraint is a partial index
 * `WHERE deleted_at IS NULL` (re-creating a deleted name works). Money is integer KRW.
 */

const common = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT`;

const MIN_TS = `'0001-01-01T00:00:00Z'`;
const MAX_TS = `'9999-12-31T23:59:59.999Z'`;

const up = `
CREATE TABLE users (
  id serial PRIMARY KEY,
  unique_id uuid NOT NULL DEFAULT gen_random_uuid(),
  email varchar(254) NOT NULL,
  username varchar(150) NOT NULL,
  nickname_ko varchar(100) NOT NULL DEFAULT '',
  nickname_en varchar(100) NOT NULL DEFAULT '',
  password_hash text NULL,
  is_active boolean NOT NULL DEFAULT true,
  is_staff boolean NOT NULL DEFAULT false,
  is_superuser boolean NOT NULL DEFAULT false,
  admin_role varchar(16) NULL CHECK (admin_role IN ('viewer', 'manager')),
  totp_secret text NULL,
  totp_enrolled_at timestamptz NULL,
  totp_last_step bigint NULL,
  last_login_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL
);
CREATE UNIQUE INDEX users_unique_id_uq ON users (unique_id);
CREATE UNIQUE INDEX users_email_uq ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_username_uq ON users (username) WHERE deleted_at IS NULL;

CREATE TABLE social_accounts (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider varchar(32) NOT NULL,
  uid varchar(255) NOT NULL,
  email varchar(254) NULL,
  last_login_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX social_accounts_provider_uid_uq ON social_accounts (provider, uid);

CREATE TABLE category_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(100) NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  ${common}
);
CREATE UNIQUE INDEX category_groups_name_uq ON category_groups (name) WHERE deleted_at IS NULL;

CREATE TABLE categories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id uuid NOT NULL REFERENCES category_groups(id) ON DELETE RESTRICT,
  name varchar(100) NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  ${common}
);
CREATE UNIQUE INDEX categories_group_name_uq ON categories (group_id, name) WHERE deleted_at IS NULL;

CREATE TABLE tags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name_ko varchar(100) NOT NULL,
  name_en varchar(100) NOT NULL DEFAULT '',
  stock integer NOT NULL DEFAULT 0,
  max_quantity_per_user integer NOT NULL DEFAULT 0 CHECK (max_quantity_per_user >= 0),
  ${common}
);
CREATE UNIQUE INDEX tags_name_uq ON tags (name_ko) WHERE deleted_at IS NULL;

CREATE TABLE products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  category_id uuid NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
  name_ko text NOT NULL,
  name_en text NOT NULL DEFAULT '',
  description_ko text NULL,
  description_en text NULL,
  image text NULL,
  price integer NOT NULL CHECK (price >= 0),
  stock integer NOT NULL DEFAULT 0,
  max_quantity_per_user integer NOT NULL DEFAULT 0 CHECK (max_quantity_per_user >= 0),
  visible_starts_at timestamptz NOT NULL DEFAULT ${MIN_TS},
  visible_ends_at timestamptz NOT NULL DEFAULT ${MAX_TS},
  orderable_starts_at timestamptz NOT NULL DEFAULT ${MIN_TS},
  orderable_ends_at timestamptz NOT NULL DEFAULT ${MAX_TS},
  refundable_ends_at timestamptz NOT NULL DEFAULT ${MAX_TS},
  priority integer NOT NULL DEFAULT 0,
  donation_allowed boolean NOT NULL DEFAULT false,
  donation_min_price integer NOT NULL DEFAULT 0 CHECK (donation_min_price >= 0),
  donation_max_price integer NOT NULL DEFAULT 0 CHECK (donation_max_price >= 0),
  ${common}
);
CREATE INDEX products_name_ko_idx ON products (name_ko);
CREATE INDEX products_category_idx ON products (category_id);

CREATE TABLE product_tag_relations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  tag_id uuid NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  ${common}
);
CREATE UNIQUE INDEX product_tag_relations_uq ON product_tag_relations (product_id, tag_id) WHERE deleted_at IS NULL;
CREATE INDEX product_tag_relations_tag_idx ON product_tag_relations (tag_id);

CREATE TABLE option_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  priority integer NOT NULL DEFAULT 0,
  name_ko varchar(100) NOT NULL,
  name_en varchar(100) NOT NULL DEFAULT '',
  min_quantity_per_product integer NOT NULL DEFAULT 0 CHECK (min_quantity_per_product >= 0),
  max_quantity_per_product integer NOT NULL DEFAULT 0 CHECK (max_quantity_per_product >= 0),
  max_quantity_per_user integer NOT NULL DEFAULT 0 CHECK (max_quantity_per_user >= 0),
  is_custom_response boolean NOT NULL DEFAULT false,
  custom_response_pattern text NULL,
  response_modifiable_ends_at timestamptz NULL,
  visible_starts_at timestamptz NULL,
  visible_ends_at timestamptz NULL,
  orderable_starts_at timestamptz NULL,
  orderable_ends_at timestamptz NULL,
  ${common},
  CONSTRAINT option_groups_custom_pattern_ck CHECK (NOT is_custom_response OR custom_response_pattern IS NOT NULL)
);
CREATE UNIQUE INDEX option_groups_product_name_uq ON option_groups (product_id, name_ko) WHERE deleted_at IS NULL;

CREATE TABLE options (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id uuid NOT NULL REFERENCES option_groups(id) ON DELETE CASCADE,
  priority integer NOT NULL DEFAULT 0,
  name_ko varchar(100) NOT NULL,
  name_en varchar(100) NOT NULL DEFAULT '',
  max_quantity_per_user integer NOT NULL DEFAULT 0 CHECK (max_quantity_per_user >= 0),
  additional_price integer NOT NULL DEFAULT 0 CHECK (additional_price >= 0),
  stock integer NOT NULL DEFAULT 0,
  ${common}
);
CREATE INDEX options_group_idx ON options (group_id);
CREATE INDEX options_name_ko_idx ON options (name_ko);

CREATE TABLE orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id integer NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
  name_ko text NOT NULL DEFAULT '',
  name_en text NOT NULL DEFAULT '',
  prepared_cart_snapshot jsonb NULL,
  prepared_cart_hash varchar(16) NULL,
  ${common}
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);

CREATE TABLE order_product_relations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NULL REFERENCES orders(id) ON DELETE RESTRICT,
  product_id uuid NOT NULL REFERENCES products(id) ON DELETE RESTRICT,
  status varchar(32) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'used', 'refunded')),
  price integer NOT NULL CHECK (price >= 0),
  donation_price integer NOT NULL DEFAULT 0 CHECK (donation_price >= 0),
  used_at timestamptz NULL,
  used_by text NULL,
  ${common}
);
CREATE INDEX opr_order_idx ON order_product_relations (order_id);
-- stock aggregation: only purchased units count
CREATE INDEX opr_product_purchased_idx ON order_product_relations (product_id) WHERE status IN ('paid', 'used') AND deleted_at IS NULL;

CREATE TABLE order_product_option_relations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_product_relation_id uuid NOT NULL REFERENCES order_product_relations(id) ON DELETE CASCADE,
  product_option_group_id uuid NOT NULL REFERENCES option_groups(id) ON DELETE RESTRICT,
  product_option_id uuid NULL REFERENCES options(id) ON DELETE RESTRICT,
  custom_response text NULL,
  ${common}
);
CREATE INDEX opor_opr_idx ON order_product_option_relations (order_product_relation_id);
CREATE INDEX opor_option_idx ON order_product_option_relations (product_option_id);
CREATE INDEX opor_group_idx ON order_product_option_relations (product_option_group_id);
CREATE INDEX opor_custom_response_idx ON order_product_option_relations (custom_response);

CREATE TABLE single_product_carts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id integer NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
  order_product_relation_id uuid NOT NULL REFERENCES order_product_relations(id) ON DELETE RESTRICT,
  prepared_cart_snapshot jsonb NULL,
  prepared_cart_hash varchar(16) NULL,
  ${common}
);
CREATE UNIQUE INDEX spc_opr_uq ON single_product_carts (order_product_relation_id);
CREATE INDEX spc_user_idx ON single_product_carts (user_id);

CREATE TABLE customer_infos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NULL REFERENCES orders(id) ON DELETE RESTRICT,
  single_product_cart_id uuid NULL REFERENCES single_product_carts(id) ON DELETE RESTRICT,
  name text NOT NULL,
  phone text NOT NULL,
  email text NOT NULL,
  organization text NULL,
  ${common},
  CONSTRAINT customer_infos_one_owner_ck CHECK ((order_id IS NULL) <> (single_product_cart_id IS NULL))
);
CREATE UNIQUE INDEX customer_infos_order_uq ON customer_infos (order_id) WHERE deleted_at IS NULL AND order_id IS NOT NULL;
CREATE UNIQUE INDEX customer_infos_spc_uq ON customer_infos (single_product_cart_id) WHERE deleted_at IS NULL AND single_product_cart_id IS NOT NULL;
CREATE INDEX customer_infos_name_idx ON customer_infos (name);
CREATE INDEX customer_infos_phone_idx ON customer_infos (phone);
CREATE INDEX customer_infos_email_idx ON customer_infos (email);
CREATE INDEX customer_infos_organization_idx ON customer_infos (organization);

-- Append-only payment ledger; the newest row defines the order's status.
CREATE TABLE payment_histories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL REFERENCES orders(id) ON DELETE RESTRICT,
  imp_id varchar(256) NULL,
  status varchar(32) NOT NULL DEFAULT 'completed' CHECK (status IN ('pending', 'completed', 'partial_refunded', 'refunded')),
  price integer NOT NULL CHECK (price >= 0),
  ${common}
);
CREATE INDEX payment_histories_order_idx ON payment_histories (order_id, created_at DESC);
CREATE INDEX payment_histories_imp_idx ON payment_histories (imp_id);
CREATE INDEX payment_histories_status_idx ON payment_histories (status);
-- An order is paid once: the database itself refuses a second 'completed' ledger row (idempotency backstop).
CREATE UNIQUE INDEX payment_histories_one_completed_uq ON payment_histories (order_id) WHERE status = 'completed' AND deleted_at IS NULL;

-- Forensic log of webhook processing; written even when the processing transaction rolls back.
CREATE TABLE payment_webhook_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NULL REFERENCES orders(id) ON DELETE SET NULL,
  single_product_cart_id uuid NULL,
  payment_history_id uuid NULL REFERENCES payment_histories(id) ON DELETE SET NULL,
  imp_uid varchar(256) NULL,
  merchant_uid varchar(256) NULL,
  event_type varchar(32) NOT NULL CHECK (event_type IN ('webhook_received', 'payment_lookup_succeeded', 'payment_lookup_failed', 'payment_accepted', 'payment_rejected', 'cancel_succeeded', 'cancel_failed')),
  reason_code varchar(128) NULL,
  reason text NULL,
  request_payload jsonb NULL,
  payment_lookup_response jsonb NULL,
  cancel_response jsonb NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_webhook_events_type_idx ON payment_webhook_events (event_type);
CREATE INDEX payment_webhook_events_reason_idx ON payment_webhook_events (reason_code);
CREATE INDEX payment_webhook_events_order_idx ON payment_webhook_events (order_id);
CREATE INDEX payment_webhook_events_imp_idx ON payment_webhook_events (imp_uid);

-- Service principals (e.g. the registration desk). Only a hash of the secret is stored.
CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(100) NOT NULL,
  key varchar(64) NOT NULL,
  secret_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NULL,
  revoked_at timestamptz NULL
);
CREATE UNIQUE INDEX api_keys_key_uq ON api_keys (key);
CREATE UNIQUE INDEX api_keys_name_active_uq ON api_keys (name) WHERE revoked_at IS NULL;

-- One audit row per change of a history-tracked row or per domain action (e.g. shop.order.refunded).
CREATE TABLE audit_logs (
  id bigserial PRIMARY KEY,
  table_name varchar(64) NOT NULL,
  record_id varchar(64) NOT NULL,
  action varchar(64) NOT NULL,
  actor_user_id integer NULL REFERENCES users(id) ON DELETE SET NULL,
  actor_label varchar(200) NULL,
  reason text NULL,
  before jsonb NULL,
  after jsonb NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_record_idx ON audit_logs (table_name, record_id, created_at);
CREATE INDEX audit_logs_created_idx ON audit_logs (created_at);
`;

const down = `
DROP TABLE IF EXISTS audit_logs;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS payment_webhook_events;
DROP TABLE IF EXISTS payment_histories;
DROP TABLE IF EXISTS customer_infos;
DROP TABLE IF EXISTS single_product_carts;
DROP TABLE IF EXISTS order_product_option_relations;
DROP TABLE IF EXISTS order_product_relations;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS options;
DROP TABLE IF EXISTS option_groups;
DROP TABLE IF EXISTS product_tag_relations;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS tags;
DROP TABLE IF EXISTS categories;
DROP TABLE IF EXISTS category_groups;
DROP TABLE IF EXISTS social_accounts;
DROP TABLE IF EXISTS users;
`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(up);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(down);
  },
};
