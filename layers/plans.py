"""1/2000 zoning plans: importing sheets and drawings, lookups and land-use analysis.

An import is all-or-nothing across the database and the plan store: the file is read, placed
and converted in a scratch directory first; the rows are written in one transaction; the stored
sheet is moved into the store just before the commit and removed again if the commit fails.
Stored sheets are named by a digest of their source and georeference, so the same sheet
imported twice (or into two databases sharing a store) is one file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from shapely import make_valid
from shapely.geometry import LineString, MultiPolygon, Polygon
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from core.errors import InvalidDataError, InvalidParameterError, NotFoundError
from core.settings import PROJECT_ROOT, Settings
from gis import georef as G
from gis import raster as R
from gis import safe_open as S
from gis.db import load_sql
from gis.dxf import Drawing, Label, Zone, read_dxf
from gis.ingest import copy_rows
from gis.srs import VN2000, in_hanoi, transformer
from layers import landuse

SAMPLE_PLAN_DIR = PROJECT_ROOT / "data" / "plans"
SAMPLE_STEM = "hbt-h13-thanh-nhan"
PIPELINE = "quyhoach-cog-1"  # part of stored sheets' digests: change it when conversion changes
RASTER_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".zip")
ZIP_DATA = (".shp", ".gpkg", ".geojson", ".json")  # zipped vector plans; DXF and images go alone
SUFFIXES = (*RASTER_SUFFIXES, ".dxf", *VECTOR_SUFFIXES)
CODE_COLUMNS = ("code", "land_use", "landuse", "ma_dat", "madat", "ky_hieu", "kyhieu", "loai_dat",
                "loaidat", "chuc_nang", "chucnang", "ma")
NAME_COLUMNS = ("name", "label", "ten", "ma_lo", "malo", "lo", "plot")
INDICATOR_COLUMNS = {
    "building_density_pct": ("building_density_pct", "density", "mdxd", "mat_do"),
    "max_floors": ("max_floors", "floors", "tang_cao", "tangcao", "tc", "height_floors"),
    "floor_area_ratio": ("floor_area_ratio", "far", "hssdd", "hsd"),
}


@dataclass
class PlanMeta:
    """What the approving decision says of a plan."""
    name: str | None = None
    decision: str | None = None
    approved_on: dt.date | None = None
    scale: int = 2000


@dataclass
class ImportRequest:
    """A plan file and how to place it."""
    path: Path
    filename: str
    meta: PlanMeta = field(default_factory=PlanMeta)
    crs: str | None = None
    world_file: str | None = None
    gcps: list[G.ControlPoint] | None = None
    gcp_crs: str | None = None
    order: int = 1
    max_rms: float | None = None
    force: bool = False
    is_sample: bool = False


@dataclass
class Prepared:
    """An import read and checked, not yet written anywhere."""
    request: ImportRequest
    kind: str
    source_format: str
    source_srid: int
    footprint: MultiPolygon
    georef: dict[str, Any]
    zones: list[Zone] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    cog: Path | None = None
    file_path: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _invalid(exc: G.PlanFileError) -> InvalidDataError:
    return InvalidDataError(exc.message_vi, exc.message_en, detail=exc.detail)


def check_suffix(filename: str) -> str:
    """The file's suffix, refused unless it is a format plans are imported from."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidDataError(
            f"Không nhận định dạng '{suffix or filename}'. Nhận: GeoTIFF, PNG/JPEG (kèm tệp tọa độ "
            "ảnh .pgw/.jgw/.wld hoặc điểm khống chế), DXF, GeoPackage, Shapefile (.zip) và GeoJSON.",
            f"Format '{suffix or filename}' is not accepted. Accepted: GeoTIFF, PNG/JPEG (with a "
            "world file or control points), DXF, GeoPackage, Shapefile (.zip) and GeoJSON.",
        )
    return suffix


def _digest(path: Path, georef: R.Georeference) -> str:
    h = hashlib.sha256(PIPELINE.encode())
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    if georef.fit is not None:
        h.update(repr((georef.fit.order, georef.fit.points)).encode())
    else:
        h.update(repr((georef.srid, tuple(georef.transform or ()))).encode())
    return h.hexdigest()[:32]


# --- reading -----------------------------------------------------------------------------


