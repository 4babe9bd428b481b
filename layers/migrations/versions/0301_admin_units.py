"""Administrative units with validity periods, and the succession between old and new units.

A unit (city, district, ward or commune) holds from `valid_from` to `valid_to` (inclusive; NULL:
still valid). `unit_succession` says which old units, whole or in part, make each new one; the
shares of area are not stored but computed from the boundaries (`unit_succession_shares`).

Revision ID: 0301
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0301"
down_revision = "0003"
branch_labels = ("units",)
depends_on = None

# Ground measurement, as for the other layers: the WGS 84 ellipsoid, from VN-2000 storage.
AREA = "ST_Area(ST_Transform({col}, 4326)::geography)"

UPGRADE = f"""
CREATE TABLE admin_units (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9.-]*$'),
  level       text NOT NULL CHECK (level IN ('city', 'district', 'ward', 'commune')),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  parent_id   text REFERENCES admin_units(id),
  valid_from  date NOT NULL,
  valid_to    date CHECK (valid_to >= valid_from),
  geom        geometry(MultiPolygon, 5897) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2     double precision GENERATED ALWAYS AS ({AREA.format(col="geom")}) STORED,
  CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX admin_units_geom_idx ON admin_units USING gist (geom);
CREATE INDEX admin_units_parent_idx ON admin_units (parent_id);
CREATE INDEX admin_units_valid_idx ON admin_units (valid_from, valid_to);

CREATE TABLE unit_succession (
  successor_id    text NOT NULL REFERENCES admin_units(id) ON DELETE CASCADE,
  predecessor_id  text NOT NULL REFERENCES admin_units(id) ON DELETE CASCADE,
  whole           boolean NOT NULL,
  PRIMARY KEY (successor_id, predecessor_id),
  CHECK (successor_id <> predecessor_id)
);
CREATE INDEX unit_succession_predecessor_idx ON unit_succession (predecessor_id);

-- The unit a request names the old way: a district's id, or a ward by its district and name.
CREATE FUNCTION admin_unit_id(district text, ward text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN $2 IS NULL THEN (SELECT u.id FROM admin_units u WHERE u.id = $1)
         ELSE (SELECT c.id FROM admin_units c WHERE c.parent_id = $1 AND c.name = $2
               ORDER BY c.valid_from DESC, c.id LIMIT 1) END
$$;

-- The share of each predecessor's area that went to each successor, from the boundaries.
CREATE VIEW unit_succession_shares AS
SELECT s.successor_id, s.predecessor_id, s.whole, x.shared_m2,
       p.area_m2 AS predecessor_area_m2, n.area_m2 AS successor_area_m2,
       x.shared_m2 / nullif(p.area_m2, 0) AS predecessor_share,
       x.shared_m2 / nullif(n.area_m2, 0) AS successor_share
FROM unit_succession s
JOIN admin_units p ON p.id = s.predecessor_id
JOIN admin_units n ON n.id = s.successor_id
CROSS JOIN LATERAL (
  SELECT coalesce({AREA.format(col="ST_Intersection(p.geom, n.geom)")}, 0) AS shared_m2
) x;
"""

# Writes bump the layer's data version, as for every other layer (migration 0002).
VERSIONED = ["admin_units", "unit_succession"]


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute("INSERT INTO layer_versions (layer) VALUES ('admin_units') ON CONFLICT DO NOTHING")
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('admin_units')"
        )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS unit_succession_shares")
    op.execute("DROP FUNCTION IF EXISTS admin_unit_id(text, text)")
    op.execute("DROP TABLE IF EXISTS unit_succession")
    op.execute("DROP TABLE IF EXISTS admin_units")
    op.execute("DELETE FROM layer_versions WHERE layer = 'admin_units'")
