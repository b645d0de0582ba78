-- Initial schema. Ids are UUIDv7 text made by the app; timestamps have millisecond precision
-- (timestamptz(3)) so that a value read back equals the ISO string the app wrote, which keyset
-- cursors rely on. Constraint and index names follow <table>_<columns>_<key|check|fkey|idx>:
-- src/db/errors.ts derives the field of a violation from them.

CREATE TABLE organizations (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX organizations_name_idx ON organizations (name);

CREATE TABLE users (
  id text PRIMARY KEY,
  organization_id text NOT NULL CONSTRAINT users_organization_id_fkey
    REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL DEFAULT 'user'
    CONSTRAINT users_role_check CHECK (role IN ('viewer', 'user', 'admin')),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
-- Global: login is by email alone.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_id_created_at_idx ON users (organization_id, created_at, id);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  user_id text NOT NULL CONSTRAINT sessions_user_id_fkey
    REFERENCES users (id) ON DELETE CASCADE,
  refresh_jti text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at timestamptz(3) NOT NULL,
  revoked_at timestamptz(3),
  revoked_reason text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  organization_id text NOT NULL CONSTRAINT api_keys_organization_id_fkey
    REFERENCES organizations (id) ON DELETE CASCADE,
  created_by text CONSTRAINT api_keys_created_by_fkey
    REFERENCES users (id) ON DELETE SET NULL,
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL CONSTRAINT api_keys_key_hash_key UNIQUE,
  role text NOT NULL DEFAULT 'user'
    CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'user', 'admin')),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at timestamptz(3),
  expires_at timestamptz(3),
  revoked_at timestamptz(3)
);
CREATE INDEX api_keys_organization_id_created_at_idx ON api_keys (organization_id, created_at);

CREATE TABLE prospects (
  id text PRIMARY KEY,
  organization_id text NOT NULL CONSTRAINT prospects_organization_id_fkey
    REFERENCES organizations (id) ON DELETE CASCADE,
  owner_id text CONSTRAINT prospects_owner_id_fkey
    REFERENCES users (id) ON DELETE SET NULL,
  first_name text,
  last_name text,
  email text NOT NULL,
  company text,
  title text,
  phone text,
  linkedin_url text,
  status text NOT NULL DEFAULT 'new'
    CONSTRAINT prospects_status_check
    CHECK (status IN ('new', 'contacted', 'qualified', 'proposal', 'won', 'lost')),
  score integer NOT NULL DEFAULT 0
    CONSTRAINT prospects_score_check CHECK (score BETWEEN 0 AND 100),
  tags jsonb NOT NULL DEFAULT '[]'::jsonb
    CONSTRAINT prospects_tags_check CHECK (jsonb_typeof(tags) = 'array'),
  notes text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  -- 'simple' rather than 'english': names, companies and emails must not be stemmed.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(company, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(first_name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(last_name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(email, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(title, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(notes, '')), 'C')
  ) STORED
);
CREATE UNIQUE INDEX prospects_org_email_key ON prospects (organization_id, lower(email));
CREATE INDEX prospects_organization_id_created_at_idx ON prospects (organization_id, created_at, id);
CREATE INDEX prospects_organization_id_score_idx ON prospects (organization_id, score, id);
CREATE INDEX prospects_organization_id_status_idx ON prospects (organization_id, status, created_at);
CREATE INDEX prospects_organization_id_owner_id_idx ON prospects (organization_id, owner_id);
CREATE INDEX prospects_search_idx ON prospects USING gin (search);
CREATE INDEX prospects_tags_idx ON prospects USING gin (tags jsonb_path_ops);

CREATE TABLE idempotency_keys (
  principal text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  status_code integer,
  response_body text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE emails (
  id text PRIMARY KEY,
  organization_id text NOT NULL CONSTRAINT emails_organization_id_fkey
    REFERENCES organizations (id) ON DELETE CASCADE,
  prospect_id text NOT NULL CONSTRAINT emails_prospect_id_fkey
    REFERENCES prospects (id) ON DELETE CASCADE,
  created_by text CONSTRAINT emails_created_by_fkey
    REFERENCES users (id) ON DELETE SET NULL,
  api_key_id text CONSTRAINT emails_api_key_id_fkey
    REFERENCES api_keys (id) ON DELETE SET NULL,
  to_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text,
  status text NOT NULL DEFAULT 'queued'
    CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
  locked_until timestamptz(3),
  last_error text,
  message_id text,
  sent_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX emails_status_next_attempt_at_idx ON emails (status, next_attempt_at);
CREATE INDEX emails_organization_id_created_at_idx ON emails (organization_id, created_at, id);
CREATE INDEX emails_organization_id_prospect_id_idx ON emails (organization_id, prospect_id, created_at);

-- No foreign keys: usage rows are written in batches off the request path and outlive the
-- users, keys and organizations they mention.
CREATE TABLE api_usage (
  id text PRIMARY KEY,
  user_id text,
  organization_id text,
  api_key_id text,
  endpoint text NOT NULL,
  method text NOT NULL,
  status_code integer NOT NULL,
  response_time_ms double precision NOT NULL,
  request_id text,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX api_usage_organization_id_created_at_idx ON api_usage (organization_id, created_at);
