"""Vector tiles (OGC API – Tiles, WebMercatorQuad) built by PostGIS with ST_AsMVT.

A tile's features carry their id and the layer's `tile_columns` (what styles and labels them),
read straight from the layer's table (`layers/sql/tile.mvt.sql`): no joins, no per-feature
figures, never the source geometry. A map's popup reads the whole feature from its item.
Below FULL_DETAIL_ZOOM, features smaller than a few tile pixels are thinned out, the largest
kept first up to a cap, and geometries are simplified by less than a screen pixel; from it on,
ST_AsMVTGeom's quantisation to the tile grid is the only generalisation and nothing is sorted.
"""

from __future__ import annotations

import datetime as dt
import zlib
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.engine import Dialect

from gis.adb import Reader
from gis.srs import VN2000, WEB_MERCATOR
from layers.cql2 import Filter
from layers.features import extent, feature_source, grid_area
from layers.registry import LayerSpec

EXTENT = 4096
BUFFER = 64
WORLD_M = 40_075_016.685578488
MAX_FEATURES = 20_000
FULL_DETAIL_ZOOM = 15
MAX_ZOOM = 22
# Simplification below full detail, in 256-pixel screen pixels: half a pixel does not show.
SIMPLIFY_PX = 0.5
WORLD_BOUNDS = [-180.0, -85.0, 180.0, 85.0]

# Stored ground measure each geometry family is thinned and ordered by.
_MEASURE = {"MultiPolygon": "area_m2", "MultiLineString": "length_m"}


def _thinning(spec: LayerSpec) -> str:
    measure = _MEASURE.get(spec.geometry_type)
    if measure is None:
        return "ORDER BY t.id"  # points are only capped: the same ones in every tile
    return f"AND t.{measure} >= :min_measure ORDER BY t.{measure} DESC, t.id"


def tile_sql(spec: LayerSpec, full_detail: bool, condition: str = "") -> str:
    """The tile statement of a layer at or below full detail (bound as `:name`).

    `condition` is a CQL2 filter's SQL over the layer's feature source `f`.
    """
    body = resources.files("layers").joinpath("sql", "tile.mvt.sql").read_text("utf-8")
    columns = ", ".join(f"t.{c}" for c in spec.tile_columns)
    simplify = spec.geometry_type in _MEASURE and not full_detail
    return (body.replace("/*table*/", spec.table)
            .replace(", /*columns*/", f", {columns}" if columns else "")
            .replace("/*geom*/", "ST_Simplify(t.geom, :tolerance, true)" if simplify else "t.geom")
            .replace("/*thin*/", _filtered(spec, condition)
                     + ("" if full_detail else _thinning(spec))))


def _filtered(spec: LayerSpec, condition: str) -> str:
    if not condition:
        return ""
    return f"AND t.id IN (SELECT f.id FROM ({feature_source(spec)}) f WHERE {condition}) "


@cache
def tile_format(spec: LayerSpec) -> str:
    """A short tag of what a layer's tiles are made of, which changes with their SQL or columns."""
    return f"{zlib.crc32((tile_sql(spec, True) + tile_sql(spec, False)).encode()):08x}"


@lru_cache(maxsize=512)
def _driver_sql(spec: LayerSpec, full_detail: bool, dialect: Dialect, condition: str = "") -> str:
    """The tile statement in the driver's own parameter style, compiled once."""
    return str(text(tile_sql(spec, full_detail, condition)).compile(dialect=dialect))


def _pixel_m(z: int) -> float:
    """One screen pixel (of a 256-pixel tile) in Web Mercator metres at zoom z."""
    return WORLD_M / (256 * 2**z)


