"""Bulk import of survey and cadastral files into a layer: read with GDAL, check, COPY, all or nothing.

`import_file(engine, path, layer)` reads a GeoPackage, Shapefile (plain or zipped), GeoJSON, DXF or
CSV with coordinate columns through pyogrio, works out the file's CRS, checks that the coordinates
fall in Hanoi (explaining the classic CRS mistakes), validates every geometry and attribute, and
writes the accepted rows with one streaming COPY in one transaction. A refused row stops the whole
import unless `skip_invalid` is set; nothing is written on a dry run.
"""

from __future__ import annotations

import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from core.errors import InvalidDataError, InvalidParameterError
from core.i18n import DISTRICTS, FIELDS, VALUES
from gis import safe_open as S
from gis.ingest import copy_rows
from gis.srs import HANOI_LONLAT, HANOI_VN2000, VN2000, WGS84, transformer
from layers import models as m

CHUNK = 10_000
DBF_NAME_LENGTH = 10
MAX_LISTED = 20
VIETNAM_LONLAT = (102.0, 8.0, 110.0, 23.5)
FORMATS = {
    ".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "Shapefile (zip)", ".geojson": "GeoJSON",
    ".json": "GeoJSON", ".dxf": "DXF", ".csv": "CSV", ".txt": "CSV",
}
ZIP_MEMBERS = (".shp", ".gpkg", ".geojson", ".json", ".dxf", ".csv")

Message = tuple[str, str]  # (Vietnamese, English)


# --- what each layer accepts ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A writable column of a layer table and how file values are converted to it."""

    name: str
    kind: str  # text | slug | date | integer | numeric | boolean | code
    required: bool = False
    vocab: tuple[str, ...] = ()
    default: Any = None  # written where the file gives no value (the table's default)


