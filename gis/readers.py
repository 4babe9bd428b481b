"""Reading survey and cadastral files for import: GDAL through `gis.safe_open`, a chunk at a time.

`open_source` opens a GeoPackage, Shapefile (plain or zipped), GeoJSON, DXF or CSV with coordinate
columns, `read_chunks` reads its rows, and `Geometries` works out the file's CRS, explains the
classic CRS mistakes when the coordinates do not fall in Hanoi, and turns each chunk's geometries
into valid VN-2000 geometries of the layer's family. Knows no tables: rows a check refuses are
recorded in `Rows` with the reason, in Vietnamese and English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from core.errors import InvalidDataError, InvalidParameterError
from gis import safe_open as S
from gis.srs import HANOI_LONLAT, HANOI_VN2000, VN2000, WGS84, transformer

CHUNK = 10_000
# The first chunk is small: its rows reach the database while the next chunk is read, so the
# server does not wait for ten thousand rows to be read and checked before it starts.
FIRST_CHUNK = 1_000
DBF_NAME_LENGTH = 10
VIETNAM_LONLAT = (102.0, 8.0, 110.0, 23.5)
FORMATS = {
    ".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "Shapefile (zip)", ".geojson": "GeoJSON",
    ".json": "GeoJSON", ".dxf": "DXF", ".csv": "CSV", ".txt": "CSV",
}
ZIP_MEMBERS = (".shp", ".gpkg", ".geojson", ".json", ".dxf", ".csv")
# Folded column names that hold coordinates, and the role of each.
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

Message = tuple[str, str]  # (Vietnamese, English)


# --- errors and refused rows ------------------------------------------------------------------


class FileRejectedError(InvalidDataError):
    """The file cannot be imported as it is: unreadable, empty, or in the wrong CRS."""

    code = "ImportRejected"


class ReadParameterError(InvalidParameterError):
    """A parameter of the reading (file, layer inside it, CRS, coordinate columns) is wrong."""


def _reject(msg: Message, detail: str | None = None) -> NoReturn:
    raise FileRejectedError(msg[0], msg[1], detail)


def _bad_param(msg: Message) -> NoReturn:
    raise ReadParameterError(msg[0], msg[1])


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


class Rows:
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
                                               else shown(key), [])
            ref.reasons.append(why(int(i)) if callable(why) else why)
        self.ok &= ~mask


# --- names and values as a file gives them ----------------------------------------------------


def fold(s: str) -> str:
    """Lowercase without diacritics, words joined by `_` ("Tọa độ X" → "toa_do_x")."""
    s = unicodedata.normalize("NFD", str(s).replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def shown(v: Any) -> str:
    """A value as a message quotes it, cut to 40 characters."""
    s = str(v)
    return s if len(s) <= 40 else s[:37] + "…"


def strings(s: pd.Series) -> pd.Series:
    """Values as stripped strings (integral floats without `.0`), empty → None; object dtype."""
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.dropna()
        if len(vals) and bool((vals % 1 == 0).all()):
            s = s.astype("Int64")
    arr = s.to_numpy(dtype=object, na_value=None)
    out = [v if v is None else (v.strip() or None) if isinstance(v, str) else str(v) for v in arr]
    return pd.Series(out, index=s.index, dtype=object)


def numbers(s: pd.Series) -> pd.Series:
    """Coordinates as floats; a decimal comma is read as a point, anything else → NaN."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    txt = strings(s).str.replace(" ", "", regex=False)
    comma = txt.str.fullmatch(r"-?\d+,\d+").fillna(False).astype(bool)
    txt = txt.where(~comma, txt.str.replace(",", ".", regex=False))
    return pd.to_numeric(txt, errors="coerce")


# --- opening and reading the file -------------------------------------------------------------


def _cannot_read(name: str, fmt: str, exc: S.FileRefusedError) -> NoReturn:
    _reject((f"Không đọc được tệp {name}: không phải {fmt} hợp lệ hoặc tệp bị hỏng.",
             f"Cannot read {name}: not a valid {fmt} file, or the file is damaged."),
            detail=exc.detail)


