"""Layer alleys: Streets and alleys. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: layer_alleys
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "layer_alleys"
down_revision = "0002"
branch_labels = None
depends_on = ("0402",)

UPGRADE = [
    """CREATE TABLE alleys (
  id SERIAL NOT NULL,
  name TEXT NOT NULL,
  district TEXT NOT NULL,
  ward TEXT,
  kind TEXT NOT NULL,
  width_m NUMERIC(5, 2) NOT NULL,
  surface TEXT NOT NULL,
  lamps INTEGER DEFAULT 0,
  lit BOOLEAN DEFAULT false NOT NULL,
  surfaced_on DATE,
  lit_on DATE,
  geom geometry(MULTILINESTRING,5897) NOT NULL,
  length_m FLOAT GENERATED ALWAYS AS (ST_Length(ST_Transform(geom, 4326)::geography)) STORED,
  PRIMARY KEY (id),
  CONSTRAINT alleys_district_slug CHECK (district ~ '^[a-z0-9-]+$'),
  CONSTRAINT alleys_kind_vocab CHECK (kind IN ('street', 'alley')),
  CONSTRAINT alleys_width_m_range CHECK (width_m BETWEEN 0.5 AND 60),
  CONSTRAINT alleys_surface_vocab CHECK (surface IN ('asphalt', 'concrete', 'earth')),
  CONSTRAINT alleys_lamps_range CHECK (lamps BETWEEN 0 AND 10000),
  CONSTRAINT alleys_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
)""",
    'CREATE INDEX alleys_geom_idx ON alleys USING gist (geom)',
    'CREATE INDEX alleys_surfaced_on_idx ON alleys (surfaced_on)',
    "INSERT INTO layer_versions (layer) VALUES ('alleys') ON CONFLICT DO NOTHING",
    "CREATE TRIGGER alleys_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alleys FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('alleys')",
    "SELECT attach_audit('alleys')",
]

DOWNGRADE = [
    "SELECT detach_audit('alleys')",
    "DELETE FROM layer_versions WHERE layer = 'alleys'",
    'DROP TABLE IF EXISTS alleys CASCADE',
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