@dataclass(frozen=True)
class ImportSpec:
    """What a layer accepts from a file."""

    layer: str
    geometry: str  # polygon | line | point
    columns: tuple[Column, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    references: tuple[tuple[str, str], ...] = ()  # (column, table whose id it holds)

    @property
    def names(self) -> list[str]:
        """Column names in table order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        """The column of that name, if any."""
        return next((c for c in self.columns if c.name == name), None)


def _c(name: str, kind: str = "text", required: bool = False, vocab: tuple[str, ...] = (),
       default: Any = None) -> Column:
    return Column(name, kind, required, tuple(vocab), default)


DISTRICT = _c("district", "slug", True)
IMPORT_SPECS: dict[str, ImportSpec] = {
    s.layer: s
    for s in (
        ImportSpec("wards", "polygon", (DISTRICT, _c("name", required=True)),
                   unique=(("district", "name"),)),
        ImportSpec(
            "projects", "polygon",
            (_c("code", required=True), _c("name", required=True), DISTRICT,
             _c("funding", "code", True, m.FUNDING),
             _c("is_key", "boolean", default=False), _c("has_complaints", "boolean", default=False),
             _c("status", "code", True, m.PROJECT_STATUSES),
             _c("started_on", "date"), _c("target_date", "date"), _c("completed_on", "date")),
            unique=(("code",),),
        ),
        ImportSpec(
            "parcels", "polygon",
            (_c("code", required=True), _c("project_id", "integer", True),
             _c("land_user_kind", "code", True, m.LAND_USER_KINDS),
             _c("status", "code", True, m.PLAN_STATUSES),
             _c("drafted_on", "date"), _c("published_on", "date"), _c("approved_on", "date"),
             _c("paid_on", "date"), _c("handed_over_on", "date"),
             _c("compensation_vnd", "numeric", default=0)),
            unique=(("code",),), references=(("project_id", "projects"),),
        ),
        ImportSpec("red_lines", "line", (DISTRICT, _c("road", required=True), _c("plan_ref"))),
        ImportSpec(
            "red_line_markers", "point",
            (_c("code", required=True), DISTRICT, _c("road", required=True),
             _c("red_line_id", "integer"), _c("status", "code", True, m.MARKER_STATUSES),
             _c("surveyed_on", "date")),
            unique=(("code",),), references=(("red_line_id", "red_lines"),),
        ),
        ImportSpec(
            "lakes", "polygon",
            (_c("name", required=True), DISTRICT, _c("works", "code", True, m.LAKE_WORKS),
             _c("status", "code", True, m.LAKE_STATUSES), _c("completed_on", "date")),
        ),
        ImportSpec(
            "civilized_streets", "line",
            (_c("name", required=True), DISTRICT, _c("ward"),
             _c("kind", "code", True, m.STREET_KINDS), _c("year_recognised", "integer"),
             _c("status", "code", True, m.STREET_STATUSES)),
        ),
    )
}
# Columns a file may give instead of a table column: parcels name their project by its code.
ALIASES = {"parcels": {"project_code": "project_id"}}
COORDINATE_ROLES = {
    "x": "x", "y": "y", "toa_do_x": "x", "toa_do_y": "y",
    "northing": "northing", "northing_m": "northing", "easting": "easting", "easting_m": "easting",
    "n": "northing", "e": "easting",
    "lon": "lon", "lng": "lon", "long": "lon", "longitude": "lon", "kinh_do": "lon",
    "lat": "lat", "latitude": "lat", "vi_do": "lat",
}
GEOMETRY_WORDS = {
    "polygon": ("vùng (Polygon/MultiPolygon)", "polygons (Polygon/MultiPolygon)"),
    "line": ("đường (LineString/MultiLineString)", "lines (LineString/MultiLineString)"),
    "point": ("điểm (Point)", "points (Point)"),
}
FAMILY = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}


# --- results and errors -----------------------------------------------------------------------


@dataclass
class Refusal:
    """A refused row: its 1-based number in the file, its code or name, and why."""

    row: int
    key: str | None
    reasons: list[Message]

    def text(self, lang: str = "vi") -> str:
        """One line for a planner."""
        i = 1 if lang == "en" else 0
        label = ("row", "dòng")[1 - i]
        key = f" ({self.key})" if self.key else ""
        return f"{label} {self.row}{key}: " + "; ".join(r[i] for r in self.reasons)


@dataclass
class ImportResult:
    """What an import read, wrote and refused."""

    layer: str
    source: str
    format: str = ""
    crs: str = ""
    crs_origin: str = ""  # file | option | assumed
    read: int = 0
    written: int = 0
    valid: int = 0
    refused: list[Refusal] = field(default_factory=list)
    ignored_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    fixed: list[Message] = field(default_factory=list)
    dry_run: bool = False
    elapsed_s: float = 0.0

    @property
    def refused_count(self) -> int:
        """Number of refused rows."""
        return len(self.refused)

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        """A JSON-ready form (for an HTTP upload's answer)."""
        return {
            "layer": self.layer, "source": self.source, "format": self.format, "crs": self.crs,
            "crsOrigin": self.crs_origin, "read": self.read, "written": self.written,
            "valid": self.valid, "refused": self.refused_count, "dryRun": self.dry_run,
            "ignoredRows": self.ignored_rows, "ignoredColumns": self.ignored_columns,
            "elapsedSeconds": round(self.elapsed_s, 3),
            "refusedRows": [{"row": r.row, "key": r.key, "reasons": [x[1 if lang == "en" else 0]
                                                                      for x in r.reasons]}
                            for r in self.refused[:MAX_LISTED]],
            "fixed": [x[1 if lang == "en" else 0] for x in self.fixed],
        }

    def summary(self, lang: str = "vi") -> str:
        """The summary a planner reads: Vietnamese then English, or English only."""
        langs = ["en"] if lang == "en" else ["vi", "en"]
        origin = {"file": ("khai báo trong tệp", "declared in the file"),
                  "option": ("theo --crs", "from --crs"),
                  "assumed": ("giả định: tệp không khai báo", "assumed: the file declares none")}
        lines: list[str] = []
        for lg in langs:
            i = 1 if lg == "en" else 0
            o = origin.get(self.crs_origin, ("", ""))[i]
            if i:
                lines.append(f"Import into layer {self.layer} from {self.source} ({self.format})"
                             + (" — dry run, nothing written" if self.dry_run else ""))
                lines.append(f"CRS: {self.crs} — {o}" if self.crs else "CRS: —")
                verb = "would write" if self.dry_run else "written"
                lines.append(f"Rows read: {self.read} · {verb}: "
                             f"{self.valid if self.dry_run else self.written} · refused: "
                             f"{self.refused_count} · elapsed: {self.elapsed_s:.2f} s")
            else:
                lines.append(f"Nhập dữ liệu vào lớp {self.layer} từ {self.source} ({self.format})"
                             + (" — chạy thử, không ghi gì" if self.dry_run else ""))
                lines.append(f"Hệ tọa độ: {self.crs} — {o}" if self.crs else "Hệ tọa độ: —")
                verb = "sẽ ghi" if self.dry_run else "đã ghi"
                lines.append(f"Số dòng đọc: {self.read} · {verb}: "
                             f"{self.valid if self.dry_run else self.written} · bị từ chối: "
                             f"{self.refused_count} · thời gian: {self.elapsed_s:.2f} s")
            if self.ignored_rows:
                lines.append((f"Bỏ qua {self.ignored_rows} đối tượng không phải "
                              f"{GEOMETRY_WORDS[IMPORT_SPECS[self.layer].geometry][0]} (chữ, điểm…)",
                              f"Skipped {self.ignored_rows} entities that are not "
                              f"{GEOMETRY_WORDS[IMPORT_SPECS[self.layer].geometry][1]} "
                              "(texts, points…)")[i])
            if self.ignored_columns:
                lines.append(("Cột không dùng: ", "Columns not used: ")[i]
                             + ", ".join(self.ignored_columns))
        pick = [1 if lg == "en" else 0 for lg in langs]
        for fix in self.fixed[:MAX_LISTED]:
            lines.extend("  " * (k + 1) + fix[i] for k, i in enumerate(pick))
        if self.refused:
            head = " / ".join(("Các dòng bị từ chối", "Refused rows")[i] for i in pick)
            more = f" ({MAX_LISTED} / {self.refused_count})" if self.refused_count > MAX_LISTED else ""
            lines.append(head + more + ":")
            for r in self.refused[:MAX_LISTED]:
                lines.extend("  " * (k + 1) + r.text(langs[k]) for k in range(len(langs)))
        return "\n".join(lines)


class ImportRejectedError(InvalidDataError):
    """The file, or some of its rows, cannot be imported; nothing was written."""

    code = "ImportRejected"

    def __init__(self, message: str, message_en: str, result: ImportResult | None = None,
                 detail: str | None = None):
        super().__init__(message, message_en, detail)
        self.result = result


class ImportParameterError(InvalidParameterError):
    """A parameter of the import (layer, CRS, column mapping) is wrong."""


def _reject(msg: Message, result: ImportResult | None = None, detail: str | None = None
            ) -> NoReturn:
    raise ImportRejectedError(msg[0], msg[1], result, detail)


def _bad_param(msg: Message) -> NoReturn:
    raise ImportParameterError(msg[0], msg[1])


# --- names and values -------------------------------------------------------------------------


def _fold(s: str) -> str:
    """Lowercase without diacritics, words joined by `_` ("Tọa độ X" → "toa_do_x")."""
    s = unicodedata.normalize("NFD", str(s).replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _slug(s: str) -> str:
    return _fold(s).replace("_", "-")


def _target_names(spec: ImportSpec) -> dict[str, str]:
    """Folded names and Vietnamese/English labels a file column may carry → column or role."""
    names = [*spec.names, *ALIASES.get(spec.layer, {})]
    out: dict[str, str] = {}
    for label_key, (vi, en) in FIELDS.items():
        target = {"northing_m": "northing", "easting_m": "easting"}.get(label_key, label_key)
        if target in names or target in ("northing", "easting"):
            out.setdefault(_fold(vi), target)
            out.setdefault(_fold(en), target)
    out.update(COORDINATE_ROLES)
    out.update({_fold(n): n for n in names})
    return out


def _vocab_lookup(layer: str, col: Column) -> dict[str, str]:
    """Folded codes and their Vietnamese/English labels → code."""
    out = {_fold(v): v for v in col.vocab}
    for code, (vi, en) in VALUES.get(layer, {}).get(col.name, {}).items():
        out.setdefault(_fold(vi), code)
        out.setdefault(_fold(en), code)
    return out


BOOLS = {"true": True, "t": True, "1": True, "yes": True, "y": True, "x": True, "co": True,
         "dung": True, "false": False, "f": False, "0": False, "no": False, "n": False,
         "khong": False, "sai": False}
DISTRICT_SLUGS = {_slug(name): slug for slug, name in DISTRICTS.items()}
SLUG_RE = re.compile(r"^[a-z0-9-]+$")
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def _shown(v: Any) -> str:
    s = str(v)
    return s if len(s) <= 40 else s[:37] + "…"


def _strings(s: pd.Series) -> pd.Series:
    """Values as stripped strings (integral floats without `.0`), empty → None; object dtype."""
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.dropna()
        if len(vals) and bool((vals % 1 == 0).all()):
            s = s.astype("Int64")
    arr = s.to_numpy(dtype=object, na_value=None)
    out = [v if v is None else (v.strip() or None) if isinstance(v, str) else str(v) for v in arr]
    return pd.Series(out, index=s.index, dtype=object)


def _map_unique(s: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply `fn` once per distinct value (columns repeat few values)."""
    table = {u: fn(u) for u in s.dropna().unique()}
    return s.map(table)


def _convert(layer: str, col: Column, raw: pd.Series) -> tuple[pd.Series, np.ndarray, Message]:
    """Converted values, a mask of values that could not be converted, and why."""
    present = raw.notna().to_numpy()
    name = col.name
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            parsed = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        else:
            if pd.api.types.is_numeric_dtype(raw.dtype):
                parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            else:
                parsed = pd.to_datetime(raw, format="ISO8601", errors="coerce")
            todo = present & parsed.isna().to_numpy()
            if todo.any():  # spaces, or the day-first forms Vietnamese sheets use
                txt = _strings(raw[todo])
                for fmt in ("ISO8601", *DATE_FORMATS):
                    retry = pd.to_datetime(txt, format=fmt, errors="coerce")
                    parsed[txt.index] = parsed[txt.index].fillna(retry)
        out = parsed.dt.strftime("%Y-%m-%d")
        return out, present & out.isna().to_numpy(), (
            f"{name} không phải ngày hợp lệ (năm-tháng-ngày hoặc ngày/tháng/năm)",
            f"{name} is not a valid date (YYYY-MM-DD or DD/MM/YYYY)")
    if col.kind in ("integer", "numeric"):
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            num = raw.astype("float64")
        else:
            def clean(v: str) -> str:
                t = re.sub(r"(?i)\s|vnd|đ|dong", "", v)
                if re.fullmatch(r"\d{1,3}([.,]\d{3})+", t):
                    return re.sub(r"[.,]", "", t)
                return t.replace(",", ".") if t.count(",") == 1 and "." not in t else t
            num = pd.to_numeric(_map_unique(_strings(raw), clean), errors="coerce")
        bad = present & ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
        num = num.where(~bad)
        if col.kind == "integer":
            bad |= num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
            out = num.where(~bad).round().astype("Int64")
            return out, bad, (f"{name} không phải số nguyên", f"{name} is not an integer")
        out = num.round().astype("Int64")
        return out, bad, (f"{name} không phải số", f"{name} is not a number")
    if col.kind == "boolean":
        if pd.api.types.is_bool_dtype(raw.dtype):
            return raw.astype("boolean"), np.zeros(len(raw), bool), ("", "")
        if pd.api.types.is_numeric_dtype(raw.dtype):
            num = raw.astype("float64")
            out = num.map({1.0: True, 0.0: False}).astype("boolean")
        else:
            out = _map_unique(_strings(raw), lambda v: BOOLS.get(_fold(v))).astype("boolean")
        return out, present & out.isna().to_numpy(), (
            f"{name} phải là có/không (true/false)", f"{name} must be yes/no (true/false)")
    if col.kind == "code":
        lookup = _vocab_lookup(layer, col)
        out = _map_unique(raw, lambda v: lookup.get(_fold(v))).astype(object)
        bad = present & out.isna().to_numpy() & (_map_unique(raw, lambda v: _fold(v) != "")
                                                 .fillna(False).astype(bool).to_numpy())
        labels = VALUES.get(layer, {}).get(name, {})
        listed = ", ".join(f"{v} ({labels[v][0]})" if v in labels else v for v in col.vocab)
        return out, bad, (f"{name} không thuộc danh mục: {listed}",
                          f"{name} is not one of: {', '.join(col.vocab)}")
    if col.kind == "slug":
        out = _map_unique(raw, lambda v: DISTRICT_SLUGS.get(_slug(v), _slug(v)) or None)
        out = out.astype(object).where(out.notna(), None)
        bad = present & out.notna().to_numpy() & ~out.fillna("").astype(str).str.fullmatch(
            SLUG_RE.pattern).to_numpy()
        return out, bad, (f"{name} không hợp lệ (ví dụ: long-bien)",
                          f"{name} is not valid (e.g. long-bien)")
    return _strings(raw), np.zeros(len(raw), bool), ("", "")


# --- opening and reading the file -------------------------------------------------------------


def _cannot_read(name: str, fmt: str, exc: S.FileRefusedError) -> NoReturn:
    _reject((f"Không đọc được tệp {name}: không phải {fmt} hợp lệ hoặc tệp bị hỏng.",
             f"Cannot read {name}: not a valid {fmt} file, or the file is damaged."),
            detail=exc.detail)


def _open(path: Path, source_layer: str | None, layer: str, limits: S.Limits
          ) -> tuple[S.VectorSource, str]:
    """The checked layer and format label of a file (zip members are read through /vsizip/).

    The file's first bytes must match its name and only that format's driver may read it.
    """
    if not path.is_file():
        _bad_param((f"Không tìm thấy tệp {path}", f"File not found: {path}"))
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        _reject((f"Không nhập được tệp {path.name}: chỉ nhận GeoPackage, Shapefile (thường hoặc "
                 "nén zip), GeoJSON, DXF và CSV.",
                 f"Cannot import {path.name}: only GeoPackage, Shapefile (plain or zipped), "
                 "GeoJSON, DXF and CSV files are accepted."))
    if path.stat().st_size == 0:
        _reject((f"Tệp {path.name} rỗng (0 byte): không có gì để nhập.",
                 f"File {path.name} is empty (0 bytes): nothing to import."))
    gdal_path = str(path)
    driver = S.driver_for(path.name)
    if path.suffix.lower() == ".zip":
        try:
            names = S.zip_members(path, path.name, ZIP_MEMBERS, limits)
        except S.UnreadableFileError as exc:
            _cannot_read(path.name, fmt, exc)
        picked = [n for n in names if source_layer and Path(n).stem.lower() == source_layer.lower()]
        if picked:
            names, source_layer = picked, None
        if not names:
            _reject((f"Tệp zip {path.name} không chứa shapefile (.shp) hay tệp dữ liệu nào.",
                     f"The zip {path.name} holds no shapefile (.shp) or other data file."))
        if len(names) > 1:
            _reject((f"Tệp zip {path.name} chứa nhiều tệp dữ liệu ({', '.join(names)}): chọn một "
                     "bằng --source-layer.",
                     f"The zip {path.name} holds several data files ({', '.join(names)}): pick "
                     "one with --source-layer."))
        gdal_path = S.zip_path(path, names[0])
        driver = S.driver_for(names[0])
        fmt = FORMATS.get(Path(names[0]).suffix.lower(), fmt) + " (zip)"
    assert driver is not None
    try:
        if gdal_path == str(path):
            S.check_file(path, path.name, driver)
        layers = S.list_layers(gdal_path, path.name, driver)
        chosen = _pick_layer(path.name, [n for n, _ in layers], [n for n, g in layers if g],
                             source_layer, layer)
        return S.open_vector(gdal_path, path.name, driver, chosen, limits), fmt
    except S.UnreadableFileError as exc:
        _cannot_read(path.name, fmt, exc)


def _pick_layer(name: str, names: list[str], spatial: list[str], source_layer: str | None,
                layer: str) -> str | None:
    """The layer to import: the one asked for, the only one, or the one named like the layer."""
    if source_layer:
        if source_layer not in names:
            _bad_param((f"Tệp {name} không có lớp {source_layer} (có: {', '.join(names)}).",
                        f"{name} has no layer {source_layer} (it has: {', '.join(names)})."))
        return source_layer
    if len(names) <= 1:
        return None
    if len(spatial) == 1:
        return spatial[0]
    if layer in names:
        return layer
    _reject((f"Tệp {name} có nhiều lớp ({', '.join(names)}): chọn một bằng --source-layer.",
             f"{name} has several layers ({', '.join(names)}): pick one with --source-layer."))


def _read(src: S.VectorSource, fmt: str, name: str, skip: int = 0,
          limit: int | None = None) -> pd.DataFrame:
    """Rows of the file, geometries forced to 2D; invalid WKB becomes a missing geometry."""
    opts: dict[str, Any] = {}
    if fmt.startswith("CSV"):
        opts = {"EMPTY_STRING_AS_NULL": "YES"}
    try:
        return S.read_vector(src, name, force_2d=True, on_invalid="ignore", skip_features=skip,
                             max_features=limit, **opts)
    except S.UnreadableFileError as exc:
        _cannot_read(name, fmt, exc)


def _parse_crs(ref: str) -> CRS:
    try:
        return CRS.from_user_input(ref.strip())
    except CRSError:
        _bad_param((f"Không hiểu hệ tọa độ {ref!r} (ví dụ: EPSG:5897 cho VN-2000 / TM-3 105°, "
                    "EPSG:4326 cho kinh độ/vĩ độ).",
                    f"Unknown CRS {ref!r} (e.g. EPSG:5897 for VN-2000 / TM-3 105°, EPSG:4326 for "
                    "longitude/latitude)."))


def crs_label(crs: CRS) -> str:
    """`EPSG:5897 (VN-2000 / TM-3 zone 482)`, or the CRS's name when it has no EPSG code."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _to_storage(crs: CRS) -> Transformer | None:
    epsg = crs.to_epsg()
    if epsg == VN2000:
        return None
    if epsg:
        return transformer(epsg, VN2000)
    return Transformer.from_crs(crs, CRS.from_epsg(VN2000), always_xy=True)


def _to_lonlat(crs: CRS) -> Transformer:
    epsg = crs.to_epsg()
    if epsg:
        return transformer(epsg, WGS84)
    return Transformer.from_crs(crs, CRS.from_epsg(WGS84), always_xy=True)


def _transform(geoms: np.ndarray, tr: Transformer) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _inside(bounds: np.ndarray, box: Sequence[float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((bounds[:, 0] >= box[0]) & (bounds[:, 1] >= box[1])
                & (bounds[:, 2] <= box[2]) & (bounds[:, 3] <= box[3]))


def _fits(x: float, y: float, box: Sequence[float]) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _diagnose(cx: float, cy: float, crs: CRS, label: str, csv_axes: str | None) -> Message:
    """Explain why coordinates centred on (cx, cy), read in `crs`, do not fall in Hanoi."""
    where_vi = f"Tọa độ (khoảng {cx:,.6g}; {cy:,.6g}) đọc theo {label} không nằm trong Hà Nội. "
    where_en = f"The coordinates (around {cx:,.6g}; {cy:,.6g}) read in {label} are not in Hanoi. "
    geographic = crs.is_geographic
    swap_vi = ("Đổi lại bằng --swap-xy." if not csv_axes else
               "Trên sổ đo VN-2000, X là tọa độ Bắc (northing), Y là tọa độ Đông (easting); "
               "nếu cột X của bạn là tọa độ Đông, dùng --map x=easting --map y=northing.")
    swap_en = ("Swap them back with --swap-xy." if not csv_axes else
               "On VN-2000 survey sheets X is the northing and Y the easting; if your X column "
               "holds eastings, use --map x=easting --map y=northing.")
    if geographic and _fits(cx, cy, HANOI_VN2000):
        return (where_vi + "Đây là tọa độ mét VN-2000 nhưng lại được khai báo là độ (kinh độ/vĩ "
                "độ). Dùng --crs EPSG:5897.",
                where_en + "These are VN-2000 metres declared as degrees (longitude/latitude). "
                "Use --crs EPSG:5897.")
    if geographic and _fits(cy, cx, HANOI_VN2000):
        return (where_vi + "Đây là tọa độ mét VN-2000 (X, Y bị đảo) nhưng lại được khai báo là "
                "độ. Dùng --crs EPSG:5897. " + swap_vi,
                where_en + "These are VN-2000 metres, with X and Y swapped, declared as degrees. "
                "Use --crs EPSG:5897. " + swap_en)
    if geographic and _fits(cy, cx, HANOI_LONLAT):
        return (where_vi + "Kinh độ và vĩ độ bị đảo chỗ (vĩ độ đứng trước). Dùng --swap-xy.",
                where_en + "Longitude and latitude are swapped (latitude first). Use --swap-xy.")
    if not geographic and _fits(cx, cy, HANOI_LONLAT):
        return (where_vi + "Đây là kinh độ/vĩ độ (độ) nhưng lại được khai báo là tọa độ phẳng "
                "(mét). Dùng --crs EPSG:4326.",
                where_en + "These are longitude/latitude degrees declared as projected metres. "
                "Use --crs EPSG:4326.")
    if not geographic and _fits(cy, cx, HANOI_LONLAT):
        return (where_vi + "Đây là vĩ độ/kinh độ (độ, vĩ độ trước) nhưng lại được khai báo là tọa "
                "độ phẳng. Dùng --crs EPSG:4326 --swap-xy.",
                where_en + "These are latitude/longitude degrees (latitude first) declared as "
                "projected metres. Use --crs EPSG:4326 --swap-xy.")
    if not geographic and _fits(cy, cx, HANOI_VN2000):
        return (where_vi + "Tọa độ X và Y bị đảo chỗ (Bắc/Đông). " + swap_vi,
                where_en + "X and Y are swapped (northing/easting). " + swap_en)
    if not geographic and crs.to_epsg() != VN2000 and _fits(cx, cy, HANOI_VN2000):
        return (where_vi + "Tọa độ giống VN-2000 / TM-3 105° của Hà Nội: dùng --crs EPSG:5897.",
                where_en + "They look like Hanoi's VN-2000 / TM-3 105° grid: use --crs EPSG:5897.")
    try:
        lon, lat = _to_lonlat(crs).transform(cx, cy)
    except Exception:
        lon = lat = float("nan")
    if np.isfinite(lon) and np.isfinite(lat) and _fits(lon, lat, VIETNAM_LONLAT):
        return (where_vi + f"Chúng rơi vào tỉnh khác (kinh độ {lon:.3f}, vĩ độ {lat:.3f}); lớp này "
                "chỉ nhận dữ liệu của Hà Nội. Kiểm tra hệ tọa độ (kinh tuyến trục) và tệp.",
                where_en + f"They fall in another province (longitude {lon:.3f}, latitude "
                f"{lat:.3f}); this layer holds Hanoi only. Check the CRS (central meridian) and "
                "the file.")
    return (where_vi + "Chúng nằm ngoài Việt Nam: hệ tọa độ khai báo sai. Hà Nội theo VN-2000 / "
            "TM-3 105° (EPSG:5897) có tọa độ Đông 525 000–610 000 m, Bắc 2 270 000–2 367 000 m.",
            where_en + "They fall outside Vietnam: the declared CRS is wrong. In VN-2000 / TM-3 "
            "105° (EPSG:5897) Hanoi spans eastings 525,000–610,000 m, northings "
            "2,270,000–2,367,000 m.")


# --- the import -------------------------------------------------------------------------------


class _Rows:
    """Refusals of one chunk, recorded by 1-based row number in the file."""

    def __init__(self, index: np.ndarray, keys: pd.Series | None, sink: dict[int, Refusal]):
        self.index = index
        self.keys = keys
        self.sink = sink
        self.ok = np.ones(len(index), bool)

    def refuse(self, mask: np.ndarray, why: Message | Callable[[int], Message]) -> None:
        """Refuse the chunk's rows in `mask`; `why` may depend on the row's position."""
        for i in np.flatnonzero(mask):
            row = int(self.index[i]) + 1
            ref = self.sink.get(row)
            if ref is None:
                key = None if self.keys is None else self.keys.iloc[i]
                ref = self.sink[row] = Refusal(row, None if key is None or pd.isna(key)
                                               else _shown(key), [])
            ref.reasons.append(why(int(i)) if callable(why) else why)
        self.ok &= ~mask


def _resolve_columns(df: pd.DataFrame, spec: ImportSpec, mapping: dict[str, str]
                     ) -> tuple[dict[str, str], list[str]]:
    """Source column → table column or coordinate role; and the columns left unused."""
    targets = _target_names(spec)
    allowed = set(spec.names) | set(ALIASES.get(spec.layer, {})) | set(COORDINATE_ROLES.values())
    by_fold = {_fold(c): c for c in df.columns}
    chosen: dict[str, str] = {}
    for src, dst in mapping.items():
        col = by_fold.get(_fold(src))
        if col is None:
            _bad_param((f"--map {src}={dst}: tệp không có cột {src} (có: {', '.join(df.columns)}).",
                        f"--map {src}={dst}: the file has no column {src} (it has: "
                        f"{', '.join(df.columns)})."))
        target = targets.get(_fold(dst), dst)
        if target not in allowed:
            _bad_param((f"--map {src}={dst}: lớp {spec.layer} không có cột {dst} (có: "
                        f"{', '.join(sorted(allowed))}).",
                        f"--map {src}={dst}: layer {spec.layer} has no column {dst} (it has: "
                        f"{', '.join(sorted(allowed))})."))
        chosen[str(col)] = target
    for col in df.columns:
        if col in chosen:
            continue
        target = targets.get(_fold(col))
        if target is None and len(str(col)) == DBF_NAME_LENGTH:
            # Shapefiles cut field names to 10 characters: completed_on → completed_
            stems = {t for t in allowed if t.startswith(_fold(col))}
            target = stems.pop() if len(stems) == 1 else None
        if target and target not in chosen.values():
            chosen[str(col)] = target
    seen: dict[str, str] = {}
    for src, dst in chosen.items():
        if dst in seen:
            _bad_param((f"Hai cột {seen[dst]} và {src} cùng ứng với {dst}: bỏ một cột bằng --map.",
                        f"Columns {seen[dst]} and {src} both map to {dst}: drop one with --map."))
        seen[dst] = src
    ignored = [str(c) for c in df.columns if c not in chosen]
    return chosen, ignored


def _numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    txt = _strings(s).str.replace(" ", "", regex=False)
    comma = txt.str.fullmatch(r"-?\d+,\d+").fillna(False).astype(bool)
    txt = txt.where(~comma, txt.str.replace(",", ".", regex=False))
    return pd.to_numeric(txt, errors="coerce")


def _closed_lines_to_polygons(geoms: np.ndarray, types: np.ndarray) -> np.ndarray:
    """DXF gives closed polylines as rings: make them polygons."""
    idx = np.flatnonzero((types == 1) & shapely.is_closed(geoms)
                         & (shapely.get_num_coordinates(geoms) >= 4))
    if len(idx):
        geoms = geoms.copy()
        geoms[idx] = shapely.polygons(shapely.linearrings(
            shapely.get_coordinates(geoms[idx]), indices=np.repeat(
                np.arange(len(idx)), shapely.get_num_coordinates(geoms[idx]))))
    return geoms


def _as_multi(geoms: np.ndarray, family: str) -> np.ndarray:
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    single = {"polygon": 3, "line": 1}.get(family)
    if single is not None:
        idx = np.flatnonzero(types == single)
        if len(idx):
            make = shapely.multipolygons if family == "polygon" else shapely.multilinestrings
            out[idx] = make(geoms[idx].reshape(-1, 1))
    else:
        idx = np.flatnonzero(types == 4)
        if len(idx):
            out[idx] = shapely.get_geometry(geoms[idx], 0)
    return out


def _fix(geom: Any, family: str) -> Any:
    """make_valid, keeping only the parts of the layer's geometry family."""
    fixed = shapely.make_valid(geom)
    parts = shapely.get_parts(fixed)
    parts = parts[np.isin(shapely.get_type_id(parts), FAMILY[family])]
    if not len(parts):
        return None
    if family == "polygon":
        return shapely.multipolygons(shapely.get_parts(parts))
    if family == "line":
        return shapely.multilinestrings(shapely.get_parts(parts))
    return parts[0] if len(parts) == 1 else None


def _coordinate_columns(roles: dict[str, str]) -> tuple[str, str, str]:
    """The kind of coordinate columns (ne, lonlat, xy) and the two columns, first axis first."""
    col = {role: src for src, role in roles.items()}
    if "northing" in col and "easting" in col:
        return "ne", col["easting"], col["northing"]
    if "lon" in col and "lat" in col:
        return "lonlat", col["lon"], col["lat"]
    if "x" in col and "y" in col:
        return "xy", col["x"], col["y"]
    _reject(("Tệp không có hình học, cũng không có cột tọa độ (x/y, X/Y, northing/easting, "
             "lon/lat, longitude/latitude, kinh_do/vi_do). Đặt tên cột bằng --map.",
             "The file has no geometry and no coordinate columns (x/y, X/Y, northing/easting, "
             "lon/lat, longitude/latitude, kinh_do/vi_do). Name them with --map."))


def _looks_like_degrees(a: pd.Series, b: pd.Series) -> bool:
    ma, mb = np.nanmedian(a.to_numpy(dtype=float)), np.nanmedian(b.to_numpy(dtype=float))
    return bool(abs(ma) <= 180 and abs(mb) <= 90)


def _row_rules(layer: str, v: dict[str, pd.Series], rows: _Rows) -> None:
    """The table's CHECK constraints, checked row by row before writing."""
    none = np.zeros(rows.ok.shape, bool)

    def has(name: str) -> np.ndarray:
        s = v.get(name)
        return none if s is None else s.notna().to_numpy()

    def before(a: str, b: str) -> np.ndarray:
        if a not in v or b not in v:
            return none
        later = (v[b].fillna("").astype(str) < v[a].fillna("").astype(str)).to_numpy()
        return has(a) & has(b) & later

    def flag(s: pd.Series) -> np.ndarray:
        return s.fillna(False).astype(bool).to_numpy()

    if layer == "parcels" and "status" in v:
        st = v["status"].fillna("").astype(str)
        for cond, col, vi, en in (
            (st != "drafted", "published_on", "đã công khai", "published"),
            (~st.isin(["drafted", "published"]), "approved_on", "đã phê duyệt", "approved"),
            (st.isin(["paid", "handed_over"]), "paid_on", "đã chi trả", "paid"),
            (st == "handed_over", "handed_over_on", "đã bàn giao", "handed over"),
        ):
            rows.refuse(flag(cond) & ~has(col) & flag(st != ""), lambda i, c=col, a=vi, b=en: (
                f"trạng thái {st.iloc[i]} cần {c} (phương án {a})",
                f"status {st.iloc[i]} needs {c} (the plan was {b})"))
        for a, b in (("published_on", "approved_on"), ("approved_on", "paid_on"),
                     ("paid_on", "handed_over_on")):
            rows.refuse(before(a, b), (f"{b} trước {a}", f"{b} is before {a}"))
    if layer == "parcels" and "compensation_vnd" in v:
        rows.refuse(flag(v["compensation_vnd"].fillna(0) < 0),
                    ("compensation_vnd âm", "compensation_vnd is negative"))
    if layer == "projects" and "status" in v:
        done = flag(v["status"] == "completed")
        rows.refuse(done & ~has("completed_on"),
                    ("dự án đã hoàn thành cần completed_on", "a completed project needs completed_on"))
        rows.refuse(~done & has("completed_on") & has("status"),
                    ("completed_on chỉ dành cho dự án đã hoàn thành (status completed)",
                     "completed_on is only for completed projects (status completed)"))
        rows.refuse(before("started_on", "completed_on"),
                    ("completed_on trước started_on", "completed_on is before started_on"))
    if layer == "civilized_streets" and "year_recognised" in v:
        y = v["year_recognised"]
        rows.refuse(flag(y.notna() & ((y < 1990) | (y > 2100))),
                    ("year_recognised phải trong khoảng 1990–2100",
                     "year_recognised must be within 1990–2100"))


US = "\x1f"  # ASCII unit separator


def _joined(values: Any) -> str:
    """Strings joined by the unit separator: one parameter instead of a large array."""
    return US.join(values)


@dataclass
class _Options:
    crs: CRS | None
    mapping: dict[str, str]
    values: dict[str, str]
    swap_xy: bool
    fix: bool


class _Importer:
    """The checks of one file, applied a chunk at a time; state that spans chunks lives here."""

    def __init__(self, spec: ImportSpec, result: ImportResult, opts: _Options):
        self.spec, self.result, self.opts = spec, result, opts
        self.family = spec.geometry
        self.refused: dict[int, Refusal] = {}
        self.valid = 0
        self.seen: dict[tuple[str, ...], set[str]] = {k: set() for k in spec.unique}
        self.project_ids: dict[str, int | None] = {}
        self.known_ids: dict[str, dict[int, bool]] = {c: {} for c, _ in spec.references}
        self.centres: list[np.ndarray] = []
        self.usable = self.outside = 0

    def start(self, df: pd.DataFrame, geometry: Any) -> None:
        """Decide, from the first chunk, the columns, the CRS and the coordinate columns."""
        spec, opts, result = self.spec, self.opts, self.result
        self.roles, result.ignored_columns = _resolve_columns(df, spec, opts.mapping)
        self.source_of = {dst: src for src, dst in self.roles.items()}
        self.key_src = self.source_of.get("code") or self.source_of.get("name")
        self.has_geometry = geometry is not None and bool(geometry.notna().any())
        self.coords: tuple[str, str, str] | None = None
        if self.has_geometry:
            file_crs = getattr(geometry, "crs", None)
            if opts.crs is not None:
                crs, result.crs_origin = opts.crs, "option"
            elif file_crs is not None:
                crs, result.crs_origin = CRS.from_user_input(file_crs), "file"
            else:
                b = shapely.bounds(np.asarray(geometry.array, dtype=object))
                crs = CRS.from_epsg(WGS84 if _looks_like_degrees(
                    pd.Series(b[:, 0]), pd.Series(b[:, 1])) else VN2000)
                result.crs_origin = "assumed"
        else:
            kind, a, b = _coordinate_columns(self.roles)
            degrees = _looks_like_degrees(_numbers(df[a]), _numbers(df[b]))
            if kind == "xy" and (opts.crs.is_geographic if opts.crs else degrees):
                kind = "lonlat"  # x/y holding degrees: GIS order, x = longitude
            elif kind == "xy":
                kind, a, b = "yx", b, a  # VN-2000 survey sheets: X is the northing, Y the easting
            self.coords = (kind, a, b)
            crs = opts.crs or CRS.from_epsg(WGS84 if kind == "lonlat" else VN2000)
            result.crs_origin = "option" if opts.crs else "assumed"
        self.crs = crs
        result.crs = crs_label(crs)
        self.tr = _to_storage(crs)
        self.project_codes_src = self.source_of.get("project_code") \
            if spec.layer == "parcels" else None
        by_code = self.project_codes_src is not None or (
            spec.layer == "parcels" and "project_code" in opts.values)
        self.by_code = {"project_id"} if by_code else set()
        present = set(self.source_of) | set(opts.values)
        missing = [c.name for c in spec.columns
                   if c.required and c.name not in present and c.name not in self.by_code]
        if missing:
            _reject((f"Thiếu cột bắt buộc: {', '.join(missing)}. Cột trong tệp: "
                     f"{', '.join(map(str, df.columns)) or '—'}. Đặt tên bằng --map nguồn=đích "
                     "hoặc gán một giá trị cho mọi dòng bằng --set cột=giá_trị.",
                     f"Required columns missing: {', '.join(missing)}. Columns in the file: "
                     f"{', '.join(map(str, df.columns)) or '—'}. Name them with --map "
                     "source=target or give all rows one value with --set column=value."))
        self.names = [c.name for c in spec.columns
                      if c.name in present or c.name in self.by_code]

    def _points(self, df: pd.DataFrame, rows: _Rows) -> np.ndarray:
        assert self.coords is not None
        _, a, b = self.coords
        va, vb = _numbers(df[a]), _numbers(df[b])
        missing = (va.isna() | vb.isna()).to_numpy()
        rows.refuse(missing, lambda i: (
            f"tọa độ thiếu hoặc không phải số ({a}={_shown(df[a].iloc[i])}, "
            f"{b}={_shown(df[b].iloc[i])})",
            f"coordinate missing or not a number ({a}={_shown(df[a].iloc[i])}, "
            f"{b}={_shown(df[b].iloc[i])})"))
        geoms = shapely.points(va.to_numpy(dtype=float), vb.to_numpy(dtype=float))
        geoms[missing] = None
        return geoms

    def check(self, df: pd.DataFrame, geometry: Any, conn: Connection) -> list[list[Any]]:
        """Check a chunk (its index numbers the rows in the file); the COPY rows it accepts."""
        spec, family, opts = self.spec, self.family, self.opts
        keys = _strings(df[self.key_src]) if self.key_src else None
        rows = _Rows(df.index.to_numpy(), keys, self.refused)
        if self.has_geometry:
            geoms = np.asarray(geometry.array, dtype=object)
        else:
            geoms = self._points(df, rows)
        if opts.swap_xy:
            geoms = shapely.transform(geoms, lambda xy: xy[:, ::-1])
        stored = self._geometries(geoms, rows)
        values = self._attributes(df, rows)
        self._lookups(values, df, rows, conn)
        _row_rules(spec.layer, values, rows)
        self.valid += int(rows.ok.sum())
        return _copy_rows_of(values, self.names, stored, rows.ok, family)

    def _geometries(self, geoms: np.ndarray, rows: _Rows) -> np.ndarray:
        family, result = self.family, self.result
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        rows.refuse(missing & rows.ok, ("không có hình học (trống hoặc không đọc được)",
                                        "no geometry (empty or unreadable)"))
        types = shapely.get_type_id(geoms)
        wrong = ~missing & ~np.isin(types, FAMILY[family])
        if family == "point":
            wrong |= (types == 4) & (shapely.get_num_geometries(geoms) != 1)
        rows.refuse(wrong, lambda i: (
            f"hình học {geoms[i].geom_type} không phải {GEOMETRY_WORDS[family][0]}",
            f"geometry {geoms[i].geom_type} is not {GEOMETRY_WORDS[family][1]}"))
        usable = ~missing & ~wrong
        raw = shapely.bounds(geoms)
        stored = geoms.copy() if self.tr is None else _transform(np.where(usable, geoms, None),
                                                                 self.tr)
        inside = _inside(shapely.bounds(stored), HANOI_VN2000) & usable
        self.usable += int(usable.sum())
        self.outside += int((usable & ~inside).sum())
        self.centres.append(np.column_stack([(raw[usable, 0] + raw[usable, 2]) / 2,
                                             (raw[usable, 1] + raw[usable, 3]) / 2]))
        self.diagnose_if_wrong_crs()
        rows.refuse(usable & ~inside, lambda i: (
            f"nằm ngoài Hà Nội ({raw[i, 0]:,.6g}; {raw[i, 1]:,.6g} theo {result.crs})",
            f"outside Hanoi ({raw[i, 0]:,.6g}; {raw[i, 1]:,.6g} in {result.crs})"))
        # Validity in the storage CRS, as the table's CHECK sees it; repaired only when asked.
        check = np.flatnonzero(inside)
        where = "" if self.tr is None else " (VN-2000)"
        for j in check[~shapely.is_valid(stored[check])]:
            reason = shapely.is_valid_reason(stored[j])
            repaired = _fix(stored[j], family) if self.opts.fix else None
            if repaired is not None and shapely.is_valid(repaired) and not repaired.is_empty:
                change = _measure(stored[j], repaired, family)
                row = int(rows.index[j]) + 1
                result.fixed.append((
                    f"dòng {row}: đã sửa hình học ({reason}{where}); {change[0]}",
                    f"row {row}: geometry fixed ({reason}{where}); {change[1]}"))
                stored[j] = repaired
                continue
            hint = ("", "") if self.opts.fix else (" (có thể thử --fix)", " (--fix may repair it)")
            rows.refuse(np.arange(len(stored)) == j, (
                f"hình học không hợp lệ: {reason}{where}{hint[0]}",
                f"invalid geometry: {reason}{where}{hint[1]}"))
        return _as_multi(stored, family)

    def diagnose_if_wrong_crs(self) -> None:
        """Most rows outside Hanoi: the CRS is wrong, say which mistake it looks like."""
        if self.usable and self.outside * 2 > self.usable:
            cx, cy = np.nanmedian(np.concatenate(self.centres), axis=0)
            kind = self.coords[0] if self.coords else None
            _reject(_diagnose(float(cx), float(cy), self.crs, self.result.crs,
                              kind if kind == "yx" else None))

    def _attributes(self, df: pd.DataFrame, rows: _Rows) -> dict[str, pd.Series]:
        spec, values = self.spec, self.opts.values
        out: dict[str, pd.Series] = {}
        for col in spec.columns:
            src = self.source_of.get(col.name)
            if src is None and col.name not in values:
                continue
            raw = df[src] if src is not None else pd.Series(None, index=df.index, dtype=object)
            if col.name in values:
                raw = raw.astype(object).where(raw.notna(), values[col.name])
            conv, bad, why = _convert(spec.layer, col, raw)
            rows.refuse(bad, lambda i, raw=raw, w=why: (f"{w[0]}: {_shown(raw.iloc[i])}",
                                                        f"{w[1]}: {_shown(raw.iloc[i])}"))
            if col.default is not None:
                conv = conv.fillna(col.default)
            elif col.required and col.name not in self.by_code:
                rows.refuse(conv.isna().to_numpy() & ~bad,
                            (f"thiếu {col.name}", f"{col.name} is empty"))
            out[col.name] = conv
        return out

    def _lookups(self, v: dict[str, pd.Series], df: pd.DataFrame, rows: _Rows,
                 conn: Connection) -> None:
        """Project codes, references and uniqueness, against the database and the file so far."""
        spec = self.spec
        if self.by_code:
            codes = _strings(df[self.project_codes_src]) if self.project_codes_src else \
                pd.Series(None, index=df.index, dtype=object)
            if "project_code" in self.opts.values:
                codes = codes.where(codes.notna(), self.opts.values["project_code"])
            new = [c for c in codes.dropna().unique() if c not in self.project_ids]
            if new:
                found = dict(conn.execute(text(
                    "SELECT code, id FROM projects WHERE code = ANY(string_to_array(:c, chr(31)))"),
                    {"c": _joined(new)}).all())
                self.project_ids.update({c: found.get(c) for c in new})
            ids = codes.map(self.project_ids)
            rows.refuse((codes.notna() & ids.isna()).to_numpy(), lambda i: (
                f"không có dự án mã {codes.iloc[i]}", f"no project with code {codes.iloc[i]}"))
            rows.refuse(codes.isna().to_numpy() & (
                v["project_id"].isna().to_numpy() if "project_id" in v else True),
                ("thiếu project_code", "project_code is empty"))
            ids = ids.astype("Int64")
            v["project_id"] = ids if "project_id" not in v else v["project_id"].fillna(ids)
        for col, table in spec.references:
            s = v.get(col)
            if s is None or not s.notna().any():
                continue
            known = self.known_ids[col]
            new_ids = [int(x) for x in s.dropna().unique() if int(x) not in known]
            if new_ids:
                found_ids = set(conn.execute(text(f"SELECT id FROM {table} WHERE id = ANY(:i)"),
                                             {"i": new_ids}).scalars())
                known.update({i: i in found_ids for i in new_ids})
            absent = (s.notna() & ~s.map(known).fillna(False).astype(bool)).to_numpy()
            rows.refuse(absent, lambda i, s=s, c=col, t=table: (
                f"{c} = {s.iloc[i]}: không có trong bảng {t}", f"{c} = {s.iloc[i]}: not in {t}"))
        for key in spec.unique:
            if any(k not in v for k in key):
                continue
            parts = [v[k].astype(object) for k in key]
            complete = np.logical_and.reduce([p.notna().to_numpy() for p in parts])
            if len(key) == 1:
                ident = parts[0].where(complete, None).astype(object)
            else:
                ident = pd.Series([US.join(map(str, t)) if c else None
                                   for t, c in zip(zip(*parts, strict=True), complete, strict=True)],
                                  index=df.index, dtype=object)
            label, seen = "+".join(key), self.seen[key]
            dup = complete & (ident.duplicated(keep="first") | ident.isin(seen)).to_numpy()
            seen.update(ident[complete].tolist())

            def shown(i: int, ident: pd.Series = ident) -> str:
                return str(ident.iloc[i]).replace(US, " / ")

            rows.refuse(dup, lambda i, shown=shown, label=label: (
                f"{label} {shown(i)} lặp lại trong tệp", f"{label} {shown(i)} repeats within the file"))
            cols = ", ".join(key)
            unnest = ", ".join(f"string_to_array(:k{j}, chr(31))" for j in range(len(key)))
            params = {f"k{j}": _joined(p[complete].astype(str)) for j, p in enumerate(parts)}
            existing = conn.execute(text(
                f"SELECT {cols} FROM {spec.layer} WHERE ({cols}) IN "
                f"(SELECT * FROM unnest({unnest}))"), params).all()
            if existing:
                hits = {US.join(str(x) for x in r) for r in existing}
                rows.refuse(complete & ident.isin(hits).to_numpy(), lambda i, shown=shown,
                            label=label: (f"{label} {shown(i)} đã có trong lớp {spec.layer}",
                                          f"{label} {shown(i)} already exists in layer "
                                          f"{spec.layer}"))


def _chunks(src: S.VectorSource, fmt: str, name: str
            ) -> tuple[int, Iterator[tuple[pd.DataFrame, Any]]]:
    """The number of features and an iterator of (attributes, geometry) chunks, index = row."""
    total = src.features
    if fmt.startswith(("GeoPackage", "Shapefile")) and total >= 0:
        # Large files are read a chunk at a time, so the server works while the rest is read.
        def stream() -> Iterator[tuple[pd.DataFrame, Any]]:
            for start in range(0, total, CHUNK):
                df = _read(src, fmt, name, skip=start, limit=CHUNK)
                df.index = pd.RangeIndex(start, start + len(df))
                yield _split(df)
        return total, stream()
    df = _read(src, fmt, name)
    df = df.reset_index(drop=True)
    total = len(df)

    def whole() -> Iterator[tuple[pd.DataFrame, Any]]:
        for start in range(0, len(df), CHUNK):
            yield _split(df.iloc[start:start + CHUNK])
    return total, whole()


def _split(df: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    if "geometry" not in df.columns:
        return df, None
    return df.drop(columns="geometry"), df["geometry"]


def _drawing_entities(df: pd.DataFrame, geometry: Any, family: str) -> tuple[pd.DataFrame, Any,
                                                                            int]:
    """A drawing's entities of the layer's geometry family (closed polylines as polygons)."""
    geoms = np.asarray(geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    if family == "polygon":
        geoms = _closed_lines_to_polygons(geoms, types)
        types = shapely.get_type_id(geoms)
    keep = np.isin(types, FAMILY[family])
    kept = gpd.GeoSeries(geoms[keep], index=df.index[keep], crs=geometry.crs)
    return df[keep], kept, int((~keep).sum())


def import_file(
    engine: Engine,
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    source_layer: str | None = None,
    swap_xy: bool = False,
    fix: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    analyze: bool = True,
    progress: Callable[[int, int], None] | None = None,
    limits: S.Limits = S.IMPORT_LIMITS,
) -> ImportResult:
    """Import a file into a layer with one COPY in one transaction; raise ImportRejectedError.

    The file is read and checked a chunk at a time while the accepted rows stream to the server;
    a refused row (unless `skip_invalid`) or any database error rolls the whole import back.
    """
    t0 = time.perf_counter()
    spec = IMPORT_SPECS.get(layer)
    if spec is None:
        _bad_param((f"Không nhập được vào lớp {layer} (các lớp: {', '.join(IMPORT_SPECS)}).",
                    f"Cannot import into layer {layer} (layers: {', '.join(IMPORT_SPECS)})."))
    path = Path(path)
    opts = _Options(_parse_crs(crs) if crs else None, mapping or {}, values or {}, swap_xy, fix)
    result = ImportResult(layer=layer, source=path.name, dry_run=dry_run)
    imp = _Importer(spec, result, opts)

    def done() -> ImportResult:
        result.elapsed_s = time.perf_counter() - t0
        result.refused = [imp.refused[k] for k in sorted(imp.refused)]
        result.valid = imp.valid
        return result

    vertices = 0

    def entities(chunk: tuple[pd.DataFrame, Any]) -> tuple[pd.DataFrame, Any]:
        nonlocal vertices
        df, geometry = chunk
        result.read += len(df)
        if geometry is not None:
            vertices = S.count_vertices(geometry, path.name, limits, vertices)
        if result.format.startswith("DXF") and geometry is not None:
            # Drawings mix texts and other entities with the features: leave those out, counted.
            df, geometry, skipped = _drawing_entities(df, geometry, spec.geometry)
            result.ignored_rows += skipped
        return df, geometry

    def verdict() -> None:
        imp.diagnose_if_wrong_crs()
        if imp.refused and not skip_invalid:
            _reject(_refused_message(len(imp.refused)))
        if not imp.valid:
            _reject(NO_VALID_ROWS)

    try:
        src, result.format = _open(path, source_layer, layer, limits)
        total, chunks = _chunks(src, result.format, path.name)
        raw_first = next(chunks, None)
        if raw_first is None or not len(raw_first[0]):
            _reject((f"Tệp {path.name} không có dòng dữ liệu nào: không có gì để nhập.",
                     f"File {path.name} holds no rows: nothing to import."))
        first = entities(raw_first)
        if not len(first[0]):
            _reject((f"Bản vẽ {path.name} không có {GEOMETRY_WORDS[spec.geometry][0]} nào.",
                     f"The drawing {path.name} holds no {GEOMETRY_WORDS[spec.geometry][1]}."))
        imp.start(*first)
        with engine.connect() as lookup:
            # The lookup connection reads while the writing one is busy with COPY.
            def checked() -> Iterator[list[Any]]:
                for df, geometry in itertools.chain([first], map(entities, chunks)):
                    accepted = imp.check(df, geometry, lookup)
                    if not dry_run and (skip_invalid or not imp.refused):
                        yield from accepted
                    if progress:
                        progress(result.read, max(total, result.read))

            if dry_run:
                for _ in checked():
                    pass
                verdict()
            else:
                with engine.begin() as conn:
                    result.written = copy_rows(conn, spec.layer,
                                               [*imp.names, *_geom_columns(spec.geometry)],
                                               checked())
                    verdict()  # raising here rolls the COPY back
    except ImportRejectedError as exc:
        result.written = 0
        exc.result = done()
        raise
    except S.FileRefusedError as exc:  # a zip or a file over the size limits
        result.written = 0
        _reject((exc.message_vi, exc.message_en), done(), detail=exc.detail)
    except (DBAPIError, psycopg.Error) as exc:  # COPY runs on the driver's connection
        orig = getattr(exc, "orig", exc)
        diag = getattr(orig, "diag", None)
        msg = getattr(diag, "message_primary", None) or str(orig).splitlines()[0]
        extra = getattr(diag, "message_detail", None)
        msg += f" — {extra}" if extra else ""
        result.written = 0
        _reject((f"Cơ sở dữ liệu từ chối dữ liệu, không có gì được ghi (tất cả hoặc không): {msg}",
                 f"The database refused the data; nothing was written (all or nothing): {msg}"),
                done(), detail=str(exc))
    if analyze and not dry_run:
        with engine.begin() as conn:
            conn.execute(text(f"ANALYZE {spec.layer}"))
    return done()


NO_VALID_ROWS: Message = ("Không còn dòng hợp lệ nào để ghi.", "No valid rows are left to write.")


def _measure(before: Any, after: Any, family: str) -> Message:
    """How a repair changed the area or length, on the VN-2000 grid."""
    if family == "polygon":
        change = f"{before.area:,.1f} m² → {after.area:,.1f} m²"
        return (f"diện tích {change}", f"area {change}")
    if family == "line":
        change = f"{before.length:,.1f} m → {after.length:,.1f} m"
        return (f"chiều dài {change}", f"length {change}")
    return ("", "")


def _refused_message(n: int) -> Message:
    return (f"{n} dòng không hợp lệ; không có gì được ghi (tất cả hoặc không). Sửa tệp, hoặc dùng "
            "--skip-invalid để chỉ ghi các dòng hợp lệ.",
            f"{n} row(s) refused; nothing was written (all or nothing). Fix the file, or use "
            "--skip-invalid to write only the valid rows.")


def _geom_columns(family: str) -> list[str]:
    # Markers keep the surveyed VN-2000 numbers; the table derives the point from them.
    return ["northing_m", "easting_m"] if family == "point" else ["geom"]


def _copy_rows_of(values: dict[str, pd.Series], names: list[str], geoms: np.ndarray,
                  ok: np.ndarray, family: str) -> list[list[Any]]:
    """COPY rows of a chunk's accepted rows: attributes, then hex EWKB or VN-2000 numbers."""
    idx = np.flatnonzero(ok)
    if not len(idx):
        return []
    frame = pd.DataFrame({c: values[c].iloc[idx].to_numpy() for c in names})
    frame = frame.astype(object).where(frame.notna(), None)
    g = geoms[idx]
    if family == "point":
        xy = shapely.get_coordinates(g)
        frame["northing_m"] = [f"{y:.3f}" for y in xy[:, 1]]
        frame["easting_m"] = [f"{x:.3f}" for x in xy[:, 0]]
    else:
        # Binary EWKB, hexed by Python: twice as fast as GEOS's own hex writer.
        frame["geom"] = [w.hex() for w in shapely.to_wkb(shapely.set_srid(g, VN2000),
                                                          include_srid=True)]
    return frame.to_numpy().tolist()
