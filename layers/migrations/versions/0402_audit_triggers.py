"""The audit log written by the database: every insert, update and delete of a layer's features.

Whichever way a write arrives (the API, the map, `quyhoach import`, `quyhoach status set`, plain
SQL), three statement-level triggers per layer table write one `audit_log` entry per feature,
with the feature before and after. Statement triggers read the changed rows from transition
tables, so an import of 100 000 rows costs one INSERT ... SELECT, not 100 000 trigger calls;
PostgreSQL allows one event per trigger with transition tables, hence three.

Who wrote and through what come from the transaction's settings, set by every writer:
`SELECT set_config('quyhoach.actor', :name, true), set_config('quyhoach.via', :via, true)`
(and optionally `quyhoach.note`); unset, the entry names `system`. An update that only moves
a project or plan along its status history is a `status` entry; an insert that puts back a
deleted feature (`quyhoach.restores` set to the deletion's entry) is a `restore` entry.

`attach_audit(table)` creates a table's triggers; a layer added later calls it in its own
migration. Status events record the acting user too (`recorded_by` defaults to it).

Revision ID: 0402
Revises: 0401
Create Date: 2026-12-02
"""

from alembic import op

revision = "0402"
down_revision = "0401"
branch_labels = None
depends_on = None

# The tables of the first schema; a layer added through the catalogue attaches its own in its
# generated migration (which depends on this revision).
LAYER_TABLES = ("projects", "parcels", "red_lines", "red_line_markers", "lakes",
                "civilized_streets", "wards")

# The columns a status change of a project or plan writes (the cache of its history).
STATUS_COLUMNS = ("ARRAY['status', 'completed_on', 'drafted_on', 'published_on', 'approved_on', "
                  "'paid_on', 'handed_over_on']")

UPGRADE = f"""
ALTER TABLE audit_log ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_via_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_via_check
  CHECK (via IN ('api', 'map', 'cli', 'import', 'system'));

ALTER TABLE status_events ALTER COLUMN recorded_by
  SET DEFAULT coalesce(nullif(current_setting('quyhoach.actor', true), ''), current_user);

-- Who writes, through what, and why: the transaction's settings, or 'system'.
CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT coalesce(nullif(current_setting('quyhoach.actor', true), ''), 'system') $$;
CREATE FUNCTION audit_via() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT coalesce(nullif(current_setting('quyhoach.via', true), ''), 'system') $$;
CREATE FUNCTION audit_note() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('quyhoach.note', true), '') $$;
CREATE FUNCTION audit_restores() RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('quyhoach.restores', true), '')::bigint $$;

-- A feature as the log keeps it: its columns but the geometry as properties, the geometry as
-- GeoJSON in the storage grid at full precision.
CREATE FUNCTION audit_feature(row_ jsonb, geom geometry) RETURNS jsonb LANGUAGE sql IMMUTABLE
  AS $$ SELECT jsonb_build_object('properties', row_ - 'geom',
                                  'geometry', ST_AsGeoJSON(geom, 9)::jsonb,
                                  'crs', 'EPSG:' || ST_SRID(geom)) $$;

CREATE FUNCTION audit_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (user_id, actor, via, layer, feature_id, operation, after, restores, note)
  SELECT (SELECT u.id FROM users u WHERE u.name = audit_actor()), audit_actor(), audit_via(),
         TG_TABLE_NAME, n.id,
         CASE WHEN audit_restores() IS NULL THEN 'insert' ELSE 'restore' END,
         audit_feature(to_jsonb(n), n.geom), audit_restores(), audit_note()
  FROM new_rows n
  ORDER BY n.id;
  RETURN NULL;
END $$;

CREATE FUNCTION audit_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (user_id, actor, via, layer, feature_id, operation, before, after, note)
  SELECT (SELECT u.id FROM users u WHERE u.name = audit_actor()), audit_actor(), audit_via(),
         TG_TABLE_NAME, n.id,
         CASE WHEN TG_TABLE_NAME IN ('projects', 'parcels')
                   AND to_jsonb(o) - {STATUS_COLUMNS} = to_jsonb(n) - {STATUS_COLUMNS}
              THEN 'status' ELSE 'update' END,
         audit_feature(to_jsonb(o), o.geom), audit_feature(to_jsonb(n), n.geom), audit_note()
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n)
  ORDER BY n.id;
  RETURN NULL;
END $$;

CREATE FUNCTION audit_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (user_id, actor, via, layer, feature_id, operation, before, note)
  SELECT (SELECT u.id FROM users u WHERE u.name = audit_actor()), audit_actor(), audit_via(),
         TG_TABLE_NAME, o.id, 'delete', audit_feature(to_jsonb(o), o.geom), audit_note()
  FROM old_rows o
  ORDER BY o.id;
  RETURN NULL;
END $$;

-- The three audit triggers of a layer table (its features: an integer id and a geom column).
CREATE FUNCTION attach_audit(table_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit_inserted()',
                 table_name || '_audit_insert', table_name);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                 'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_updated()',
                 table_name || '_audit_update', table_name);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit_deleted()',
                 table_name || '_audit_delete', table_name);
END $$;

CREATE FUNCTION detach_audit(table_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', table_name || '_audit_insert', table_name);
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', table_name || '_audit_update', table_name);
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', table_name || '_audit_delete', table_name);
END $$;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS detach_audit(text);
DROP FUNCTION IF EXISTS attach_audit(text);
DROP FUNCTION IF EXISTS audit_deleted();
DROP FUNCTION IF EXISTS audit_updated();
DROP FUNCTION IF EXISTS audit_inserted();
DROP FUNCTION IF EXISTS audit_feature(jsonb, geometry);
DROP FUNCTION IF EXISTS audit_restores();
DROP FUNCTION IF EXISTS audit_note();
DROP FUNCTION IF EXISTS audit_via();
DROP FUNCTION IF EXISTS audit_actor();
ALTER TABLE status_events ALTER COLUMN recorded_by SET DEFAULT current_user;
"""


def upgrade() -> None:
    # Sent as written, without parameters: the PL/pgSQL holds percent signs and colons.
    raw = op.get_bind().connection.driver_connection
    raw.execute(UPGRADE)
    for table in LAYER_TABLES:
        raw.execute(f"SELECT attach_audit('{table}')")


def downgrade() -> None:
    for table in LAYER_TABLES:
        op.execute(f"SELECT detach_audit('{table}')")
    op.execute(DOWNGRADE)
