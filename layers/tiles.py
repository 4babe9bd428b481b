"""Vector tiles (OGC API – Tiles, WebMercatorQuad) built by PostGIS with ST_AsMVT.

The tile's features come from the layer's own feature source (`layers/sql/<layer>.features.sql`).
At low zooms, features smaller than a few tile pixels are thinned out and the largest kept first
up to a cap, so no tile grows without bound; ST_AsMVTGeom quantises the rest to the tile grid.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from gis.srs import VN2000, WEB_MERCATOR
from layers.features import feature_source, grid_area
from layers.registry import LayerSpec

EXTENT = 4096
BUFFER = 64
WORLD_M = 40_075_016.685578488
MAX_FEATURES = 20_000
FULL_DETAIL_ZOOM = 15
MAX_ZOOM = 22


def _thinning(spec: LayerSpec) -> str:
    if spec.geometry_type == "MultiPolygon":
        return "ST_Area(f.geom) >= :min_size * :min_size"
    if spec.geometry_type == "MultiLineString":
        return "ST_Length(f.geom) >= :min_size"
    return "true"


def tile_statement(spec: LayerSpec) -> str:
    """The SQL that returns (layer version, MVT bytes) for one tile."""
    size = "ST_Area(f.geom) DESC, " if spec.geometry_type == "MultiPolygon" else (
        "ST_Length(f.geom) DESC, " if spec.geometry_type == "MultiLineString" else "")
    # Low-zoom tiles reach far beyond the grid, where transforming them breaks: clip them to it.
    area = ", ".join(repr(v) for v in grid_area(WEB_MERCATOR))
    return f"""
WITH b AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS merc,
         ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}),
                                     ST_MakeEnvelope({area}, {WEB_MERCATOR})::box2d),
                      {VN2000}) AS grid
),
src AS ({feature_source(spec)}),
mvt AS (
  SELECT f.*, ST_AsMVTGeom(ST_Transform(f.geom, 3857), b.merc, {EXTENT}, {BUFFER}) AS mvt_geom
  FROM (
    SELECT f.* FROM src f, b
    WHERE f.geom && b.grid AND ({_thinning(spec)} OR :z >= {FULL_DETAIL_ZOOM})
    ORDER BY {size}f.id
    LIMIT {MAX_FEATURES}
  ) f, b
)
SELECT (SELECT version FROM layer_versions WHERE layer = :layer) AS version,
       (SELECT ST_AsMVT(t.*, :layer, {EXTENT}, 'mvt_geom', 'id')
        FROM (SELECT * FROM mvt WHERE mvt_geom IS NOT NULL) t) AS tile
"""


def _min_size(z: int) -> float:
    """Two tile pixels (of 256) in metres at zoom z, the size below which features thin out."""
    return 2 * WORLD_M / (256 * 2**z)


def tile(conn: Connection, spec: LayerSpec, z: int, x: int, y: int) -> tuple[int, bytes]:
    """(layer version, MVT bytes) of one tile; an empty area gives zero bytes."""
    params = {"z": z, "x": x, "y": y, "layer": spec.id, "min_size": _min_size(z)}
    row = conn.execute(text(tile_statement(spec)), params).one()
    return int(row.version or 0), bytes(row.tile or b"")


def version(conn: Connection, spec: LayerSpec) -> int:
    """The layer's data version (bumped by every write to it)."""
    v = conn.execute(text("SELECT version FROM layer_versions WHERE layer = :l"),
                     {"l": spec.id}).scalar_one_or_none()
    return int(v or 0)
