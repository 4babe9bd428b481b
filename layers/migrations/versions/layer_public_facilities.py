"""Layer public_facilities: Public facilities. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: layer_public_facilities
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "layer_public_facilities"
down_revision = "0002"
branch_labels = None
depends_on = ("0402",)

UPGRADE = [
    """CREATE TABLE public_facilities (
  id SERIAL NOT NULL,
  name TEXT NOT NULL,
  district TEXT NOT NULL,
  ward TEXT,
  kind TEXT NOT NULL,
  works TEXT NOT NULL,
  status TEXT NOT NULL,
  planned_year INTEGER,
  completed_on DATE,
  standard_target_year INTEGER,
  national_standard_on DATE,
  geom geometry(POINT,5897) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT public_facilities_district_slug CHECK (district ~ '^[a-z0-9-]+$'),
  CONSTRAINT public_facilities_kind_vocab CHECK (kind IN ('health_station', 'kindergarten', 'primary_school', 'lower_secondary_school', 'administrative_office', 'cultural_house')),
  CONSTRAINT public_facilities_works_vocab CHECK (works IN ('new', 'renovation')),
  CONSTRAINT public_facilities_status_vocab CHECK (status IN ('planned', 'under_construction', 'completed')),
  CONSTRAINT public_facilities_planned_year_range CHECK (planned_year BETWEEN 1990 AND 2100),
  CONSTRAINT public_facilities_standard_target_year_range CHECK (standard_target_year BETWEEN 1990 AND 2100),
  CONSTRAINT public_facilities_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
)""",
    'CREATE INDEX public_facilities_completed_on_idx ON public_facilities (completed_on)',
    'CREATE INDEX public_facilities_geom_idx ON public_facilities USING gist (geom)',
    "INSERT INTO layer_versions (layer) VALUES ('public_facilities') ON CONFLICT DO NOTHING",
    "CREATE TRIGGER public_facilities_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public_facilities FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('public_facilities')",
    "SELECT attach_audit('public_facilities')",
]

DOWNGRADE = [
    "SELECT detach_audit('public_facilities')",
    "DELETE FROM layer_versions WHERE layer = 'public_facilities'",
    'DROP TABLE IF EXISTS public_facilities CASCADE',
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
