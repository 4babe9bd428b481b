"""Layer green_spaces: Green spaces and water surfaces. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: layer_green_spaces
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "layer_green_spaces"
down_revision = "0002"
branch_labels = None
depends_on = ("0402",)

UPGRADE = [
    """CREATE TABLE green_spaces (
  id SERIAL NOT NULL,
  name TEXT NOT NULL,
  district TEXT NOT NULL,
  ward TEXT,
  kind TEXT NOT NULL,
  created_on DATE,
  maintained_from DATE,
  maintained_to DATE,
  geom geometry(MULTIPOLYGON,5897) NOT NULL,
  area_m2 FLOAT GENERATED ALWAYS AS (ST_Area(ST_Transform(geom, 4326)::geography)) STORED,
  PRIMARY KEY (id),
  CONSTRAINT green_spaces_district_slug CHECK (district ~ '^[a-z0-9-]+$'),
  CONSTRAINT green_spaces_kind_vocab CHECK (kind IN ('flower_garden', 'landscape_feature', 'median_strip', 'park', 'water_surface')),
  CONSTRAINT green_spaces_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
)""",
    'CREATE INDEX green_spaces_geom_idx ON green_spaces USING gist (geom)',
    'CREATE INDEX green_spaces_maintained_from_idx ON green_spaces (maintained_from)',
    'CREATE INDEX green_spaces_maintained_to_idx ON green_spaces (maintained_to)',
    "INSERT INTO layer_versions (layer) VALUES ('green_spaces') ON CONFLICT DO NOTHING",
    "CREATE TRIGGER green_spaces_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON green_spaces FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('green_spaces')",
    "SELECT attach_audit('green_spaces')",
]

DOWNGRADE = [
    "SELECT detach_audit('green_spaces')",
    "DELETE FROM layer_versions WHERE layer = 'green_spaces'",
    'DROP TABLE IF EXISTS green_spaces CASCADE',
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
