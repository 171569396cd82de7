'use strict';
/**
 * Background jobs and e-mail notifications.
 *
 * agenda_jobs — the job table of Agenda 6's PostgreSQL backend (@agendajs/postgres-backend 3.0.6), created
 *   here instead of by the backend at connect time (`ensureSchema: false` in src/jobs/agenda.ts): several
 *   processes starting together would otherwise race on CREATE TABLE / CREATE TRIGGER. Same columns,
 *   indexes and updated_at trigger as the package's schema.js. Upgrading the package = check its schema.js
 *   and add a migration for what changed.
 *
 * notification_templates — e-mail templates (`{{ var }}` placeholders), one active per (channel, code,
 *   language); the seeder 20261125000010-notification-templates.cjs adds order_paid / order_refunded (ko, en).
 * notification_histories — one per send (admin "send" or an automatic order event): the template snapshot
 *   and who sent it. `event_key` makes automatic sends idempotent (one e-mail per ledger event).
 * notification_recipients — one per recipient: the rendered message and its delivery state
 *   CREATED → SENDING → SENT | FAILED (claimed with a conditional UPDATE, so a job that runs twice never
 *   sends twice). FAILED with next_attempt_at = a retry is scheduled; FAILED without = given up (last_error).
 */

const common = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT`;

const up = `
CREATE TABLE agenda_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  next_run_at timestamptz,
  type varchar(10) NOT NULL DEFAULT 'normal' CHECK (type IN ('normal', 'single')),
  locked_at timestamptz,
  last_finished_at timestamptz,
  failed_at timestamptz,
  fail_count integer DEFAULT NULL,
  fail_reason text,
  repeat_timezone varchar(100),
  last_run_at timestamptz,
  repeat_interval varchar(255),
  data jsonb DEFAULT '{}'::jsonb,
  repeat_at varchar(255),
  disabled boolean DEFAULT false,
  progress real,
  fork boolean DEFAULT false,
  last_modified_by varchar(255),
  debounce_started_at timestamptz,
  start_date timestamptz,
  end_date timestamptz,
  skip_days jsonb,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);
CREATE INDEX agenda_jobs_find_and_lock_idx ON agenda_jobs (name, next_run_at, priority DESC, locked_at, disabled) WHERE disabled = false;
CREATE UNIQUE INDEX agenda_jobs_single_job_idx ON agenda_jobs (name) WHERE type = 'single';
CREATE INDEX agenda_jobs_locked_at_idx ON agenda_jobs (locked_at) WHERE locked_at IS NOT NULL;
CREATE INDEX agenda_jobs_next_run_at_idx ON agenda_jobs (next_run_at) WHERE next_run_at IS NOT NULL;
CREATE OR REPLACE FUNCTION update_agenda_jobs_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agenda_jobs_updated_at_trigger BEFORE UPDATE ON agenda_jobs FOR EACH ROW EXECUTE FUNCTION update_agenda_jobs_updated_at();

CREATE TABLE notification_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel varchar(32) NOT NULL DEFAULT 'email' CHECK (channel IN ('email')),
  code varchar(64) NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_.-]*$'),
  language varchar(8) NOT NULL DEFAULT 'ko' CHECK (language IN ('ko', 'en')),
  name varchar(200) NOT NULL DEFAULT '',
  subject text NOT NULL,
  body text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  ${common}
);
CREATE UNIQUE INDEX notification_templates_active_uq ON notification_templates (channel, code, language) WHERE active AND deleted_at IS NULL;

CREATE TABLE notification_histories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel varchar(32) NOT NULL,
  template_id uuid NULL REFERENCES notification_templates(id) ON DELETE SET NULL,
  template_code varchar(64) NOT NULL,
  template_language varchar(8) NOT NULL,
  template_snapshot jsonb NOT NULL,
  sender text NOT NULL,
  trigger varchar(32) NOT NULL CHECK (trigger IN ('manual', 'order_paid', 'order_refunded')),
  event_key varchar(200) NULL,
  context_override jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  created_by_label varchar(200) NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notification_histories_event_uq ON notification_histories (event_key) WHERE event_key IS NOT NULL;
CREATE INDEX notification_histories_created_idx ON notification_histories (created_at);

CREATE TABLE notification_recipients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  history_id uuid NOT NULL REFERENCES notification_histories(id) ON DELETE CASCADE,
  order_id uuid NULL REFERENCES orders(id) ON DELETE RESTRICT,
  recipient varchar(320) NOT NULL,
  context jsonb NOT NULL DEFAULT '{}'::jsonb,
  subject text NOT NULL,
  body text NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'CREATED' CHECK (status IN ('CREATED', 'SENDING', 'SENT', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error text NULL,
  next_attempt_at timestamptz NULL,
  claimed_at timestamptz NULL,
  sent_at timestamptz NULL,
  message_id text NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notification_recipients_uq ON notification_recipients (history_id, lower(recipient));
CREATE INDEX notification_recipients_order_idx ON notification_recipients (order_id);
CREATE INDEX notification_recipients_open_idx ON notification_recipients (status, updated_at) WHERE status <> 'SENT';
`;

const down = `
DROP TABLE IF EXISTS notification_recipients;
DROP TABLE IF EXISTS notification_histories;
DROP TABLE IF EXISTS notification_templates;
DROP TABLE IF EXISTS agenda_jobs;
DROP FUNCTION IF EXISTS update_agenda_jobs_updated_at();
`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(up);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(down);
  },
};
