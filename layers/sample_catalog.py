"""Loading the sample of every catalogue layer the fixed loader does not know, and the targets.

A layer whose entry can be imported and which has `data/sample/<id>.geojson` is copied with its
import columns, so a new catalogue entry gets its sample without code. The programme targets
come from `data/sample/programme_targets.csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from gis.ingest import copy_rows, ewkb_hex, none_if_missing
from gis.srs import VN2000
from layers.registry import LAYERS, ImportColumn, LayerSpec

TARGET_COLUMNS = ["programme", "title_vi", "title_en", "district", "period_from", "period_to",
                  "indicator", "ward", "param", "target_min", "target_max"]


class CatalogSampleError(RuntimeError):
    """A sample file does not fit its catalogue entry."""


def _value(value: Any, col: ImportColumn) -> Any:
    """A file value as its column takes it (GDAL reads integers with gaps as floats)."""
    value = none_if_missing(value)
    if value is None:
        return col.default
    if col.kind == "integer":
        return int(value)
    if col.kind == "boolean":
        return bool(value)
    if col.kind == "date":
        return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]
    return value


def _layer_rows(spec: LayerSpec, path: Path) -> tuple[list[str], list[list[Any]]]:
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None or gdf.crs.to_epsg() != VN2000:
        raise CatalogSampleError(f"{path.name}: expected EPSG:{VN2000}, found {gdf.crs}")
    cols = [c for c in spec.import_columns if c.name in gdf.columns and c.references is None]
    missing = [c.name for c in spec.import_columns if c.required and c.name not in gdf.columns]
    if missing:
        raise CatalogSampleError(f"{path.name}: missing required columns {missing}")
    geoms = ewkb_hex(gdf.geometry, VN2000)
    values = gdf[[c.name for c in cols]].astype(object).to_numpy().tolist()
    rows = [[_value(v, c) for v, c in zip(row, cols, strict=True)] + [g]
            for row, g in zip(values, geoms, strict=True)]
    return [c.name for c in cols], rows


def load_catalog_samples(conn: Connection, sample_dir: Path,
                         loaded: Collection[str]) -> dict[str, int]:
    """Replace the contents of the layers not in `loaded` that have a sample file; row counts."""
    counts: dict[str, int] = {}
    for spec in LAYERS.values():
        path = sample_dir / f"{spec.id}.geojson"
        if spec.id in loaded or not spec.import_columns or not path.is_file():
            continue
        columns, rows = _layer_rows(spec, path)
        conn.execute(text(f"TRUNCATE {spec.table} RESTART IDENTITY CASCADE"))
        counts[spec.id] = copy_rows(conn, spec.table, [*columns, "geom"], rows)
    counts.update(load_programme_targets(conn, sample_dir))
    if counts:
        conn.execute(text(f"ANALYZE {', '.join(counts)}"))
    return counts


def load_programme_targets(conn: Connection, sample_dir: Path) -> dict[str, int]:
    """Replace the programme targets with the sample's, when it has them."""
    path = sample_dir / "programme_targets.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and set(TARGET_COLUMNS) - set(rows[0]):
        raise CatalogSampleError(f"{path.name}: expected columns {TARGET_COLUMNS}")
    conn.execute(text("TRUNCATE programme_targets RESTART IDENTITY"))
    n = copy_rows(conn, "programme_targets", TARGET_COLUMNS,
                  ([r[c] or None for c in TARGET_COLUMNS] for r in rows))
    return {"programme_targets": n}
