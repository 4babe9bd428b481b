"""Georeferencing plan sheets: world files and ground-control-point fits.

A fit maps image pixels (column, row, measured from the image's top-left corner) to VN-2000
metres, either by an affine transform (three or more points) or by a second-order polynomial
(six or more). Residuals are "fitted minus given", in metres on the VN-2000 grid.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.transform import Affine

from gis.srs import HANOI_VN2000, VN2000, WGS84, in_hanoi, transformer

WORLD_FILE_SUFFIXES = {
    ".png": (".pgw", ".pngw", ".wld"),
    ".jpg": (".jgw", ".jpgw", ".wld"),
    ".jpeg": (".jgw", ".jpegw", ".jpgw", ".wld"),
    ".tif": (".tfw", ".tifw", ".wld"),
    ".tiff": (".tfw", ".tiffw", ".wld"),
}
MIN_POINTS = {1: 3, 2: 6}
# Graphic accuracy of a sheet: 0.5 mm on paper, i.e. 1 m on the ground at 1/2000.
PAPER_ACCURACY_M = 0.0005


class PlanFileError(ValueError):
    """A plan file that cannot be imported; the message is given in Vietnamese and English.

    `detail` (a library's message, a path) is for the log only, never for the person.
    """

    def __init__(self, message_vi: str, message_en: str, detail: str | None = None):
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.detail = detail


class GeorefError(PlanFileError):
    """A world file, CRS or set of control points that cannot be used."""


def default_max_rms(scale: int | None) -> float:
    """The largest acceptable RMS, in metres, for a sheet of this scale (1 m at 1/2000)."""
    return PAPER_ACCURACY_M * (scale or 2000)


def parse_crs(value: str | int | None, default: int = VN2000) -> int:
    """An EPSG code from `EPSG:n`, `n`, `CRS84` or an OGC URI; PROJ must know it."""
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip()
    low = text.lower()
    if low in ("crs84", "ogc:crs84", "wgs84") or low.endswith("/crs84"):
        return WGS84
    for prefix in ("http://www.opengis.net/def/crs/epsg/0/", "https://www.opengis.net/def/crs/epsg/0/",
                   "urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:", "epsg:"):
        if low.startswith(prefix):
            low = low[len(prefix):]
            break
    try:
        code = int(low)
        CRS.from_epsg(code)
    except (ValueError, CRSError):
        raise GeorefError(
            f"Hệ tọa độ '{text}' không xác định. Dùng mã EPSG, ví dụ EPSG:5897 (VN-2000 / TM-3 "
            "105°00') hoặc EPSG:4326 (WGS 84).",
            f"Unknown CRS '{text}'. Give an EPSG code, e.g. EPSG:5897 (VN-2000 / TM-3 105°00') "
            "or EPSG:4326 (WGS 84).",
        ) from None
    return code


def crs_name(srid: int) -> str:
    """`EPSG:n` of an SRID."""
    return f"EPSG:{srid}"


# --- world files -------------------------------------------------------------------------


def parse_world_file(text: str) -> Affine:
    """The pixel-corner affine transform of a world file (six lines: A, D, B, E, C, F)."""
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        values = []
    if len(values) != 6 or not all(math.isfinite(v) for v in values):
        raise GeorefError(
            "Tệp world file phải có đúng 6 số (kích thước điểm ảnh, góc xoay, tọa độ tâm điểm "
            "ảnh góc trên trái).",
            "A world file must hold exactly six numbers (pixel size, rotation terms, the centre "
            "of the top-left pixel).",
        )
    a, d, b, e, c, f = values
    if abs(a * e - b * d) < 1e-18:
        raise GeorefError("World file có kích thước điểm ảnh bằng 0.",
                          "The world file gives a zero pixel size.")
    # World files give the centre of the top-left pixel; rasterio wants its corner.
    return Affine(a, b, c - a / 2 - b / 2, d, e, f - d / 2 - e / 2)


def world_file_text(transform: Affine) -> str:
    """A world file for a pixel-corner affine transform."""
    t = transform
    centre = t @ (0.5, 0.5)
    return "\n".join(f"{v:.10f}".rstrip("0").rstrip(".") if v else "0"
                     for v in (t.a, t.d, t.b, t.e, centre[0], centre[1])) + "\n"


def find_world_file(image: Path) -> Path | None:
    """The world file beside an image (`sheet.pgw` for `sheet.png`), if there is one."""
    for suffix in WORLD_FILE_SUFFIXES.get(image.suffix.lower(), ()):
        for cand in (image.with_suffix(suffix), image.with_suffix(suffix.upper())):
            if cand.exists():
                return cand
    return None


def is_world_file(name: str) -> bool:
    """Whether a file name ends like a world file."""
    suffix = Path(name).suffix.lower()
    return suffix == ".wld" or any(suffix in s for s in WORLD_FILE_SUFFIXES.values())


# --- control points ----------------------------------------------------------------------


@dataclass(frozen=True)
class ControlPoint:
    """A ground control point: image pixel (col, row) and its ground coordinates (x, y)."""

    id: str
    col: float
    row: float
    x: float
    y: float


_COL_NAMES = ("pixel_x", "col", "column", "px", "sourcex", "pixelx", "image_x", "u")
_ROW_NAMES = ("pixel_y", "row", "line", "py", "sourcey", "pixely", "image_y", "v")
_X_NAMES = ("x", "easting", "e", "lon", "longitude", "mapx", "map_x")
_Y_NAMES = ("y", "northing", "n", "lat", "latitude", "mapy", "map_y")


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    return next((low.index(n) for n in names if n in low), None)


def _bad_points(detail_vi: str, detail_en: str) -> GeorefError:
    return GeorefError(f"Tệp điểm khống chế không đọc được: {detail_vi}",
                       f"The control-point file cannot be read: {detail_en}")


def parse_control_points(text: str, name: str = "") -> tuple[list[ControlPoint], int | None]:
    """Control points from CSV (pixel_x,pixel_y,x,y), JSON or a QGIS `.points` file.

    Returns the points and the CRS the file declares (None when it declares none). QGIS writes
    image rows as negative `sourceY`; they are turned back into rows.
    """
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith(("{", "[")):
        return _parse_json_points(stripped)
    crs: int | None = None
    lines = []
    for line in stripped.splitlines():
        if line.startswith("#"):
            if line.upper().startswith("#CRS:"):
                wkt = line[5:].strip()
                try:
                    epsg = CRS.from_user_input(wkt).to_epsg()
                except CRSError:
                    epsg = None
                crs = epsg or crs
            continue
        if line.strip():
            lines.append(line)
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    if len(rows) < 2:
        raise _bad_points("cần một dòng tiêu đề và các dòng điểm.",
                          "a header line and one line per point are needed.")
    header = rows[0]
    ic, ir = _pick(header, _COL_NAMES), _pick(header, _ROW_NAMES)
    ix, iy = _pick(header, _X_NAMES), _pick(header, _Y_NAMES)
    iid = _pick(header, ("id", "name", "ma", "code", "point"))
    if None in (ic, ir, ix, iy):
        raise _bad_points(
            "cần các cột pixel_x, pixel_y (cột, hàng ảnh) và x, y (tọa độ).",
            "columns pixel_x, pixel_y (image column, row) and x, y (coordinates) are needed.")
    low = [h.strip().lower() for h in header]
    qgis_rows = "sourcey" in low
    ienable = _pick(header, ("enable",))
    points = []
    for n, row in enumerate(rows[1:], start=1):
        if ienable is not None and row[ienable].strip() == "0":
            continue
        try:
            col, rw = float(row[ic]), float(row[ir])  # type: ignore[index]
            x, y = float(row[ix]), float(row[iy])  # type: ignore[index]
        except (ValueError, IndexError):
            raise _bad_points(f"dòng {n + 1} không phải số.", f"line {n + 1} is not numeric.") from None
        points.append(ControlPoint(row[iid].strip() if iid is not None else str(n),
                                   col, -rw if qgis_rows else rw, x, y))
    lat_named = "lat" in low or "latitude" in low
    return points, (WGS84 if lat_named and crs is None else crs)


def _parse_json_points(text: str) -> tuple[list[ControlPoint], int | None]:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_points(f"JSON sai ({exc.msg}).", f"invalid JSON ({exc.msg}).") from None
    crs = None
    if isinstance(doc, dict):
        crs = parse_crs(doc["crs"]) if doc.get("crs") else None
        doc = doc.get("points", doc.get("gcps"))
    if not isinstance(doc, list):
        raise _bad_points("cần danh sách 'points'.", "a 'points' list is needed.")
    points = []
    for n, p in enumerate(doc, start=1):
        try:
            if "pixel" in p:
                col, row = p["pixel"]
                x, y = p["coord"] if "coord" in p else p["xy"]
            else:
                col, row, x, y = p["pixel_x"], p["pixel_y"], p["x"], p["y"]
            points.append(ControlPoint(str(p.get("id", n)), float(col), float(row), float(x),
                                       float(y)))
        except (KeyError, TypeError, ValueError):
            raise _bad_points(f"điểm thứ {n} thiếu pixel/tọa độ.",
                              f"point {n} lacks its pixel or coordinates.") from None
    return points, crs


def parse_gcp_option(value: str, n: int) -> ControlPoint:
    """One point from the command line: `col,row,x,y` (an id may follow)."""
    parts = [p.strip() for p in value.replace(";", ",").split(",")]
    try:
        col, row, x, y = (float(p) for p in parts[:4])
    except ValueError:
        parts = []
    if len(parts) not in (4, 5):
        raise GeorefError(
            f"Điểm khống chế '{value}' phải có dạng cột,hàng,x,y.",
            f"Control point '{value}' must read col,row,x,y.",
        )
    return ControlPoint(parts[4] if len(parts) == 5 else str(n), col, row, x, y)


def to_vn2000(points: list[ControlPoint], srid: int) -> list[ControlPoint]:
    """The points with ground coordinates on the VN-2000 grid, refusing any outside Hanoi."""
    out = []
    for p in points:
        if not in_hanoi(p.x, p.y, srid):
            hint_vi = hint_en = ""
            if srid == VN2000 and in_hanoi(p.x, p.y, WGS84):
                hint_vi, hint_en = " (tọa độ kinh độ/vĩ độ? dùng EPSG:4326)", \
                    " (longitude/latitude? use EPSG:4326)"
            elif srid == WGS84 and in_hanoi(p.y, p.x, WGS84):
                hint_vi, hint_en = " (kinh độ và vĩ độ bị đảo?)", " (longitude and latitude swapped?)"
            raise GeorefError(
                f"Điểm khống chế {p.id} ({p.x}, {p.y}) nằm ngoài Hà Nội trong {crs_name(srid)}"
                f"{hint_vi}.",
                f"Control point {p.id} ({p.x}, {p.y}) falls outside Hanoi in {crs_name(srid)}"
                f"{hint_en}.",
            )
        x, y = (p.x, p.y) if srid == VN2000 else transformer(srid, VN2000).transform(p.x, p.y)
        out.append(ControlPoint(p.id, p.col, p.row, float(x), float(y)))
    return out


# --- fits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Residual:
    """How far a control point's fitted position lies from its given one, in metres."""

    id: str
    dx: float
    dy: float

    @property
    def distance(self) -> float:
        """Length of the residual vector."""
        return math.hypot(self.dx, self.dy)


@dataclass(frozen=True)
class Fit:
    """A fitted pixel → VN-2000 mapping with its residuals."""

    order: int
    points: tuple[ControlPoint, ...]
    coef_x: tuple[float, ...]
    coef_y: tuple[float, ...]
    centre: tuple[float, float]
    spread: float
    residuals: tuple[Residual, ...]

    @property
    def method(self) -> str:
        """`affine` or `polynomial2`."""
        return "affine" if self.order == 1 else "polynomial2"

    @property
    def rms(self) -> float:
        """Root mean square of the residual distances, in metres."""
        return math.sqrt(sum(r.distance ** 2 for r in self.residuals) / len(self.residuals))

    @property
    def redundancy(self) -> int:
        """Points beyond the minimum; with none, the residuals are zero and say nothing."""
        return len(self.points) - MIN_POINTS[self.order]

    def apply(self, cols: Any, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """Ground coordinates of pixel positions."""
        design = _design(np.asarray(cols, float), np.asarray(rows, float), self.order,
                         self.centre, self.spread)
        return design @ np.array(self.coef_x), design @ np.array(self.coef_y)

    def affine(self) -> Affine:
        """The affine transform of a first-order fit (pixel corner → ground)."""
        assert self.order == 1
        (x0, y0), s = self.centre, self.spread
        ax, bx, cx = self.coef_x[1] / s, self.coef_x[2] / s, self.coef_x[0]
        ay, by, cy = self.coef_y[1] / s, self.coef_y[2] / s, self.coef_y[0]
        return Affine(ax, bx, cx - ax * x0 - bx * y0, ay, by, cy - ay * x0 - by * y0)

    def report(self) -> dict[str, Any]:
        """The fit as a JSON-able report: method, RMS and per-point residuals in metres."""
        return {
            "method": self.method,
            "points": len(self.points),
            "rms_m": round(self.rms, 3),
            "max_residual_m": round(max(r.distance for r in self.residuals), 3),
            "residuals": [
                {"id": r.id, "pixel": [p.col, p.row], "x": p.x, "y": p.y,
                 "dx_m": round(r.dx, 3), "dy_m": round(r.dy, 3), "residual_m": round(r.distance, 3)}
                for r, p in zip(self.residuals, self.points, strict=True)
            ],
        }


def _design(cols: np.ndarray, rows: np.ndarray, order: int, centre: tuple[float, float],
            spread: float) -> np.ndarray:
    # Centred and scaled pixel coordinates keep the normal equations well conditioned.
    u, v = (cols - centre[0]) / spread, (rows - centre[1]) / spread
    terms = [np.ones_like(u), u, v]
    if order == 2:
        terms += [u * u, u * v, v * v]
    return np.column_stack(terms)


def fit(points: list[ControlPoint], order: int = 1) -> Fit:
    """Least-squares fit of pixel → VN-2000 coordinates (order 1 affine, 2 polynomial)."""
    if order not in MIN_POINTS:
        raise GeorefError("Bậc biến đổi phải là 1 (affine) hoặc 2 (đa thức bậc hai).",
                          "The transform order must be 1 (affine) or 2 (second-order polynomial).")
    need = MIN_POINTS[order]
    if len(points) < need:
        kind_vi, kind_en = ("affine", "an affine fit") if order == 1 else \
            ("đa thức bậc hai", "a second-order polynomial")
        raise GeorefError(
            f"Cần ít nhất {need} điểm khống chế cho phép biến đổi {kind_vi}; có {len(points)}.",
            f"{kind_en[0].upper() + kind_en[1:]} needs at least {need} control points; "
            f"{len(points)} given.",
        )
    cols = np.array([p.col for p in points])
    rows = np.array([p.row for p in points])
    centre = (float(cols.mean()), float(rows.mean()))
    spread = float(max(np.ptp(cols), np.ptp(rows), 1.0))
    design = _design(cols, rows, order, centre, spread)
    sv = np.linalg.svd(design, compute_uv=False)
    if sv[-1] < 1e-9 * sv[0]:
        raise GeorefError(
            "Các điểm khống chế thẳng hàng hoặc trùng nhau; hãy chọn các điểm trải đều trên tờ bản đồ.",
            "The control points are collinear or repeated; pick points spread over the sheet.",
        )
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    cx = np.linalg.lstsq(design, xs, rcond=None)[0]
    cy = np.linalg.lstsq(design, ys, rcond=None)[0]
    fx, fy = design @ cx, design @ cy
    residuals = tuple(Residual(p.id, float(a - p.x), float(b - p.y))
                      for p, a, b in zip(points, fx, fy, strict=True))
    return Fit(order, tuple(points), tuple(map(float, cx)), tuple(map(float, cy)), centre, spread,
               residuals)


def check_fit(result: Fit, max_rms: float, force: bool = False) -> None:
    """Refuse a fit whose RMS exceeds `max_rms` metres, unless forced."""
    if result.rms > max_rms and not force:
        worst = max(result.residuals, key=lambda r: r.distance)
        raise GeorefError(
            f"Sai số trung phương {result.rms:.2f} m vượt ngưỡng {max_rms:.2f} m (điểm lệch nhiều "
            f"nhất: {worst.id}, {worst.distance:.2f} m). Kiểm tra lại các điểm, dùng đa thức bậc "
            "hai (--order 2), nâng ngưỡng (--max-rms) hoặc chấp nhận (--force).",
            f"RMS error {result.rms:.2f} m exceeds the threshold of {max_rms:.2f} m (worst point: "
            f"{worst.id}, {worst.distance:.2f} m). Check the points, use a second-order polynomial "
            "(--order 2), raise the threshold (--max-rms) or accept it (--force).",
        )


def check_in_hanoi(corners: list[tuple[float, float]], srid: int, what_vi: str, what_en: str) -> None:
    """Refuse corners that fall outside Hanoi, hinting at a wrong CRS."""
    outside = [c for c in corners if not in_hanoi(c[0], c[1], srid)]
    if not outside:
        return
    x, y = outside[0]
    hint_vi = hint_en = ""
    if srid == VN2000 and in_hanoi(x, y, WGS84):
        hint_vi, hint_en = " Tọa độ giống kinh độ/vĩ độ: dùng --crs EPSG:4326.", \
            " The coordinates look like longitude/latitude: use --crs EPSG:4326."
    raise GeorefError(
        f"{what_vi} nằm ngoài Hà Nội: ({x:.3f}, {y:.3f}) trong {crs_name(srid)}; vùng VN-2000 "
        f"hợp lệ X {HANOI_VN2000[0]:.0f}–{HANOI_VN2000[2]:.0f}, Y {HANOI_VN2000[1]:.0f}–"
        f"{HANOI_VN2000[3]:.0f}.{hint_vi}",
        f"{what_en} falls outside Hanoi: ({x:.3f}, {y:.3f}) in {crs_name(srid)}; VN-2000 "
        f"eastings {HANOI_VN2000[0]:.0f}–{HANOI_VN2000[2]:.0f}, northings {HANOI_VN2000[1]:.0f}–"
        f"{HANOI_VN2000[3]:.0f} are expected.{hint_en}",
    )