def _raster_georef(req: ImportRequest, info: R.RasterInfo) -> tuple[R.Georeference, str, int,
                                                                     dict[str, Any]]:
    if req.gcps:
        gcp_srid = G.parse_crs(req.gcp_crs, default=VN2000)
        points = G.to_vn2000(req.gcps, gcp_srid)
        result = G.fit(points, req.order)
        max_rms = req.max_rms if req.max_rms is not None else G.default_max_rms(req.meta.scale)
        G.check_fit(result, max_rms, req.force)
        report = {**result.report(), "max_rms_m": max_rms, "forced": result.rms > max_rms,
                  "gcp_crs": G.crs_name(gcp_srid)}
        return R.Georeference(VN2000, fit=result), "gcps", gcp_srid, report
    if req.world_file is not None:
        srid = G.parse_crs(req.crs, default=VN2000)
        transform = G.parse_world_file(req.world_file)
        return R.Georeference(srid, transform), "world_file", srid, {
            "method": "world_file", "transform": list(transform)[:6]}
    if info.transform is not None and info.driver in ("GTiff", "COG"):
        srid = G.parse_crs(req.crs) if req.crs else (info.srid or VN2000)
        return R.Georeference(srid, info.transform), "geotiff", srid, {
            "method": "geotiff", "transform": list(info.transform)[:6]}
    raise InvalidDataError(
        f"Ảnh '{req.filename}' chưa có tham chiếu địa lý: gửi kèm tệp tọa độ ảnh (.pgw, .jgw, .wld) "
        "hoặc ít nhất 3 điểm khống chế.",
        f"The image '{req.filename}' is not georeferenced: send a world file (.pgw, .jgw, .wld) "
        "or at least 3 control points with it.",
    )


def _prepare_raster(req: ImportRequest, work: Path, store: Path | None) -> Prepared:
    info = R.inspect(req.path, req.filename)
    georef, fmt, srid, report = _raster_georef(req, info)
    fp = R.footprint(georef, info.width, info.height, req.filename)
    report["resolution_m"] = round(R.ground_resolution(georef), 4)
    report["size_px"] = [info.width, info.height]
    prepared = Prepared(req, "raster", fmt, srid, fp, report)
    prepared.file_path = f"{_digest(req.path, georef)}.tif"
    if store is not None and (store / prepared.file_path).exists():
        return prepared  # the very same sheet is already stored
    prepared.cog = work / prepared.file_path
    R.write_cog(req.path, georef, prepared.cog, work, req.filename)
    return prepared


