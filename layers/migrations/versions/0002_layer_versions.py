"""Per-layer data versions, bumped by every write, for cache-safe tile URLs and ETags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Each table bumps its own layer; parcels also bump projects, whose features carry plan figures.
BUMPS = {
    "wards": ["wards"],
    "projects": ["projects"],
    "parcels": ["parcels", "projects"],
    "red_lines": ["red_lines"],
    "red_line_markers": ["red_line_markers"],
    "lakes": ["lakes"],
    "civilized_streets": ["civilized_streets"],
}


def upgrade() -> None:
    op.execute("""
CREATE TABLE layer_versions (
  layer       text PRIMARY KEY,
  version     bigint NOT NULL DEFAULT 1,
  changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY TG_ARGV LOOP
    INSERT INTO layer_versions AS v (layer) VALUES (name)
    ON CONFLICT (layer) DO UPDATE SET version = v.version + 1, changed_at = now();
  END LOOP;
  RETURN NULL;
END $$;
""")
    for table, layers in BUMPS.items():
        args = ", ".join(f"'{name}'" for name in layers)
        op.execute(f"INSERT INTO layer_versions (layer) VALUES ('{table}') ON CONFLICT DO NOTHING")
        op.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version({args})"
        )


def downgrade() -> None:
    for table in BUMPS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_layer_version()")
    op.execute("DROP TABLE IF EXISTS layer_versions")