def tile_params(spec: LayerSpec, z: int, x: int, y: int) -> dict[str, Any]:
    """The values bound in a layer's tile statement."""
    gx1, gy1, gx2, gy2 = grid_area(WEB_MERCATOR)
    # Features under two pixels across are thinned out: a length, or an area's square.
    min_size = 2 * _pixel_m(z)
    return {
        "z": z, "x": x, "y": y, "layer": spec.id, "srid": VN2000,
        "extent": EXTENT, "buffer": BUFFER, "margin": BUFFER / EXTENT,
        "max_features": MAX_FEATURES, "gx1": gx1, "gy1": gy1, "gx2": gx2, "gy2": gy2,
        "min_measure": min_size**2 if spec.geometry_type == "MultiPolygon" else min_size,
        # Applied in the storage grid's ground metres: about 7 % more in Web Mercator's at
        # Hanoi's latitude, still under a pixel.
        "tolerance": SIMPLIFY_PX * _pixel_m(z),
    }


def tile(conn: Connection, spec: LayerSpec, z: int, x: int, y: int,
         flt: Filter | None = None) -> tuple[int, bytes]:
    """(layer version, MVT bytes) of one tile; an empty area gives zero bytes.

    The tile comes back in the binary protocol: the bytea is the body as the server sent it,
    not hex text to decode.
    """
    sql = _driver_sql(spec, z >= FULL_DETAIL_ZOOM, conn.dialect, flt.sql if flt else "")
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cur:
        params = tile_params(spec, z, x, y) | (flt.params if flt else {})
        row = cur.execute(sql, params).fetchone()
    version, body = row if row is not None else (0, b"")
    return int(version or 0), body or b""


@lru_cache(maxsize=512)
def _tile_statement(spec: LayerSpec, full_detail: bool, condition: str = "") -> TextClause:
    """The tile statement of a layer as a bound-parameter statement, built once."""
    return text(tile_sql(spec, full_detail, condition))


async def tile_async(db: Reader, spec: LayerSpec, z: int, x: int, y: int,
                     flt: Filter | None = None) -> tuple[int, bytes]:
    """`tile` through a Reader: (layer version, MVT bytes), zero bytes for an empty area."""
    sql = _tile_statement(spec, z >= FULL_DETAIL_ZOOM, flt.sql if flt else "")
    row = await db.row(sql, tile_params(spec, z, x, y) | (flt.params if flt else {}))
    version, body = row if row is not None else (0, b"")
    return int(version or 0), body or b""


_STATE_SQL = text("SELECT version, changed_at FROM layer_versions WHERE layer = :l")


async def version_async(db: Reader, spec: LayerSpec) -> int:
    """`version` through a Reader."""
    row = await db.row(_STATE_SQL, {"l": spec.id}, generic=True)  # a primary-key lookup
    return int(row[0]) if row is not None else 0


def _state(conn: Connection, spec: LayerSpec) -> tuple[int, dt.datetime | None]:
    row = conn.execute(_STATE_SQL, {"l": spec.id}).one_or_none()
    return (int(row.version), row.changed_at) if row is not None else (0, None)


def version(conn: Connection, spec: LayerSpec) -> int:
    """The layer's data version (bumped by every write to it)."""
    return _state(conn, spec)[0]


# (database, layer) -> (version, changed_at, CRS84 bounds): one entry per layer and database.
_BOUNDS: dict[tuple[str, str], tuple[int, dt.datetime, list[float]]] = {}


def versioned_bounds(conn: Connection, spec: LayerSpec) -> tuple[int, list[float]]:
    """(data version, CRS84 bounds) of a layer; the bounds are computed once per data version.

    The version's change time is part of the key, so that a version number reused after a
    rolled-back write never serves the bounds of the data that was rolled back.
    """
    ver, changed = _state(conn, spec)
    key = (conn.engine.url.render_as_string(hide_password=True), spec.id)
    cached = _BOUNDS.get(key)
    if cached is not None and changed is not None and cached[:2] == (ver, changed):
        return ver, cached[2]
    bounds = extent(conn, spec).get("spatial", {}).get("bbox", [WORLD_BOUNDS])[0]
    if changed is not None:  # a layer never written has no version to key its bounds on
        _BOUNDS[key] = (ver, changed, bounds)
    return ver, bounds
