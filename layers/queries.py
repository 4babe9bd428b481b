"""Reads of the planning layers: PostGIS builds the document, Python passes the bytes on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection

from gis.db import load_sql
from gis.srs import VN2000, WGS84


@dataclass(frozen=True)
class Area:
    """A rectangle (a map view) in some CRS, x/y order, that restricts the figures."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    srid: int = WGS84


def clearance_stats(
    conn: Connection,
    district: str,
    date_from: dt.date,
    date_to: dt.date,
    ward: str | None = None,
    as_of: dt.date | None = None,
    area: Area | None = None,
    storage_srid: int = VN2000,
) -> str:
    """Clearance figures of a district (or ward, or map view) for a period, as a JSON document.

    With `as_of`, the figures are those the status history gave on that day. With `area`,
    projects and plans are those the area holds, by the rules that wards use.
    """
    params = {"district": district, "ward": ward, "date_from": date_from, "date_to": date_to,
              "as_of": as_of, "storage_srid": storage_srid, "xmin": None, "ymin": None,
              "xmax": None, "ymax": None, "area_srid": None, "area_segment": None}
    if area is not None:
        params.update(xmin=area.xmin, ymin=area.ymin, xmax=area.xmax, ymax=area.ymax,
                      area_srid=area.srid, area_segment=0.0005 if area.srid == WGS84 else 50.0)
    return conn.execute(load_sql("clearance_stats.sql"), params).scalar_one()


@dataclass(frozen=True)
class MapExtent:
    """The lon/lat extent a map opens on (None: no such wards) and the tables' row estimates."""

    bbox: tuple[float, float, float, float] | None  # west, south, east, north
    row_estimates: dict[str, float]


def map_extent(conn: Connection, district: str, ward: str | None,
               tables: tuple[str, ...]) -> MapExtent:
    """The extent of a district's (or ward's) wards and the estimated row count of each table."""
    row = conn.execute(load_sql("map.view.sql"),
                       {"district": district, "ward": ward, "tables": list(tables)}).one()
    bbox = None if row.w is None else (row.w, row.s, row.e, row.n)
    return MapExtent(bbox, orjson.loads(row.row_estimates))


def layer_versions(conn: Connection, layers: tuple[str, ...]) -> dict[str, int]:
    """The data version of each layer (bumped by every write to it; 0 if never written)."""
    rows = conn.execute(load_sql("layer_versions.sql"), {"layers": list(layers)}).all()
    return {row.layer: int(row.version) for row in rows}


def schema_revision(conn: Connection) -> str:
    """The schema revision(s) the database is at, comma-joined."""
    return conn.execute(load_sql("schema.revision.sql")).scalar_one()
