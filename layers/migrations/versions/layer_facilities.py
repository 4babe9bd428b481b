"""Layer facilities: Workshops in residential areas. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: layer_facilities
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "layer_facilities"
down_revision = "0002"
branch_labels = None
depends_on = ("0402",)

UPGRADE = [
    """CREATE TABLE facilities (
  id SERIAL NOT NULL,
  name TEXT NOT NULL,
  address TEXT,
  district TEXT NOT NULL,
  ward TEXT,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  listed_on DATE NOT NULL,
  closed_on DATE,
  geom geometry(POINT,5897) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT facilities_district_slug CHECK (district ~ '^[a-z0-9-]+$'),
  CONSTRAINT facilities_kind_vocab CHECK (kind IN ('woodworking', 'laundry', 'metalwork_scrap')),
  CONSTRAINT facilities_status_vocab CHECK (status IN ('operating', 'relocated', 'closed')),
  CONSTRAINT facilities_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
)""",
    'CREATE INDEX facilities_closed_on_idx ON facilities (closed_on)',
    'CREATE INDEX facilities_geom_idx ON facilities USING gist (geom)',
    'CREATE INDEX facilities_listed_on_idx ON facilities (listed_on)',
    "INSERT INTO layer_versions (layer) VALUES ('facilities') ON CONFLICT DO NOTHING",
    "CREATE TRIGGER facilities_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('facilities')",
    "SELECT attach_audit('facilities')",
]

DOWNGRADE = [
    "SELECT detach_audit('facilities')",
    "DELETE FROM layer_versions WHERE layer = 'facilities'",
    'DROP TABLE IF EXISTS facilities CASCADE',
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
