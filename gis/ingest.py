"""Writing features to PostGIS with COPY, and reading files with GDAL (pyogrio)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import shapely
from sqlalchemy import Connection

if TYPE_CHECKING:
    import geopandas as gpd


def ewkb_hex(geoms: gpd.GeoSeries, srid: int) -> list[str]:
    """Hex EWKB of each geometry, tagged with `srid`."""
    arr = shapely.set_srid(geoms.values._data if hasattr(geoms.values, "_data") else geoms.values, srid)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Stream rows into `table` with COPY inside the connection's transaction; return the count.

    The COPY runs with `plan_cache_mode = auto`: PostgreSQL checks each row's foreign keys with
    a prepared statement, which the service's `force_custom_plan` (right for its own bbox
    queries) would plan again for every row, about 0.4 s of server time per 100,000 parcels.
    """
    raw = conn.connection.driver_connection
    cols = ", ".join(columns)
    n = 0
    with raw.cursor() as cur:  # type: ignore[union-attr]
        mode = cur.execute("SELECT current_setting('plan_cache_mode')").fetchone()
        cur.execute("SELECT set_config('plan_cache_mode', 'auto', true)")
        with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        if mode is not None:
            cur.execute("SELECT set_config('plan_cache_mode', %s, true)", (mode[0],))
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
