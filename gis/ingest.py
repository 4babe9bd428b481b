"""Writing features to PostGIS with COPY, and reading files with GDAL (pyogrio)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import Connection


def ewkb_hex(geoms: gpd.GeoSeries, srid: int) -> list[str]:
    """Hex EWKB of each geometry, tagged with `srid`."""
    arr = shapely.set_srid(geoms.values._data if hasattr(geoms.values, "_data") else geoms.values, srid)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Stream rows into `table` with COPY inside the connection's transaction; return the count."""
    raw = conn.connection.driver_connection
    cols = ", ".join(columns)
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def none_if_missing(value: Any) -> Any:
    """Pandas' NaN/NaT/None as None, other values unchanged."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value
