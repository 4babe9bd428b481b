"""OGC API Features reads: one statement per request, the document built by PostGIS.

Each layer's feature source is its reviewed SQL file or the SELECT its catalogue entry gives
(`layers.schema.source_sql`); this module wraps it with the request's filters. Identifiers come only from the registry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection, TextClause, text

from gis.adb import Reader
from gis.srs import DECIMALS, VN2000, WGS84, transformer
from layers import editing
from layers.access import visible_columns
from layers.accounts import User
from layers.cql2 import Filter
from layers.registry import LayerSpec
from layers.schema import source_sql

# Where the storage grid (EPSG:5897) holds: EPSG's area of use (103.5-106.5 E, 8.3-23.4 N)
# widened a few degrees. Far outside it the transverse Mercator breaks down (a world envelope
# comes out as a sliver), so a bbox is clipped to this area before it is transformed. Every
# stored feature lies inside it: a bbox covering all of it selects everything.
GRID_LONLAT = (99.0, 4.0, 111.0, 28.0)


@dataclass(frozen=True)
class BBox:
    """A bounding box in some CRS, axis order already normalised to x/y (lon/lat)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    srid: int = WGS84


@cache
def grid_area(srid: int) -> tuple[float, float, float, float]:
    """GRID_LONLAT as (xmin, ymin, xmax, ymax) in `srid` coordinates."""
    if srid == WGS84:
        return GRID_LONLAT
    x1, y1, x2, y2 = transformer(WGS84, srid).transform_bounds(*GRID_LONLAT, densify_pts=21)
    return float(x1), float(y1), float(x2), float(y2)


def covers_grid(b: BBox) -> bool:
    """Whether a bbox holds the whole area of the storage grid (and so every feature)."""
    gx1, gy1, gx2, gy2 = grid_area(b.srid)
    return b.xmin <= gx1 and b.ymin <= gy1 and b.xmax >= gx2 and b.ymax >= gy2


def clip_to_grid(b: BBox) -> BBox | None:
    """The part of a bbox inside the storage grid's area; None when they do not meet."""
    gx1, gy1, gx2, gy2 = grid_area(b.srid)
    x1, y1, x2, y2 = max(b.xmin, gx1), max(b.ymin, gy1), min(b.xmax, gx2), min(b.ymax, gy2)
    if x1 > x2 or y1 > y2:
        return None
    return BBox(x1, y1, x2, y2, b.srid)


@dataclass(frozen=True)
class Query:
    """What a request asks of a layer's items."""

    limit: int = 100
    offset: int = 0
    bbox: BBox | None = None
    out_srid: int = WGS84
    lat_lon: bool = False
    datetime: tuple[dt.date | None, dt.date | None] | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    as_of: dt.date | None = None
    reader: User | None = None  # who reads: staff-only attributes are left out for others
    filter: Filter | None = None  # CQL2 (`layers.cql2.compile_filter`)


@cache
def feature_source(spec: LayerSpec, as_of: bool = False) -> str:
    """The layer's feature SELECT, as written in its SQL file.

    A layer with a status history reads the day in `:as_of`; without `as_of` that is the
    constant NULL (today's state), which the planner folds away.
    """
    body = source_sql(spec).strip().rstrip(";")
    return body if as_of else body.replace(":as_of", "NULL")


def _geometry_expr(q: Query) -> str:
    geom = "f.geom" if q.out_srid == VN2000 else "ST_Transform(f.geom, :out_srid)"
    if q.lat_lon:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {DECIMALS[q.out_srid]})"


_COLUMNS: dict[str, tuple[str, ...]] = {}


def property_columns(conn: Connection, spec: LayerSpec) -> tuple[str, ...]:
    """The columns of the layer's feature source other than id and geom (read once)."""
    if spec.id not in _COLUMNS:
        keys = conn.execute(text(f"SELECT * FROM ({feature_source(spec)}) f LIMIT 0")).keys()
        _COLUMNS[spec.id] = tuple(k for k in keys if k not in ("id", "geom"))
    return _COLUMNS[spec.id]


def reader_columns(conn: Connection, spec: LayerSpec, q: Query) -> tuple[str, ...]:
    """The properties the request's reader may see (staff-only ones left out for others)."""
    return visible_columns(spec, property_columns(conn, spec), q.reader)


