"""Loading the Long Biên and Hai Bà Trưng sample from data/sample into the layers."""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, text

from core.settings import PROJECT_ROOT
from gis.db import load_sql
from gis.ingest import copy_rows, ewkb_hex, none_if_missing
from gis.srs import VN2000
from layers.admin_units import load_units
from layers.history import mismatches
from layers.plans import load_sample_plans
from layers.sample_catalog import load_catalog_samples
from layers.search import fill_sample_cadastral

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"

# Layer tables in load order, with the file columns copied as they are.
POLYGON_AND_LINE_LAYERS: dict[str, list[str]] = {
    "wards": ["district", "name"],
    "projects": ["code", "name", "district", "funding", "is_key", "has_complaints", "status",
                 "started_on", "target_date", "completed_on"],
    "red_lines": ["district", "road", "plan_ref"],
    "lakes": ["name", "district", "works", "status", "completed_on"],
    "civilized_streets": ["name", "district", "ward", "kind", "year_recognised", "status"],
}
PARCEL_COLUMNS = ["code", "land_user_kind", "status", "drafted_on", "published_on", "approved_on",
                  "paid_on", "handed_over_on", "compensation_vnd", "land_user_name"]
LAYER_TABLES = ["wards", "projects", "parcels", "red_lines", "red_line_markers", "lakes",
                "civilized_streets"]
EVENT_COLUMNS = ["entity", "entity_id", "from_status", "to_status", "effective_on", "recorded_at",
                 "recorded_by", "note"]


# The sample's land users are fictitious: a name made from the plan's code, the same on every
# load, so that staff-only personal data exists to be kept from anonymous readers.
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ",
                "Hồ", "Ngô", "Dương", "Lý")
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Hữu", "Ngọc")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long",
               "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Vân")
COMPANIES = ("Công ty TNHH Thương mại Hồng Hà", "Công ty cổ phần Xây dựng Sông Hồng",
             "Công ty TNHH Sản xuất Minh Phát", "Hợp tác xã Dịch vụ Thăng Long")


def land_user_name(code: str, kind: str) -> str:
    """The sample's fictitious land user of a plan, made from its code."""
    h = zlib.crc32(code.encode("utf-8"))
    if kind != "household":
        return COMPANIES[h % len(COMPANIES)]
    return " ".join((FAMILY_NAMES[h % len(FAMILY_NAMES)],
                     MIDDLE_NAMES[(h >> 8) % len(MIDDLE_NAMES)],
                     GIVEN_NAMES[(h >> 16) % len(GIVEN_NAMES)]))


class SampleError(RuntimeError):
    """The sample files are missing or inconsistent."""


def read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read a sample layer and check it is in VN-2000."""
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None or gdf.crs.to_epsg() != VN2000:
        raise SampleError(f"{path.name}: expected EPSG:{VN2000}, found {gdf.crs}")
    return gdf


def _rows(gdf: gpd.GeoDataFrame, columns: list[str]) -> list[list[object]]:
    geoms = ewkb_hex(gdf.geometry, VN2000)
    values = gdf[columns].astype(object).to_numpy().tolist()
    return [[none_if_missing(v) for v in row] + [g] for row, g in zip(values, geoms, strict=True)]


def _event_rows(path: Path, ids: dict[str, dict[str, int]]) -> list[list[object]]:
    """The sample's status events, with each project's and plan's code replaced by its id."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    unknown = sorted({r["code"] for r in rows if r["code"] not in ids.get(r["entity"], {})})
    if unknown:
        raise SampleError(f"status events refer to unknown projects or plans: {unknown[:5]}")
    return [[r["entity"], ids[r["entity"]][r["code"]], r["from_status"] or None, r["to_status"],
             r["effective_on"], r["recorded_at"], r["recorded_by"], r["note"] or None]
            for r in rows]


def _has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return any(conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar_one()
                   for t in LAYER_TABLES)


def load_sample(engine: Engine, sample_dir: Path = SAMPLE_DIR, if_empty: bool = False,
                plan_store: Path | None = None) -> dict[str, int] | None:
    """Replace the layers' contents with the sample, in one transaction; return row counts."""
    if if_empty and _has_data(engine):
        return None
    frames = {t: read_layer(sample_dir / f"{t}.geojson") for t in POLYGON_AND_LINE_LAYERS}
    parcels = read_layer(sample_dir / "parcels.geojson")
    markers = pd.read_csv(sample_dir / "red_line_markers.csv", dtype={"x": str, "y": str})
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))  # admin work, whatever the engine
        # The sample brings its own status history: no events from rows, history replaced whole.
        conn.execute(text("SELECT set_config('quyhoach.loading_history', 'on', true)"))
        conn.execute(text(f"TRUNCATE {', '.join(LAYER_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(text("TRUNCATE status_events RESTART IDENTITY"))
        for table, columns in POLYGON_AND_LINE_LAYERS.items():
            counts[table] = copy_rows(conn, table, [*columns, "geom"], _rows(frames[table], columns))
        project_ids = dict(conn.execute(text("SELECT code, id FROM projects")).all())
        unknown = set(parcels["project_code"]) - set(project_ids)
        if unknown:
            raise SampleError(f"parcels refer to unknown projects: {sorted(unknown)[:5]}")
        parcels["project_id"] = parcels["project_code"].map(project_ids)
        parcels["land_user_name"] = [land_user_name(code, kind) for code, kind in
                                     zip(parcels["code"], parcels["land_user_kind"], strict=True)]
        cols = ["project_id", *PARCEL_COLUMNS]
        counts["parcels"] = copy_rows(conn, "parcels", [*cols, "geom"], _rows(parcels, cols))
        ids = {"project": project_ids,
               "plan": dict(conn.execute(text("SELECT code, id FROM parcels")).all())}
        counts["status_events"] = copy_rows(conn, "status_events", EVENT_COLUMNS,
                                            _event_rows(sample_dir / "status_events.csv", ids))
        differ = mismatches(conn)
        if differ:
            raise SampleError(f"the status history disagrees with {differ.plans} plans and "
                              f"{differ.projects} projects")
        conn.execute(text("SELECT set_config('quyhoach.loading_history', 'off', true)"))
        marker_rows = (
            [r.code, r.district, r.road, r.status, none_if_missing(r.surveyed_on), r.x, r.y]
            for r in markers.sort_values("code").itertuples()
        )
        counts["red_line_markers"] = copy_rows(
            conn, "red_line_markers",
            ["code", "district", "road", "status", "surveyed_on", "northing_m", "easting_m"],
            marker_rows,
        )
        conn.execute(load_sql("sample.link_markers.sql"))
        fill_sample_cadastral(conn)
        counts.update(load_units(conn, sample_dir))
        counts.update(load_catalog_samples(conn, sample_dir, loaded=LAYER_TABLES))
        conn.execute(text(f"ANALYZE {', '.join(LAYER_TABLES)}, status_events"))

    counts.update(load_sample_plans(engine, store=plan_store))
    return counts
