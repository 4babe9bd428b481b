"""Layer building_permits: Building permits and construction order. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: layer_building_permits
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "layer_building_permits"
down_revision = "0002"
branch_labels = None
depends_on = ("0402",)

UPGRADE = [
    """CREATE TABLE building_permits (
  id SERIAL NOT NULL,
  code TEXT NOT NULL,
  address TEXT,
  district TEXT NOT NULL,
  ward TEXT,
  construction_started_on DATE NOT NULL,
  permit_issued BOOLEAN DEFAULT false NOT NULL,
  permit_no TEXT,
  permit_issued_on DATE,
  built_as_permitted BOOLEAN,
  violation_handled BOOLEAN,
  handled_on DATE,
  geom geometry(POINT,5897) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT building_permits_district_slug CHECK (district ~ '^[a-z0-9-]+$'),
  CONSTRAINT building_permits_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  CONSTRAINT building_permits_key UNIQUE (code)
)""",
    'CREATE INDEX building_permits_construction_started_on_idx ON building_permits (construction_started_on)',
    'CREATE INDEX building_permits_geom_idx ON building_permits USING gist (geom)',
    "INSERT INTO layer_versions (layer) VALUES ('building_permits') ON CONFLICT DO NOTHING",
    "CREATE TRIGGER building_permits_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON building_permits FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('building_permits')",
    "SELECT attach_audit('building_permits')",
]

DOWNGRADE = [
    "SELECT detach_audit('building_permits')",
    "DELETE FROM layer_versions WHERE layer = 'building_permits'",
    'DROP TABLE IF EXISTS building_permits CASCADE',
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