def _prepare_dxf(req: ImportRequest) -> Prepared:
    srid = G.parse_crs(req.crs, default=VN2000)
    drawing: Drawing = read_dxf(req.path, landuse.resolve, req.filename, srid)
    prepared = Prepared(req, "vector", "dxf", srid, drawing.footprint,
                        {"method": "dxf", "skipped_shapes": drawing.skipped,
                         "frame": drawing.frame_found},
                        zones=drawing.zones, labels=drawing.labels)
    if drawing.skipped:
        prepared.warnings.append((
            f"Bỏ qua {drawing.skipped} hình khép kín không có mã đất.",
            f"{drawing.skipped} closed shapes without a land-use code were skipped."))
    return prepared


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    low = {c.lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def _vector_source(req: ImportRequest) -> S.VectorSource:
    """The layer to read: of the file itself, or of the one data file inside a zip."""
    path, name = req.path, req.filename
    if Path(name).suffix.lower() == ".zip":
        members = S.zip_members(path, name, ZIP_DATA)
        if len(members) != 1:
            listed = ", ".join(m[:100] for m in members[:10]) or "—"
            raise InvalidDataError(
                f"Tệp zip '{name}' cần đúng một tệp dữ liệu (.shp, .gpkg, .geojson); có "
                f"{len(members)}: {listed}.",
                f"The zip '{name}' must hold exactly one data file (.shp, .gpkg, .geojson); it "
                f"holds {len(members)}: {listed}.")
        source, driver = S.zip_path(path, members[0]), S.driver_for(members[0])
    else:
        driver = S.check_file(path, name)
        source = str(path)
    assert driver is not None
    layers = S.list_layers(source, name, driver)
    if not layers:
        raise InvalidDataError(f"Tệp '{name}' không có lớp dữ liệu nào.",
                               f"The file '{name}' holds no layer.")
    layer = next((n for n, spatial in layers if spatial), layers[0][0])
    return S.open_vector(source, name, driver, layer, S.PLAN_LIMITS)


def _prepare_vector(req: ImportRequest) -> Prepared:
    gdf = S.read_vector(_vector_source(req), req.filename)
    S.count_vertices(gdf.geometry.values, req.filename, S.PLAN_LIMITS)
    if gdf.crs is None and not req.crs:
        raise InvalidDataError(
            f"Tệp '{req.filename}' không ghi hệ tọa độ; hãy chỉ rõ (ví dụ EPSG:5897).",
            f"The file '{req.filename}' states no CRS; give one (e.g. EPSG:5897).")
    try:
        srid = G.parse_crs(req.crs) if req.crs else (gdf.crs.to_epsg() or 0)
    except G.PlanFileError as exc:
        raise _invalid(exc) from None
    if not srid:
        raise InvalidDataError(f"Hệ tọa độ của '{req.filename}' không có mã EPSG.",
                               f"The CRS of '{req.filename}' has no EPSG code.")
    gdf = gdf.set_crs(srid, allow_override=True).to_crs(VN2000)
    gdf = gdf[gdf.geometry.notna() & gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    code_col = _column(list(gdf.columns), CODE_COLUMNS)
    if gdf.empty or code_col is None:
        raise InvalidDataError(
            f"Tệp '{req.filename}' cần các vùng (polygon) và một cột mã đất (code, ky_hieu, …).",
            f"The file '{req.filename}' needs polygons and a land-use code column (code, …).")
    name_col = _column(list(gdf.columns), NAME_COLUMNS)
    ind_cols = {k: _column(list(gdf.columns), v) for k, v in INDICATOR_COLUMNS.items()}
    zones, skipped = [], 0
    for _, row in gdf.iterrows():
        code = landuse.resolve(str(row[code_col])) if row[code_col] is not None else None
        geom = make_valid(row.geometry)
        parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
        if code is None or not parts:
            skipped += 1
            continue
        values = {}
        for key, col in ind_cols.items():
            try:
                v = float(row[col]) if col and row[col] is not None else None
            except (TypeError, ValueError):
                v = None
            if v is not None and np.isfinite(v) and v > 0:
                values[key] = v
        name = str(row[name_col]) if name_col and row[name_col] is not None else None
        zones.append(Zone(code, MultiPolygon(parts), name, values))
    if not zones:
        raise InvalidDataError(f"Không vùng nào trong '{req.filename}' có mã đất hợp lệ.",
                               f"No polygon in '{req.filename}' has a known land-use code.")
    minx, miny, maxx, maxy = gdf.total_bounds
    try:
        G.check_in_hanoi([(minx, miny), (maxx, maxy)], VN2000, f"Tệp '{req.filename}'",
                         f"The file '{req.filename}'")
    except G.PlanFileError as exc:
        raise _invalid(exc) from None
    hull = shapely.union_all([z.geom for z in zones]).convex_hull
    prepared = Prepared(req, "vector", "vector", srid, MultiPolygon([hull]),
                        {"method": "vector", "skipped_shapes": skipped}, zones=zones)
    if skipped:
        prepared.warnings.append((f"Bỏ qua {skipped} vùng không có mã đất.",
                                  f"{skipped} polygons without a land-use code were skipped."))
    return prepared


def prepare(req: ImportRequest, work: Path, store: Path | None = None) -> Prepared:
    """Read, georeference and check a plan file; rasters are converted to a COG in `work`.

    A sheet already in `store` (same source, same georeference) is not converted again.
    """
    suffix = check_suffix(req.filename)
    if req.meta.scale is not None and not 100 <= req.meta.scale <= 100000:
        raise InvalidParameterError("Tỷ lệ bản đồ phải trong khoảng 1/100 – 1/100000.",
                                    "The scale must lie between 1/100 and 1/100000.")
    try:
        if suffix in RASTER_SUFFIXES:
            return _prepare_raster(req, work, store)
        if suffix == ".dxf":
            return _prepare_dxf(req)
        return _prepare_vector(req)
    except G.PlanFileError as exc:
        raise _invalid(exc) from None


# --- writing -----------------------------------------------------------------------------


def _ewkb(geom: Any) -> str:
    return shapely.to_wkb(shapely.set_srid(geom, VN2000), hex=True, include_srid=True)


def sync_land_uses(conn: Connection) -> None:
    """Mirror layers.landuse into the land_uses table (new codes, renamed or recoloured ones)."""
    conn.execute(load_sql("plans.sync_land_uses.sql"), [{"code": u.code, "name_vi": u.name_vi, "name_en": u.name_en, "color": u.color,
         "sort_order": i} for i, u in enumerate(landuse.LAND_USES)])


def _insert(conn: Connection, p: Prepared) -> int:
    req, meta = p.request, p.request.meta
    name = (meta.name or "").strip() or Path(req.filename).stem
    plan_id = conn.execute(load_sql("plans.insert.sql"), {"name": name[:300], "decision": (meta.decision or "").strip() or None,
        "approved_on": meta.approved_on, "scale": meta.scale or 2000, "kind": p.kind,
        "fmt": p.source_format, "source": req.filename[:300], "crs": G.crs_name(p.source_srid),
        "file_path": p.file_path, "georef": orjson.dumps(p.georef).decode(),
        "sample": req.is_sample, "fp": _ewkb(p.footprint)}).scalar_one()
    if p.zones:
        sync_land_uses(conn)
        copy_rows(conn, "plan_zones", ["plan_id", "code", "name", "building_density_pct",
                                       "max_floors", "floor_area_ratio", "geom"],
                  ([plan_id, z.code, z.name, z.indicators.get("building_density_pct"),
                    z.indicators.get("max_floors"), z.indicators.get("floor_area_ratio"),
                    _ewkb(z.geom)] for z in p.zones))
    if p.labels:
        copy_rows(conn, "plan_labels", ["plan_id", "text", "height", "rotation", "geom"],
                  ([plan_id, lb.text[:500], lb.height, lb.rotation,
                    _ewkb(shapely.Point(lb.x, lb.y))] for lb in p.labels))
    return int(plan_id)


def _place(p: Prepared, store: Path) -> Path | None:
    """Move a prepared COG into the store; return its path if this call created it."""
    if p.cog is None or p.file_path is None:
        return None
    final = store / p.file_path
    if final.exists():
        return None
    store.mkdir(parents=True, exist_ok=True)
    partial = store / f".{p.file_path}.{uuid.uuid4().hex}.partial"
    try:
        shutil.copyfile(p.cog, partial)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


@contextmanager
def _atomic(conn: Connection) -> Iterator[list[Path]]:
    """A transaction (or savepoint) whose newly stored files go away if it does not commit."""
    tx = conn.begin_nested() if conn.in_transaction() else conn.begin()
    created: list[Path] = []
    try:
        yield created
        tx.commit()
    except BaseException:
        if tx.is_active:
            tx.rollback()
        for path in created:
            path.unlink(missing_ok=True)
        raise


@contextmanager
def scratch() -> Iterator[Path]:
    """A scratch directory for one import, outside the plan store."""
    with tempfile.TemporaryDirectory(prefix="quyhoach-plan-") as tmp:
        yield Path(tmp)


def import_plan(conn: Connection, store: Path, req: ImportRequest) -> dict[str, Any]:
    """Import one plan file, all or nothing; return the plan's summary."""
    with scratch() as work:
        prepared = prepare(req, work, store)
        try:
            with _atomic(conn) as created:
                plan_id = _insert(conn, prepared)
                placed = _place(prepared, store)
                if placed is not None:
                    created.append(placed)
        except DBAPIError as exc:
            raise InvalidDataError(
                "Dữ liệu quy hoạch không ghi được vào cơ sở dữ liệu (hình học hoặc giá trị không "
                "hợp lệ).", "The plan could not be stored (invalid geometry or values).",
                detail=str(exc.orig)) from None
    return summary(prepared, plan_id)


def summary(p: Prepared, plan_id: int) -> dict[str, Any]:
    """What an import reports: id, kind, counts, georeference and warnings."""
    return {
        "id": plan_id, "kind": p.kind, "source_format": p.source_format,
        "source_crs": G.crs_name(p.source_srid), "zones": len(p.zones), "labels": len(p.labels),
        "file_path": p.file_path, "georef": p.georef,
        "footprint_vn2000": [round(v, 3) for v in p.footprint.bounds],
        "warnings_vi": [w[0] for w in p.warnings], "warnings_en": [w[1] for w in p.warnings],
    }


def delete_plan(conn: Connection, store: Path, plan_id: int) -> bool:
    """Delete a plan, and its stored sheet when no other plan uses it."""
    with _atomic(conn):
        row = conn.execute(load_sql("plans.delete.sql"), {"id": plan_id}).one_or_none()
    if row is None:
        return False
    _drop_unused(conn, store, [row.file_path])
    return True


def _drop_unused(conn: Connection, store: Path, paths: list[str | None]) -> None:
    for path in {p for p in paths if p}:
        used = conn.execute(load_sql("plans.sheet_used.sql"), {"p": path}).scalar_one()
        if not used:
            (store / path).unlink(missing_ok=True)


# --- the sample ----------------------------------------------------------------------------


def sample_requests(plan_dir: Path = SAMPLE_PLAN_DIR) -> list[ImportRequest]:
    """The sample sheet in its three forms: world file, DXF drawing, scan with control points."""
    meta = json.loads((plan_dir / f"{SAMPLE_STEM}.json").read_text("utf-8"))
    base = PlanMeta(meta["name"], meta["decision"], dt.date.fromisoformat(meta["approved_on"]),
                    meta["scale"])

    def named(suffix: str) -> PlanMeta:
        return PlanMeta(f"{base.name} — {suffix}", base.decision, base.approved_on, base.scale)

    image = plan_dir / f"{SAMPLE_STEM}.png"
    scan = plan_dir / meta["scan"]["file"]
    points, crs = G.parse_control_points((plan_dir / meta["scan"]["gcps"]).read_text("utf-8"))
    return [
        ImportRequest(plan_dir / f"{SAMPLE_STEM}.dxf", f"{SAMPLE_STEM}.dxf",
                      named("bản vẽ số (vector)"), is_sample=True),
        ImportRequest(image, image.name, named("ảnh có tệp tọa độ"),
                      world_file=(plan_dir / f"{SAMPLE_STEM}.pgw").read_text("utf-8"),
                      is_sample=True),
        ImportRequest(scan, scan.name, named("bản quét + điểm khống chế"), gcps=points,
                      gcp_crs=G.crs_name(crs or VN2000), order=2, is_sample=True),
    ]


def load_sample_plans(engine: Engine, plan_dir: Path = SAMPLE_PLAN_DIR,
                      store: Path | None = None) -> dict[str, int]:
    """Replace the sample plans (only those) with the three forms of the sample sheet."""
    store = store or Settings().plan_store
    requests = sample_requests(plan_dir)
    with scratch() as work, engine.connect() as conn:
        prepared = []
        for i, req in enumerate(requests):
            (work / str(i)).mkdir()
            prepared.append(prepare(req, work / str(i), store))
        with _atomic(conn) as created:
            old = conn.execute(load_sql("plans.delete_samples.sql")).scalars().all()
            for p in prepared:
                _insert(conn, p)
                placed = _place(p, store)
                if placed is not None:
                    created.append(placed)
        _drop_unused(conn, store, list(old))
        conn.commit()
    return {"plans": len(prepared), "plan_zones": sum(len(p.zones) for p in prepared)}


# --- reads ---------------------------------------------------------------------------------


def list_plans(conn: Connection) -> str:
    """Every plan with metadata and footprint, as a GeoJSON FeatureCollection."""
    return conn.execute(load_sql("plans.list.sql")).scalar_one()


def plan_item(conn: Connection, plan_id: int) -> str:
    """One plan as a GeoJSON Feature with its georeference and land-use summary."""
    body = conn.execute(load_sql("plans.item.sql"), {"plan_id": plan_id}).scalar_one_or_none()
    if body is None:
        raise _no_plan(plan_id)
    return body


def _no_plan(plan_id: int | str) -> NotFoundError:
    return NotFoundError(f"Không có quy hoạch số {plan_id}.", f"No plan {plan_id}.")


def tile_source(conn: Connection, store: Path, plan_id: int, z: int, x: int, y: int
                ) -> tuple[Path, str]:
    """The stored sheet behind a raster plan's tile, and the tile's ETag."""
    if not R.valid_tile(z, x, y):
        raise InvalidParameterError(f"Ô lưới {z}/{x}/{y} không tồn tại.",
                                    f"Tile {z}/{x}/{y} does not exist.")
    row = conn.execute(load_sql("plans.tile_source.sql"), {"plan_id": plan_id}).one_or_none()
    if row is None:
        raise _no_plan(plan_id)
    if row.kind != "raster":
        raise NotFoundError(
            f"Quy hoạch số {plan_id} là bản vẽ vector; xem /collections/plan_zones/items?plan_id="
            f"{plan_id}.",
            f"Plan {plan_id} is a vector drawing; see /collections/plan_zones/items?plan_id="
            f"{plan_id}.")
    path = store / row.file_path
    if not path.exists():
        raise NotFoundError(f"Tệp bản đồ của quy hoạch số {plan_id} không còn trong kho.",
                            f"The stored sheet of plan {plan_id} is missing from the plan store.",
                            detail=str(path))
    return path, f'"{row.file_path[:16]}-{z}-{x}-{y}"'


def lookup(conn: Connection, x: float, y: float, srid: int) -> str:
    """What is planned at a point given in `srid`, as JSON."""
    if not in_hanoi(x, y, srid):
        raise InvalidParameterError(
            f"Điểm ({x}, {y}) nằm ngoài Hà Nội trong {G.crs_name(srid)}.",
            f"The point ({x}, {y}) falls outside Hanoi in {G.crs_name(srid)}.")
    return conn.execute(load_sql("plans.lookup.sql"),
                        {"x": x, "y": y, "srid": srid, "storage_srid": VN2000}).scalar_one()


GEOMETRY_KEYS = ("coordinates", "geometry", "geometries", "features")


def count_vertices(doc: Any, limit: int) -> int:
    """Coordinate positions of a GeoJSON document, counted up to one past `limit`."""
    count, stack = 0, [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item[k] for k in GEOMETRY_KEYS if k in item)
        elif isinstance(item, list) and item:
            first = item[0]
            if isinstance(first, int | float) and not isinstance(first, bool):
                count += 1
                if count > limit:
                    break
            else:
                stack.extend(item)
    return count


def check_vertices(doc: Any, max_vertices: int) -> None:
    """Refuse a GeoJSON document of more than `max_vertices` positions, before it is parsed."""
    if count_vertices(doc, max_vertices) > max_vertices:
        raise InvalidParameterError(
            f"Vùng phân tích có quá nhiều đỉnh (tối đa {max_vertices}); hãy đơn giản hóa hình.",
            f"The area has too many vertices (at most {max_vertices:,}); simplify the shape.")


def parse_area(doc: Any, max_vertices: int | None = None) -> Polygon | MultiPolygon:
    """A (Multi)Polygon on the VN-2000 grid from a GeoJSON geometry, Feature or collection.

    Coordinates are CRS84 unless the document carries `crs` (a string or a GeoJSON 2008 `name`).
    With `max_vertices`, larger documents are refused before any geometry is built.
    """
    if not isinstance(doc, dict):
        raise InvalidParameterError("Cần một đối tượng GeoJSON.", "A GeoJSON object is needed.")
    if max_vertices is not None:
        check_vertices(doc, max_vertices)
    crs = doc.get("crs")
    if isinstance(crs, dict):
        crs = (crs.get("properties") or {}).get("name")
    try:
        srid = G.parse_crs(crs, default=4326) if crs else 4326
    except G.PlanFileError as exc:
        raise InvalidParameterError(exc.message_vi, exc.message_en) from None
    kind = doc.get("type")
    if kind == "FeatureCollection":
        geoms = [f.get("geometry") for f in doc.get("features") or [] if isinstance(f, dict)]
    elif kind == "Feature":
        geoms = [doc.get("geometry")]
    else:
        geoms = [doc]
    shapes = []
    for g in geoms:
        try:
            shape = shapely.from_geojson(orjson.dumps(g))
        except (shapely.errors.GEOSException, TypeError, ValueError):
            shape = None
        if not isinstance(shape, Polygon | MultiPolygon) or shape.is_empty:
            raise InvalidParameterError(
                "Vùng phân tích phải là Polygon hoặc MultiPolygon GeoJSON.",
                "The area to analyse must be a GeoJSON Polygon or MultiPolygon.")
        shapes.append(shape)
    if not shapes:
        raise InvalidParameterError("Không có vùng nào để phân tích.", "No area to analyse.")
    area = shapely.union_all(shapes)
    coords = shapely.get_coordinates(area)
    if not all(in_hanoi(float(cx), float(cy), srid) for cx, cy in coords[:: max(1, len(coords) // 50)]):
        raise InvalidParameterError(
            f"Vùng phân tích nằm ngoài Hà Nội (hệ tọa độ {G.crs_name(srid)}; mặc định CRS84 "
            "kinh độ, vĩ độ).",
            f"The area falls outside Hanoi (CRS {G.crs_name(srid)}; CRS84 longitude, latitude "
            "by default).")
    if srid != VN2000:

        to_vn = transformer(srid, VN2000)
        area = shapely.transform(area, lambda c: np.column_stack(to_vn.transform(c[:, 0], c[:, 1])))
    area = make_valid(area)
    parts = [g for g in getattr(area, "geoms", [area]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise InvalidParameterError("Vùng phân tích có diện tích bằng 0.", "The area has no area.")
    return MultiPolygon(parts)


def analyse(conn: Connection, *, area: Polygon | MultiPolygon | None = None,
            project: str | None = None, parcel: str | None = None,
            plan_id: int | None = None) -> str:
    """Hectares of each planned land use inside a polygon, a project or a parcel, per plan."""
    params = {"geom": _ewkb(area) if area is not None else None, "project": project,
              "parcel": parcel, "plan_id": plan_id}
    body = conn.execute(load_sql("plan_zones.analysis.sql"), params).scalar_one_or_none()
    if body is None:
        what = ("dự án", "project", project) if project is not None else ("thửa đất", "parcel",
                                                                          parcel)
        raise NotFoundError(f"Không có {what[0]} '{what[2]}'.", f"No {what[1]} '{what[2]}'.")
    return body


def red_line_corridor(conn: Connection, red_line_id: int, width: float | None = None
                      ) -> tuple[dict[str, Any], MultiPolygon]:
    """The corridor of a red line: between its two lines, or `width` metres wide around it."""
    row = conn.execute(load_sql("plans.red_line.sql"), {"red_line_id": red_line_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"Không có chỉ giới đường đỏ số {red_line_id}.",
                            f"No red line {red_line_id}.")
    geom = shapely.from_wkb(row.geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString)]
    if width is not None:
        if not 0 < width <= 500:
            raise InvalidParameterError("Độ rộng hành lang phải trong khoảng 0–500 m.",
                                        "The corridor width must lie between 0 and 500 m.")
        corridor = geom.buffer(width / 2, cap_style="flat", join_style="mitre")
    elif len(parts) == 2:
        a, b = parts
        a_end = shapely.Point(a.coords[-1])
        if a_end.distance(shapely.Point(b.coords[-1])) < a_end.distance(shapely.Point(b.coords[0])):
            ring = [*a.coords, *reversed(b.coords)]
        else:
            ring = [*a.coords, *b.coords]
        corridor = make_valid(Polygon(ring))
    else:
        raise InvalidParameterError(
            f"Chỉ giới số {red_line_id} ({row.road}) có {len(parts)} đoạn, không phải hai bên "
            "đường; hãy cho độ rộng hành lang (width, m).",
            f"Red line {red_line_id} ({row.road}) has {len(parts)} parts, not the two sides of a "
            "road; give the corridor width (width, m).")
    polys = [g for g in getattr(corridor, "geoms", [corridor]) if isinstance(g, Polygon)]
    info = {"id": row.id, "road": row.road, "district": row.district, "plan_ref": row.plan_ref,
            "width_m": width}
    return info, MultiPolygon(polys)


def corridor_parcels(conn: Connection, corridor: Polygon | MultiPolygon) -> dict[str, Any]:
    """Each parcel's area inside a corridor: what must be recovered, from whom."""
    body = conn.execute(load_sql("plans.corridor.sql"), {"geom": _ewkb(corridor)}).scalar_one()
    return orjson.loads(body)