def open_source(path: Path, source_layer: str | None, layer: str, limits: S.Limits
                ) -> tuple[S.VectorSource, str]:
    """The checked layer and format label of a file (zip members are read through /vsizip/).

    The file's first bytes must match its name and only that format's driver may read it. In a
    file of several layers, the one named `source_layer`, the only spatial one, or the one named
    like the target `layer` is read.
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


def chunk_bounds(total: int) -> Iterator[tuple[int, int]]:
    """(start, stop) rows of each chunk: FIRST_CHUNK rows, then CHUNK rows at a time."""
    start, size = 0, min(FIRST_CHUNK, CHUNK)
    while start < total:
        yield start, min(total, start + size)
        start, size = start + size, CHUNK


def read_chunks(src: S.VectorSource, fmt: str, name: str
                ) -> tuple[int, Iterator[tuple[pd.DataFrame, Any]]]:
    """The number of features and an iterator of (attributes, geometry) chunks, index = row."""
    total = src.features
    if fmt.startswith(("GeoPackage", "Shapefile")) and total >= 0:
        # Large files are read a chunk at a time, so the server works while the rest is read.
        def stream() -> Iterator[tuple[pd.DataFrame, Any]]:
            for start, stop in chunk_bounds(total):
                df = _read(src, fmt, name, skip=start, limit=stop - start)
                df.index = pd.RangeIndex(start, start + len(df))
                yield _split(df)
        return total, stream()
    df = _read(src, fmt, name)
    df = df.reset_index(drop=True)
    total = len(df)

    def whole() -> Iterator[tuple[pd.DataFrame, Any]]:
        for start, stop in chunk_bounds(len(df)):
            yield _split(df.iloc[start:stop])
    return total, whole()


def _split(df: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    if "geometry" not in df.columns:
        return df, None
    return df.drop(columns="geometry"), df["geometry"]


def drawing_entities(df: pd.DataFrame, geometry: Any, family: str) -> tuple[pd.DataFrame, Any,
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


# --- the CRS ----------------------------------------------------------------------------------


def parse_crs(ref: str) -> CRS:
    """The CRS of a `--crs` value (EPSG:5897, 4326, a PROJ string...)."""
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


def _looks_like_degrees(a: pd.Series, b: pd.Series) -> bool:
    ma, mb = np.nanmedian(a.to_numpy(dtype=float)), np.nanmedian(b.to_numpy(dtype=float))
    return bool(abs(ma) <= 180 and abs(mb) <= 90)


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


# --- geometries of the layer's family ---------------------------------------------------------


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


def _measure(before: Any, after: Any, family: str) -> Message:
    """How a repair changed the area or length, on the VN-2000 grid."""
    if family == "polygon":
        change = f"{before.area:,.1f} m² → {after.area:,.1f} m²"
        return (f"diện tích {change}", f"area {change}")
    if family == "line":
        change = f"{before.length:,.1f} m → {after.length:,.1f} m"
        return (f"chiều dài {change}", f"length {change}")
    return ("", "")


class Geometries:
    """The CRS of one file and the checks of its geometries; state that spans chunks lives here."""

    def __init__(self, family: str, crs: CRS | None = None, swap_xy: bool = False,
                 fix: bool = False):
        self.family, self.crs_option, self.swap_xy, self.fix = family, crs, swap_xy, fix
        self.crs_origin = ""  # file | option | assumed
        self.label = ""
        self.fixed: list[Message] = []
        self.centres: list[np.ndarray] = []
        self.usable = self.outside = 0

    def start(self, df: pd.DataFrame, geometry: Any, roles: dict[str, str]) -> None:
        """Decide, from the first chunk, the CRS and (without geometries) the coordinate columns.

        `roles` maps the file's columns to what they hold (x, y, northing, easting, lon, lat...).
        """
        self.has_geometry = geometry is not None and bool(geometry.notna().any())
        self.coords: tuple[str, str, str] | None = None
        if self.has_geometry:
            file_crs = getattr(geometry, "crs", None)
            if self.crs_option is not None:
                crs, self.crs_origin = self.crs_option, "option"
            elif file_crs is not None:
                crs, self.crs_origin = CRS.from_user_input(file_crs), "file"
            else:
                b = shapely.bounds(np.asarray(geometry.array, dtype=object))
                crs = CRS.from_epsg(WGS84 if _looks_like_degrees(
                    pd.Series(b[:, 0]), pd.Series(b[:, 1])) else VN2000)
                self.crs_origin = "assumed"
        else:
            kind, a, b = _coordinate_columns(roles)
            degrees = _looks_like_degrees(numbers(df[a]), numbers(df[b]))
            opt = self.crs_option
            if kind == "xy" and (opt.is_geographic if opt else degrees):
                kind = "lonlat"  # x/y holding degrees: GIS order, x = longitude
            elif kind == "xy":
                kind, a, b = "yx", b, a  # VN-2000 survey sheets: X is the northing, Y the easting
            self.coords = (kind, a, b)
            crs = opt or CRS.from_epsg(WGS84 if kind == "lonlat" else VN2000)
            self.crs_origin = "option" if opt else "assumed"
        self.crs = crs
        self.label = crs_label(crs)
        self.tr = _to_storage(crs)

    def check(self, df: pd.DataFrame, geometry: Any, rows: Rows) -> np.ndarray:
        """A chunk's geometries in VN-2000, of the layer's family; the others refused in `rows`."""
        if self.has_geometry:
            geoms = np.asarray(geometry.array, dtype=object)
        else:
            geoms = self._points(df, rows)
        if self.swap_xy:
            geoms = shapely.transform(geoms, lambda xy: xy[:, ::-1])
        return self._stored(geoms, rows)

    def _points(self, df: pd.DataFrame, rows: Rows) -> np.ndarray:
        assert self.coords is not None
        _, a, b = self.coords
        va, vb = numbers(df[a]), numbers(df[b])
        missing = (va.isna() | vb.isna()).to_numpy()
        rows.refuse(missing, lambda i: (
            f"tọa độ thiếu hoặc không phải số ({a}={shown(df[a].iloc[i])}, "
            f"{b}={shown(df[b].iloc[i])})",
            f"coordinate missing or not a number ({a}={shown(df[a].iloc[i])}, "
            f"{b}={shown(df[b].iloc[i])})"))
        geoms = shapely.points(va.to_numpy(dtype=float), vb.to_numpy(dtype=float))
        geoms[missing] = None
        return geoms

    def _stored(self, geoms: np.ndarray, rows: Rows) -> np.ndarray:
        family, label = self.family, self.label
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
            f"nằm ngoài Hà Nội ({raw[i, 0]:,.6g}; {raw[i, 1]:,.6g} theo {label})",
            f"outside Hanoi ({raw[i, 0]:,.6g}; {raw[i, 1]:,.6g} in {label})"))
        # Validity in the storage CRS, as the table's CHECK sees it; repaired only when asked.
        check = np.flatnonzero(inside)
        where = "" if self.tr is None else " (VN-2000)"
        for j in check[~shapely.is_valid(stored[check])]:
            reason = shapely.is_valid_reason(stored[j])
            repaired = _fix(stored[j], family) if self.fix else None
            if repaired is not None and shapely.is_valid(repaired) and not repaired.is_empty:
                change = _measure(stored[j], repaired, family)
                row = int(rows.index[j]) + 1
                self.fixed.append((
                    f"dòng {row}: đã sửa hình học ({reason}{where}); {change[0]}",
                    f"row {row}: geometry fixed ({reason}{where}); {change[1]}"))
                stored[j] = repaired
                continue
            hint = ("", "") if self.fix else (" (có thể thử --fix)", " (--fix may repair it)")
            rows.refuse(np.arange(len(stored)) == j, (
                f"hình học không hợp lệ: {reason}{where}{hint[0]}",
                f"invalid geometry: {reason}{where}{hint[1]}"))
        return _as_multi(stored, family)

    def diagnose_if_wrong_crs(self) -> None:
        """Most rows outside Hanoi: the CRS is wrong, say which mistake it looks like."""
        if self.usable and self.outside * 2 > self.usable:
            cx, cy = np.nanmedian(np.concatenate(self.centres), axis=0)
            kind = self.coords[0] if self.coords else None
            _reject(_diagnose(float(cx), float(cy), self.crs, self.label,
                              kind if kind == "yx" else None))
