"""Cadastral references and addresses of parcels; accent- and case-insensitive search indexes.

A parcel carries its cadastral reference (map sheet number and parcel number, "tờ bản đồ số /
thửa đất số") and its address. Names and codes of the searched tables get trigram indexes on
their folded form, `search_fold(text)`: lower case, accents removed (đ as d) by `unaccent`.
`unaccent()` itself is only STABLE (its dictionary could change), so index expressions go
through an IMMUTABLE wrapper that names the dictionary with its schema.

Revision ID: 0302
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0302"
down_revision = "0003"
branch_labels = ("search",)
# Plan zones are searched too: their table must exist first. (Administrative units, a few
# hundred rows, are searched without an index of their own.)
depends_on = ("0101",)

# (index name, table, expression folded)
INDEXES = [
    ("parcels_code_trgm", "parcels", "code"),
    ("parcels_address_trgm", "parcels", "address"),
    ("projects_code_trgm", "projects", "code"),
    ("projects_name_trgm", "projects", "name"),
    ("civilized_streets_name_trgm", "civilized_streets", "name"),
    ("lakes_name_trgm", "lakes", "name"),
    ("red_lines_road_trgm", "red_lines", "road"),
    ("plan_zones_name_trgm", "plan_zones", "name"),
    ("wards_name_trgm", "wards", "name"),
]

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

CREATE FUNCTION public.immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE FUNCTION public.search_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.immutable_unaccent($1)) $$;

ALTER TABLE parcels
  ADD COLUMN map_sheet integer CHECK (map_sheet BETWEEN 1 AND 99999),
  ADD COLUMN parcel_no integer CHECK (parcel_no BETWEEN 1 AND 999999),
  ADD COLUMN address text CHECK (btrim(address) <> '' AND length(address) <= 500),
  ADD CONSTRAINT parcels_cadastral_ref_check CHECK ((map_sheet IS NULL) = (parcel_no IS NULL));
CREATE INDEX parcels_cadastral_ref_idx ON parcels (map_sheet, parcel_no);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for name, table, column in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (search_fold({column}) gin_trgm_ops)")


def downgrade() -> None:
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("""
ALTER TABLE parcels DROP CONSTRAINT IF EXISTS parcels_cadastral_ref_check,
  DROP COLUMN IF EXISTS address, DROP COLUMN IF EXISTS parcel_no, DROP COLUMN IF EXISTS map_sheet;
DROP FUNCTION IF EXISTS search_fold(text);
DROP FUNCTION IF EXISTS immutable_unaccent(text);
""")