def _feature_expr(q: Query, columns: tuple[str, ...]) -> str:
    # json_build_object over named columns is about 3x faster than to_jsonb(row) - 'geom',
    # which would first serialise the geometry only to drop it.
    props = ", ".join(f"'{c}', f.{c}" for c in columns)
    return (
        "'{\"type\":\"Feature\",\"id\":' || f.id || ',\"geometry\":' || "
        f"{_geometry_expr(q)} || ',\"properties\":' || "
        f"json_build_object({props})::text || '}}'"
    )


def _bbox_clause(bbox: BBox, params: dict[str, Any]) -> str | None:
    """The spatial filter of a bbox; None when the bbox holds every feature."""
    if covers_grid(bbox):
        return None
    b = clip_to_grid(bbox)
    if b is None:
        return "false"
    params.update(xmin=b.xmin, ymin=b.ymin, xmax=b.xmax, ymax=b.ymax, bbox_srid=b.srid)
    env = "ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, :bbox_srid)"
    if b.srid == WGS84:
        # Straight lon/lat edges curve on the grid: ~55 m segments, longer on a large bbox.
        params["seg"] = max(0.0005, (b.xmax - b.xmin + b.ymax - b.ymin) / 2000)
        env = f"ST_Segmentize({env}, :seg)"
    return f"ST_Intersects(f.geom, ST_Transform({env}, {VN2000}))"


def where_clause(spec: LayerSpec, q: Query, params: dict[str, Any]) -> str:
    """The WHERE condition of a request over the layer's feature source (alias f), values bound."""
    clauses = ["true"]
    if q.bbox is not None and (spatial := _bbox_clause(q.bbox, params)):
        clauses.append(spatial)
    if q.datetime is not None and spec.datetime:
        start, end = q.datetime
        first, last = spec.datetime[0], spec.datetime[-1]
        if end is not None:
            params["dt_end"] = end
            clauses.append(f"f.{first} <= :dt_end")
        if start is not None:
            params["dt_start"] = start
            clauses.append(
                f"coalesce(f.{last}, 'infinity') >= :dt_start" if len(spec.datetime) > 1
                else f"f.{last} >= :dt_start"
            )
        if start is None and end is None:
            clauses.append(f"f.{first} IS NOT NULL")
    for i, (name, value) in enumerate(sorted(q.equals.items())):
        assert spec.queryable(name) is not None
        params[f"eq{i}"] = value
        clauses.append(f"f.{name} = :eq{i}")
    if q.filter is not None:
        params.update(q.filter.params)
        clauses.append(q.filter.sql)
    return " AND ".join(clauses)


# Tables larger than this (planner's estimate) report an estimated numberMatched when unfiltered.
ESTIMATE_ABOVE = 50_000


@lru_cache(maxsize=1024)
def _statement(sql: str) -> TextClause:
    """The statement of one shape of query (layer, filters given, output CRS), parsed once.

    Values are bound, so a statement's text depends only on the layer and which filters a
    request uses: a few dozen shapes per layer, each parsed and compiled once per process.
    """
    return text(sql)


def _items_statement(spec: LayerSpec, q: Query, columns: tuple[str, ...]
                     ) -> tuple[TextClause, dict[str, Any]]:
    """The statement of one page (numberMatched, numberReturned, joined features) and its values."""
    params: dict[str, Any] = {"limit": q.limit, "offset": q.offset, "out_srid": q.out_srid,
                              "as_of": q.as_of}
    where = where_clause(spec, q, params)
    matched = f"(SELECT count(*) FROM src f WHERE {where})"
    if where == "true" and q.as_of is None:
        # An unfiltered count of a large table costs more than the page: estimate it there.
        params["estimate_above"] = ESTIMATE_ABOVE
        matched = (f"(SELECT CASE WHEN c.reltuples > :estimate_above THEN c.reltuples::bigint "
                   f"ELSE {matched} END FROM pg_class c WHERE c.oid = '{spec.table}'::regclass)")
    sql = f"""
WITH src AS NOT MATERIALIZED ({feature_source(spec, q.as_of is not None)})
SELECT {matched} AS matched,
       count(*) AS returned,
       coalesce(string_agg({_feature_expr(q, columns)}, ',' ORDER BY f.id), '')
         AS features
FROM (SELECT * FROM src f WHERE {where} ORDER BY f.id LIMIT :limit OFFSET :offset) f
"""
    return _statement(sql), params


