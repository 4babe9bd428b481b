"""Planning schema: wards, clearance projects and parcels, red lines, markers, lakes, streets.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Ground measurement: areas and lengths on the WGS 84 ellipsoid (geography), from VN-2000 storage.
AREA = "ST_Area(ST_Transform(geom, 4326)::geography)"
LENGTH = "ST_Length(ST_Transform(geom, 4326)::geography)"

UPGRADE = f"""
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE wards (
  id        serial PRIMARY KEY,
  district  text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  name      text NOT NULL,
  geom      geometry(MultiPolygon, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2   double precision GENERATED ALWAYS AS ({AREA}) STORED,
  UNIQUE (district, name)
);

CREATE TABLE projects (
  id              serial PRIMARY KEY,
  code            text NOT NULL UNIQUE,
  name            text NOT NULL,
  district        text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  funding         text NOT NULL CHECK (funding IN ('budget', 'non_budget')),
  is_key          boolean NOT NULL DEFAULT false,
  has_complaints  boolean NOT NULL DEFAULT false,
  status          text NOT NULL CHECK (status IN ('planned', 'in_progress', 'completed', 'suspended')),
  started_on      date,
  target_date     date,
  completed_on    date,
  geom            geometry(MultiPolygon, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2         double precision GENERATED ALWAYS AS ({AREA}) STORED,
  CHECK ((status = 'completed') = (completed_on IS NOT NULL)),
  CHECK (completed_on IS NULL OR started_on IS NULL OR completed_on >= started_on)
);

CREATE TABLE parcels (
  id                serial PRIMARY KEY,
  code              text NOT NULL UNIQUE,
  project_id        integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  land_user_kind    text NOT NULL CHECK (land_user_kind IN ('household', 'organisation')),
  status            text NOT NULL CHECK (status IN ('drafted', 'published', 'approved', 'paid', 'handed_over')),
  drafted_on        date,
  published_on      date,
  approved_on       date,
  paid_on           date,
  handed_over_on    date,
  compensation_vnd  numeric(18, 0) NOT NULL DEFAULT 0 CHECK (compensation_vnd >= 0),
  geom              geometry(MultiPolygon, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2           double precision GENERATED ALWAYS AS ({AREA}) STORED,
  CHECK (status = 'drafted' OR published_on IS NOT NULL),
  CHECK (status IN ('drafted', 'published') OR approved_on IS NOT NULL),
  CHECK (status NOT IN ('paid', 'handed_over') OR paid_on IS NOT NULL),
  CHECK (status <> 'handed_over' OR handed_over_on IS NOT NULL),
  CHECK (approved_on IS NULL OR published_on IS NULL OR approved_on >= published_on),
  CHECK (paid_on IS NULL OR approved_on IS NULL OR paid_on >= approved_on),
  CHECK (handed_over_on IS NULL OR paid_on IS NULL OR handed_over_on >= paid_on)
);
CREATE INDEX parcels_project_idx ON parcels (project_id);
CREATE INDEX parcels_approved_on_idx ON parcels (approved_on);

CREATE TABLE red_lines (
  id        serial PRIMARY KEY,
  district  text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  road      text NOT NULL,
  plan_ref  text,
  geom      geometry(MultiLineString, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  length_m  double precision GENERATED ALWAYS AS ({LENGTH}) STORED
);

-- VN-2000 coordinates are kept exactly as surveyed; the point is derived from them.
-- Vietnamese survey sheets write X for northing and Y for easting.
CREATE TABLE red_line_markers (
  id           serial PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  district     text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  road         text NOT NULL,
  red_line_id  integer REFERENCES red_lines(id) ON DELETE SET NULL,
  status       text NOT NULL CHECK (status IN ('planned', 'planted', 'lost', 'replaced')),
  surveyed_on  date,
  northing_m   numeric(12, 3) NOT NULL,
  easting_m    numeric(12, 3) NOT NULL,
  geom         geometry(Point, 5897) GENERATED ALWAYS AS
                 (ST_SetSRID(ST_MakePoint(easting_m::float8, northing_m::float8), 5897)) STORED
);

CREATE TABLE lakes (
  id        serial PRIMARY KEY,
  name      text NOT NULL,
  district  text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  works     text NOT NULL CHECK (works IN ('renovation', 'dredging', 'embankment')),
  status    text NOT NULL CHECK (status IN ('planned', 'in_progress', 'completed')),
  completed_on date,
  geom      geometry(MultiPolygon, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2   double precision GENERATED ALWAYS AS ({AREA}) STORED
);

CREATE TABLE civilized_streets (
  id               serial PRIMARY KEY,
  name             text NOT NULL,
  district         text NOT NULL CHECK (district ~ '^[a-z0-9-]+$'),
  ward             text,
  kind             text NOT NULL CHECK (kind IN ('civilized', 'no_parking_no_vending')),
  year_recognised  integer CHECK (year_recognised BETWEEN 1990 AND 2100),
  status           text NOT NULL CHECK (status IN ('planned', 'recognised', 'maintained')),
  geom             geometry(MultiLineString, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  length_m         double precision GENERATED ALWAYS AS ({LENGTH}) STORED
);
"""

TABLES = ["wards", "projects", "parcels", "red_lines", "red_line_markers", "lakes", "civilized_streets"]


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in TABLES:
        op.execute(f"CREATE INDEX {table}_geom_idx ON {table} USING gist (geom)")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
