"""Reads for map exports and prints: the district in view, the plan shown, the sheet's features.

Each statement is a reviewed file in layers/sql (export.*.sql, print.*.sql); the figures of an
export come from layers.queries.clearance_stats, as every other output's do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from gis.db import load_sql
from layers.features import feature_source
from layers.registry import LAYERS

SOURCE_MARK = "/*source*/"


@dataclass(frozen=True)
class PlanInfo:
    """The 1/2000 plan shown as a backdrop."""

    id: int
    name: str
    decision: str | None
    approved_on: dt.date | None
    kind: str
    file_path: str | None


@dataclass(frozen=True)
class SheetFeature:
    """One feature on a sheet: its properties and its clipped geometry (WKB, sheet grid)."""

    props: dict[str, Any]
    wkb: bytes


def district_at(conn: Connection, lon: float, lat: float, storage_srid: int) -> str | None:
    """The district of the ward nearest to a lon/lat point (None when there are no wards)."""
    return conn.execute(load_sql("export.district_at.sql"),
                        {"lon": lon, "lat": lat, "storage_srid": storage_srid}).scalar()


def plan_info(conn: Connection, plan_id: int) -> PlanInfo | None:
    """The plan of an id, or None."""
    row = conn.execute(load_sql("export.plan.sql"), {"plan_id": plan_id}).one_or_none()
    if row is None:
        return None
    return PlanInfo(row.id, row.name, row.decision, row.approved_on, row.kind, row.file_path)


def data_date(conn: Connection, layers: tuple[str, ...]) -> dt.date | None:
    """The day the given layers last changed (None when never recorded)."""
    when = conn.execute(load_sql("export.data_date.sql"), {"layers": list(layers)}).scalar()
    return when.date() if when is not None else None


def _frame(extent: tuple[float, float, float, float], sheet_srid: int,
           storage_srid: int) -> dict[str, Any]:
    xmin, ymin, xmax, ymax = extent
    return {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax,
            "sheet_srid": sheet_srid, "storage_srid": storage_srid}


def sheet_features(conn: Connection, layer_id: str, extent: tuple[float, float, float, float],
                   district: str, as_of: dt.date | None, sheet_srid: int,
                   storage_srid: int) -> list[SheetFeature]:
    """A layer's features of a district within `extent` (sheet grid), as it stood on `as_of`."""
    source = feature_source(LAYERS[layer_id], as_of is not None)
    sql = load_sql("print.features.sql").text.replace(SOURCE_MARK, f"\n{source}\n")
    rows = conn.execute(text(sql), {**_frame(extent, sheet_srid, storage_srid),
                                    "district": district, "as_of": as_of})
    return [SheetFeature(orjson.loads(r.props), bytes(r.wkb)) for r in rows if r.wkb is not None]


def sheet_zones(conn: Connection, plan_id: int, extent: tuple[float, float, float, float],
                sheet_srid: int, storage_srid: int) -> list[SheetFeature]:
    """The land-use zones (code, name) of a vector plan within `extent` (sheet grid)."""
    rows = conn.execute(load_sql("print.zones.sql"),
                        {**_frame(extent, sheet_srid, storage_srid), "plan_id": plan_id})
    return [SheetFeature({"code": r.code, "name": r.name}, bytes(r.wkb))
            for r in rows if r.wkb is not None]
