"""1/2000 zoning plans: plan sheets (raster or vector), their land-use zones and labels.

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from layers.landuse import LAND_USES

revision = "0101"
down_revision = "0001"
branch_labels = ("plans",)
depends_on = None

AREA = "ST_Area(ST_Transform({col}, 4326)::geography)"
VALID = "ST_IsValid({col}) AND NOT ST_IsEmpty({col})"

UPGRADE = f"""
CREATE TABLE land_uses (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]+$'),
  name_vi     text NOT NULL,
  name_en     text NOT NULL,
  color       text NOT NULL CHECK (color ~ '^#[0-9A-Fa-f]{{6}}$'),
  sort_order  integer NOT NULL DEFAULT 0
);

CREATE TABLE plans (
  id             serial PRIMARY KEY,
  name           text NOT NULL CHECK (btrim(name) <> ''),
  decision       text,
  approved_on    date,
  scale          integer NOT NULL DEFAULT 2000 CHECK (scale BETWEEN 100 AND 100000),
  kind           text NOT NULL CHECK (kind IN ('raster', 'vector')),
  source_format  text NOT NULL
                   CHECK (source_format IN ('geotiff', 'world_file', 'gcps', 'dxf', 'vector')),
  source_name    text NOT NULL,
  source_crs     text NOT NULL CHECK (source_crs ~ '^EPSG:[0-9]+$'),
  file_path      text CHECK (file_path ~ '^[0-9a-f]{{16,64}}\\.tif$'),
  georef         jsonb NOT NULL DEFAULT '{{}}'::jsonb,
  is_sample      boolean NOT NULL DEFAULT false,
  footprint      geometry(MultiPolygon, 5897) NOT NULL CHECK ({VALID.format(col="footprint")}),
  area_m2        double precision GENERATED ALWAYS AS ({AREA.format(col="footprint")}) STORED,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'raster') = (file_path IS NOT NULL)),
  CHECK ((kind = 'raster') = (source_format IN ('geotiff', 'world_file', 'gcps')))
);
CREATE INDEX plans_footprint_idx ON plans USING gist (footprint);

CREATE TABLE plan_zones (
  id                    serial PRIMARY KEY,
  plan_id               integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  code                  text NOT NULL REFERENCES land_uses(code),
  name                  text,
  building_density_pct  numeric(5, 2) CHECK (building_density_pct > 0 AND building_density_pct <= 100),
  max_floors            numeric(5, 1) CHECK (max_floors > 0),
  floor_area_ratio      numeric(6, 2) CHECK (floor_area_ratio > 0),
  geom                  geometry(MultiPolygon, 5897) NOT NULL CHECK ({VALID.format(col="geom")}),
  area_m2               double precision GENERATED ALWAYS AS ({AREA.format(col="geom")}) STORED
);
CREATE INDEX plan_zones_geom_idx ON plan_zones USING gist (geom);
CREATE INDEX plan_zones_plan_idx ON plan_zones (plan_id);

CREATE TABLE plan_labels (
  id        serial PRIMARY KEY,
  plan_id   integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  text      text NOT NULL CHECK (text <> ''),
  height    double precision,
  rotation  double precision,
  geom      geometry(Point, 5897) NOT NULL
);
CREATE INDEX plan_labels_geom_idx ON plan_labels USING gist (geom);
CREATE INDEX plan_labels_plan_idx ON plan_labels (plan_id);

-- Writes bump the plan_zones layer's data version (cache-safe tile URLs) when the project keeps
-- one; the table is looked up at run time, so this works whichever migration comes first.
CREATE FUNCTION plan_zones_touched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('layer_versions') IS NOT NULL THEN
    EXECUTE 'INSERT INTO layer_versions AS v (layer) VALUES ($1) ON CONFLICT (layer) DO UPDATE
             SET version = v.version + 1, changed_at = now()' USING 'plan_zones';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER plan_zones_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_zones
  FOR EACH STATEMENT EXECUTE FUNCTION plan_zones_touched();
CREATE TRIGGER plans_version AFTER UPDATE OR DELETE OR TRUNCATE ON plans
  FOR EACH STATEMENT EXECUTE FUNCTION plan_zones_touched();
"""


def upgrade() -> None:

    op.execute(UPGRADE)
    table = sa.table("land_uses", *(sa.column(c) for c in
                                    ("code", "name_vi", "name_en", "color", "sort_order")))
    op.bulk_insert(table, [{"code": u.code, "name_vi": u.name_vi, "name_en": u.name_en,
                            "color": u.color, "sort_order": i} for i, u in enumerate(LAND_USES)])


def downgrade() -> None:
    for table in ("plan_labels", "plan_zones", "plans", "land_uses"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS plan_zones_touched()")