def items(conn: Connection, spec: LayerSpec, q: Query) -> tuple[int, int, str]:
    """(numberMatched, numberReturned, comma-joined features) of one page."""
    sql, params = _items_statement(spec, q, reader_columns(conn, spec, q))
    row = conn.execute(sql, params).one()
    return int(row.matched), int(row.returned), row.features


@lru_cache(maxsize=256)
def _item_statement(spec: LayerSpec, columns: tuple[str, ...], out_srid: int,
                    lat_lon: bool) -> TextClause:
    """The one-feature statement of a layer for one output CRS and axis order."""
    q = Query(out_srid=out_srid, lat_lon=lat_lon)
    return text(f"""
WITH src AS ({feature_source(spec)})
SELECT {_feature_expr(q, columns)} FROM src f WHERE f.id = :fid
""")


def item(conn: Connection, spec: LayerSpec, feature_id: int, q: Query) -> str | None:
    """One feature as a GeoJSON Feature, or None."""
    sql = _item_statement(spec, reader_columns(conn, spec, q), q.out_srid, q.lat_lon)
    return conn.execute(sql, {"fid": feature_id, "out_srid": q.out_srid}).scalar_one_or_none()


# --- the hot routes' reads, on an async pool (or a connection the caller holds) ----------------


async def reader_columns_async(db: Reader, spec: LayerSpec, q: Query) -> tuple[str, ...]:
    """`reader_columns` through a Reader (the source's columns are read once per process)."""
    if spec.id not in _COLUMNS:
        keys = await db.columns(text(f"SELECT * FROM ({feature_source(spec)}) f LIMIT 0"))
        _COLUMNS[spec.id] = tuple(k for k in keys if k not in ("id", "geom"))
    return visible_columns(spec, _COLUMNS[spec.id], q.reader)


async def items_async(db: Reader, spec: LayerSpec, q: Query) -> tuple[int, int, bytes]:
    """(numberMatched, numberReturned, comma-joined features as UTF-8) of one page."""
    sql, params = _items_statement(spec, q, await reader_columns_async(db, spec, q))
    row = await db.row(sql, params)
    assert row is not None
    return int(row[0]), int(row[1]), row[2]


@lru_cache(maxsize=256)
def _item_etag_statement(spec: LayerSpec, columns: tuple[str, ...], out_srid: int,
                         lat_lon: bool) -> TextClause:
    """One feature and its ETag (`layers.editing`'s row version) in one round trip."""
    feature = _item_statement(spec, columns, out_srid, lat_lon).text
    # The ETag's SQL is the editing module's own (the rule of a feature's version, once).
    tag = editing.etag_sql(spec)
    return text(f"SELECT ({feature}) AS feature, (\n{tag}\n) AS etag")


async def item_async(db: Reader, spec: LayerSpec, feature_id: int, q: Query
                     ) -> tuple[bytes, str] | None:
    """One feature as a GeoJSON Feature (UTF-8) and its strong ETag, or None."""
    sql = _item_etag_statement(spec, await reader_columns_async(db, spec, q), q.out_srid,
                               q.lat_lon)
    # A primary-key lookup: its plan cannot depend on the id, so it is planned once.
    row = await db.row(sql, {"fid": feature_id, "id": feature_id, "out_srid": q.out_srid},
                       generic=True)
    if row is None or row[0] is None:
        return None
    return row[0], (row[1] or b"").decode()


def extent(conn: Connection, spec: LayerSpec) -> dict[str, Any]:
    """Spatial extent (CRS84) and temporal extent of a layer."""
    cols = spec.datetime
    temporal = (
        f", (SELECT min({cols[0]})::text FROM {spec.table}), "
        f"(SELECT max({cols[-1]})::text FROM {spec.table})" if cols else ", NULL, NULL"
    )
    row = conn.execute(text(
        f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e){temporal} FROM ("
        f" SELECT ST_Transform(ST_Segmentize(ST_SetSRID(ST_Extent(geom)::geometry, {VN2000}), 50), 4326) AS e"
        f" FROM {spec.table}) x"
    )).one()
    out: dict[str, Any] = {}
    if row[0] is not None:
        out["spatial"] = {"bbox": [[round(v, 7) for v in row[:4]]],
                          "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    if cols:
        out["temporal"] = {"interval": [[row[4], row[5]]],
                           "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return out
