"""Accounts, sign-in and the append-only audit log.

- `users`: a name, an argon2id password hash, a role (viewer, editor, admin), disabled or not;
  `user_scopes`: the administrative units (ids of `admin_units`) where an editor may write.
  The unit ids are checked against `admin_units` when they are given, not by a foreign key:
  units come and go with their validity periods, a scope outlives them.
- `api_tokens`: personal access tokens, stored as SHA-256 digests, with an expiry, revocable.
- `sessions`: browser sessions, the cookie's id and its CSRF token stored as digests.
- `login_attempts`: failed and successful sign-ins, by account and address, for throttling.
- `audit_log`: every write (who, when, through what, which feature, before and after). The
  database refuses to update, delete or truncate it, whoever asks: a statement trigger that
  fires even with `session_replication_role = replica`, and no UPDATE, DELETE or TRUNCATE
  privilege for anyone (a superuser passes privilege checks, not the trigger).

Revision ID: 0401
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0401"
down_revision = "0003"
branch_labels = ("accounts",)
depends_on = None

UPGRADE = """
CREATE TABLE users (
  id             serial PRIMARY KEY,
  name           text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  role           text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_scopes (
  user_id  integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  unit_id  text NOT NULL CHECK (btrim(unit_id) <> ''),
  PRIMARY KEY (user_id, unit_id)
);

CREATE TABLE api_tokens (
  id            serial PRIMARY KEY,
  user_id       integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  prefix        text NOT NULL UNIQUE,
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE sessions (
  id_hash     text PRIMARY KEY,
  user_id     integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  address     text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE login_attempts (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  name     text NOT NULL,
  address  text NOT NULL,
  ok       boolean NOT NULL
);
CREATE INDEX login_attempts_name_idx ON login_attempts (lower(name), at);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, at);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     integer NOT NULL REFERENCES users(id),
  actor       text NOT NULL CHECK (btrim(actor) <> ''),
  via         text NOT NULL CHECK (via IN ('api', 'map', 'cli', 'import')),
  layer       text NOT NULL,
  feature_id  bigint,
  operation   text NOT NULL CHECK (operation IN ('insert', 'update', 'delete', 'status', 'restore')),
  before      jsonb,
  after       jsonb,
  restores    bigint REFERENCES audit_log(id),
  note        text,
  CHECK (operation <> 'restore' OR restores IS NOT NULL)
);
CREATE INDEX audit_log_feature_idx ON audit_log (layer, feature_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'Nhật ký thay đổi chỉ được ghi thêm, không được sửa hay xóa (%) / '
                  'The audit log is append-only: % is refused', TG_OP, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_log FROM CURRENT_USER;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS audit_log_refuse_change();
DROP TABLE IF EXISTS login_attempts;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS user_scopes;
DROP TABLE IF EXISTS users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
