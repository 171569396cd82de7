'use strict';
/**
 * Registration desk day configurations (`/v1/internal-api/registration-desk/`): which categories the desk
 * may write to on which days. Dates are Asia/Seoul calendar days, `end_date` inclusive. Periods of live
 * configurations never overlap (an exclusion constraint, so two operators saving at once cannot both win).
 * `event_name` names the event (the events table is not linked yet); `category_ids` are the categories
 * whose items the desk may check in / edit / refund on those days.
 */
const up = `
CREATE TABLE registration_desk_configs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(100) NOT NULL,
  event_name varchar(200) NOT NULL DEFAULT '',
  start_date date NOT NULL,
  end_date date NOT NULL,
  category_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  CHECK (end_date >= start_date),
  CONSTRAINT registration_desk_configs_no_overlap EXCLUDE USING gist (daterange(start_date, end_date, '[]') WITH &&) WHERE (deleted_at IS NULL)
);
`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(up);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query('DROP TABLE IF EXISTS registration_desk_configs;');
  },
};
