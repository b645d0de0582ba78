-- Initial schema, the same columns as postgres/001_init.sql. Timestamps are TEXT holding
-- ISO-8601 UTC with milliseconds (2026-11-25T10:00:00.000Z): the app writes every one with
-- Date#toISOString(), so text order is time order. Booleans are INTEGER 0/1, JSON is TEXT.
-- Constraint and index names match the Postgres ones: src/db/errors.ts reads them.

CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX organizations_name_idx ON organizations (name);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'user'
    CONSTRAINT users_role_check CHECK (role IN ('viewer', 'user', 'admin')),
  disabled INTEGER NOT NULL DEFAULT 0 CONSTRAINT users_disabled_check CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- Global: login is by email alone.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_id_created_at_idx ON users (organization_id, created_at, id);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_jti TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_used_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'user'
    CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'user', 'admin')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_used_at TEXT,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_organization_id_created_at_idx ON api_keys (organization_id, created_at);
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

-- A rowid table (not WITHOUT ROWID): prospects_fts points at rows by rowid.
CREATE TABLE prospects (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  owner_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  first_name TEXT,
  last_name TEXT,
  email TEXT NOT NULL,
  company TEXT,
  title TEXT,
  phone TEXT,
  linkedin_url TEXT,
  status TEXT NOT NULL DEFAULT 'new'
    CONSTRAINT prospects_status_check
    CHECK (status IN ('new', 'contacted', 'qualified', 'proposal', 'won', 'lost')),
  score INTEGER NOT NULL DEFAULT 0
    CONSTRAINT prospects_score_check CHECK (score BETWEEN 0 AND 100),
  tags TEXT NOT NULL DEFAULT '[]'
    CONSTRAINT prospects_tags_check CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  notes TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX prospects_org_email_key ON prospects (organization_id, lower(email));
CREATE INDEX prospects_organization_id_created_at_idx ON prospects (organization_id, created_at, id);
CREATE INDEX prospects_organization_id_score_idx ON prospects (organization_id, score, id);
CREATE INDEX prospects_organization_id_status_idx ON prospects (organization_id, status, created_at);
CREATE INDEX prospects_organization_id_owner_id_idx ON prospects (organization_id, owner_id);
-- SQLite does not index foreign keys itself; without this, deleting a user scans prospects.
CREATE INDEX prospects_owner_id_idx ON prospects (owner_id);

-- External content: the text lives once, in prospects; the triggers below keep the index
-- current. The rowid of a table without INTEGER PRIMARY KEY may change on VACUUM: after one,
-- run INSERT INTO prospects_fts(prospects_fts) VALUES ('rebuild').
CREATE VIRTUAL TABLE prospects_fts USING fts5 (
  first_name, last_name, email, company, title, notes,
  content = 'prospects',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3 4'
);

CREATE TRIGGER prospects_fts_after_insert AFTER INSERT ON prospects BEGIN
  INSERT INTO prospects_fts (rowid, first_name, last_name, email, company, title, notes)
  VALUES (new.rowid, new.first_name, new.last_name, new.email, new.company, new.title, new.notes);
END;

CREATE TRIGGER prospects_fts_after_delete AFTER DELETE ON prospects BEGIN
  INSERT INTO prospects_fts (prospects_fts, rowid, first_name, last_name, email, company, title, notes)
  VALUES ('delete', old.rowid, old.first_name, old.last_name, old.email, old.company, old.title, old.notes);
END;

-- Only when an indexed column changes: status and score updates leave the index alone.
CREATE TRIGGER prospects_fts_after_update
AFTER UPDATE OF first_name, last_name, email, company, title, notes ON prospects BEGIN
  INSERT INTO prospects_fts (prospects_fts, rowid, first_name, last_name, email, company, title, notes)
  VALUES ('delete', old.rowid, old.first_name, old.last_name, old.email, old.company, old.title, old.notes);
  INSERT INTO prospects_fts (rowid, first_name, last_name, email, company, title, notes)
  VALUES (new.rowid, new.first_name, new.last_name, new.email, new.company, new.title, new.notes);
END;

CREATE TABLE idempotency_keys (
  principal TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code INTEGER,
  response_body TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

CREATE TABLE emails (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  prospect_id TEXT NOT NULL REFERENCES prospects (id) ON DELETE CASCADE,
  created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
  api_key_id TEXT REFERENCES api_keys (id) ON DELETE SET NULL,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT,
  status TEXT NOT NULL DEFAULT 'queued'
    CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  locked_until TEXT,
  last_error TEXT,
  message_id TEXT,
  sent_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX emails_status_next_attempt_at_idx ON emails (status, next_attempt_at);
CREATE INDEX emails_organization_id_created_at_idx ON emails (organization_id, created_at, id);
CREATE INDEX emails_organization_id_prospect_id_idx ON emails (organization_id, prospect_id, created_at);
CREATE INDEX emails_prospect_id_idx ON emails (prospect_id);
CREATE INDEX emails_created_by_idx ON emails (created_by);
CREATE INDEX emails_api_key_id_idx ON emails (api_key_id);

-- No foreign keys: usage rows are written in batches off the request path and outlive the
-- users, keys and organizations they mention.
CREATE TABLE api_usage (
  id TEXT PRIMARY KEY,
  user_id TEXT,
  organization_id TEXT,
  api_key_id TEXT,
  endpoint TEXT NOT NULL,
  method TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response_time_ms REAL NOT NULL,
  request_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX api_usage_organization_id_created_at_idx ON api_usage (organization_id, created_at);
