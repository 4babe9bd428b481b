"""Raster plan sheets: reading (rasterio), Cloud-Optimized GeoTIFFs, footprints and XYZ tiles.

Every sheet is stored as an RGBA COG on the VN-2000 grid; its alpha band is zero outside the
sheet, so tiles (rendered by rio-tiler) are transparent there.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from shapely import Polygon, make_valid
from shapely.geometry import MultiPolygon

from gis import safe_open as S
from gis.georef import Fit, PlanFileError, check_in_hanoi
from gis.srs import VN2000, transformer

TILE_SIZE = 256
CHUNK_ROWS = 512
SHEET_DTYPES = ("uint8", "uint16")


class RasterError(PlanFileError):
    """An image that cannot be read or placed."""


def _unreadable(name: str, detail: str) -> RasterError:
    return RasterError(
        f"Tệp ảnh '{name}' bị hỏng hoặc không phải ảnh GeoTIFF/PNG/JPEG đọc được.",
        f"The image '{name}' is corrupt or not a readable GeoTIFF/PNG/JPEG.",
        detail,
    )


@dataclass(frozen=True)
class RasterInfo:
    """What the image file itself says: size, bands and any georeference it carries."""

    width: int
    height: int
    count: int
    dtype: str
    driver: str
    srid: int | None
    transform: Affine | None


@dataclass(frozen=True)
class Georeference:
    """How the image's pixels reach the ground: an affine transform in `srid`, or a GCP fit."""

    srid: int = VN2000
    transform: Affine | None = None
    fit: Fit | None = None

    def to_ground(self, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """VN-2000 coordinates of pixel positions (column, row from the top-left corner)."""
        if self.fit is not None:
            return self.fit.apply(cols, rows)
        assert self.transform is not None
        t = self.transform
        xs = t.a * cols + t.b * rows + t.c
        ys = t.d * cols + t.e * rows + t.f
        if self.srid == VN2000:
            return xs, ys
        gx, gy = transformer(self.srid, VN2000).transform(xs, ys)
        return np.asarray(gx), np.asarray(gy)


@contextmanager
def _quiet() -> Iterator[None]:
    """GDAL settings for plan sheets (network off, no .aux.xml files); scans without georeference
    are expected, not warned of."""
    with S.raster_env(), warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def inspect(path: Path, name: str | None = None, limits: S.Limits = S.PLAN_LIMITS) -> RasterInfo:
    """Open an image with rasterio and describe it, refusing anything unreadable or too large."""
    name = name or path.name
    try:
        with _quiet(), S.open_raster(path, name, limits) as src:
            _check_dtype(src.dtypes[0], name)
            srid = None
            if src.crs is not None:
                srid = src.crs.to_epsg()
                if srid is None:
                    raise RasterError(
                        f"Hệ tọa độ của '{name}' không có mã EPSG; hãy chỉ rõ bằng --crs.",
                        f"The CRS of '{name}' has no EPSG code; state it with --crs.",
                    )
            has_transform = not src.transform.is_identity
            return RasterInfo(src.width, src.height, src.count, src.dtypes[0], src.driver, srid,
                              src.transform if has_transform else None)
    except RasterioError as exc:
        raise _unreadable(name, str(exc)) from None


def _check_dtype(dtype: str, name: str) -> None:
    if dtype not in SHEET_DTYPES:
        raise RasterError(
            f"Ảnh '{name}' có kiểu dữ liệu {dtype}; bản đồ quy hoạch phải là ảnh màu 8 bit.",
            f"The image '{name}' holds {dtype} values; a plan sheet must be an 8-bit image.",
        )


def outline(width: int, height: int, per_edge: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions along the image border, clockwise from the top-left corner."""
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
    cols = np.concatenate([t * width, np.full_like(t, width), (1 - t) * width, np.zeros_like(t)])
    rows = np.concatenate([np.zeros_like(t), t * height, np.full_like(t, height), (1 - t) * height])
    return cols, rows


def footprint(georef: Georeference, width: int, height: int, name: str) -> MultiPolygon:
    """The sheet's outline on the VN-2000 grid, refused when it leaves Hanoi."""
    cols, rows = outline(width, height)
    xs, ys = georef.to_ground(cols, rows)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise RasterError(f"Không tính được vị trí của '{name}'.",
                          f"The position of '{name}' cannot be computed.")
    check_in_hanoi(list(zip(xs.tolist(), ys.tolist(), strict=True)), VN2000,
                   f"Tờ bản đồ '{name}'", f"The sheet '{name}'")
    poly = make_valid(Polygon(zip(xs, ys, strict=True)))
    parts = [g for g in getattr(poly, "geoms", [poly]) if isinstance(g, Polygon) and g.area > 0]
    if not parts or sum(p.area for p in parts) < 1.0:
        raise RasterError(f"Tờ bản đồ '{name}' có diện tích bằng 0.",
                          f"The sheet '{name}' has no area.")
    return MultiPolygon(parts)


def _rgba(block: np.ndarray, mask: np.ndarray, colormap: dict[int, tuple[int, ...]] | None,
          interp: tuple[ColorInterp, ...], dtype: str) -> np.ndarray:
    """Four 8-bit bands (RGBA) from a block of any 1–4 band image."""
    if dtype == "uint16":
        block = (block // 257).astype(np.uint8)
    if colormap is not None:
        lut = np.zeros((256, 4), np.uint8)
        for k, v in colormap.items():
            if 0 <= k < 256:
                lut[k] = v[:4] if len(v) >= 4 else (*v[:3], 255)
        out = np.moveaxis(lut[block[0]], -1, 0).copy()
        out[3] = np.minimum(out[3], mask)
        return out
    alpha_idx = next((i for i, c in enumerate(interp) if c == ColorInterp.alpha), None)
    colour = [b for i, b in enumerate(block) if i != alpha_idx]
    rgb = colour[:3] if len(colour) >= 3 else [colour[0]] * 3
    alpha = block[alpha_idx] if alpha_idx is not None else mask
    return np.stack([*rgb, np.minimum(alpha, mask)]).astype(np.uint8)


def _north_up(georef: Georeference) -> bool:
    t = georef.transform
    return (georef.fit is None and georef.srid == VN2000 and t is not None and t.b == 0
            and t.d == 0 and t.a > 0 and t.e < 0)


def write_cog(src_path: Path, georef: Georeference, dst: Path, work: Path, name: str,
              limits: S.Limits = S.PLAN_LIMITS) -> None:
    """Convert an image into an RGBA Cloud-Optimized GeoTIFF on the VN-2000 grid."""
    inter = work / "rgba.tif"
    try:
        with _quiet():
            _write_rgba(src_path, georef, inter, name, limits)
            with rasterio.open(inter) as src:
                cog_options = {"driver": "COG", "compress": "DEFLATE", "predictor": 2,
                               "blocksize": 512, "overview_resampling": "average",
                               "bigtiff": "IF_SAFER"}
                if _north_up(georef):
                    rasterio.shutil.copy(src, dst, **cog_options)
                    return
                extras = {"MAX_GCP_ORDER": georef.fit.order} if georef.fit and georef.fit.order > 1 \
                    else {}
                with WarpedVRT(src, crs=CRS.from_epsg(VN2000), resampling=Resampling.bilinear,
                               src_alpha=4, dst_alpha=4, warp_extras=extras) as vrt:
                    rasterio.shutil.copy(vrt, dst, **cog_options)
    except RasterioError as exc:
        raise _unreadable(name, str(exc)) from None


def _write_rgba(src_path: Path, georef: Georeference, inter: Path, name: str,
                limits: S.Limits) -> None:
    with S.open_raster(src_path, name, limits) as src:
        dtype = src.dtypes[0]
        _check_dtype(dtype, name)
        colormap = None
        if src.count == 1 and src.colorinterp[0] == ColorInterp.palette:
            colormap = src.colormap(1)
        profile = {"driver": "GTiff", "width": src.width, "height": src.height, "count": 4,
                   "dtype": "uint8", "tiled": True, "blockxsize": 512, "blockysize": 512,
                   "compress": "DEFLATE", "photometric": "RGB", "alpha": "YES"}
        if georef.fit is not None and georef.fit.order > 1:
            gcps = [GroundControlPoint(row=p.row, col=p.col, x=p.x, y=p.y, id=p.id)
                    for p in georef.fit.points]
        else:
            gcps = None
            transform = georef.fit.affine() if georef.fit is not None else georef.transform
            profile.update(crs=CRS.from_epsg(VN2000 if georef.fit else georef.srid),
                           transform=transform)
        with rasterio.open(inter, "w", **profile) as dst:
            if gcps is not None:
                dst.gcps = (gcps, CRS.from_epsg(VN2000))
            dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue,
                               ColorInterp.alpha]
            for top in range(0, src.height, CHUNK_ROWS):
                win = Window(0, top, src.width, min(CHUNK_ROWS, src.height - top))
                block = src.read(window=win)
                mask = src.dataset_mask(window=win)
                dst.write(_rgba(block, mask, colormap, src.colorinterp, dtype), window=win)


def cog_summary(path: Path) -> dict[str, object]:
    """Size, resolution (m) and bounds (VN-2000) of a stored COG."""
    with _quiet(), rasterio.open(path) as src:
        return {"width": src.width, "height": src.height,
                "resolution_m": round(abs(src.transform.a), 4),
                "bounds": [round(v, 3) for v in src.bounds],
                "overviews": src.overviews(1)}


@cache
def empty_tile(size: int = TILE_SIZE) -> bytes:
    """A fully transparent PNG tile."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (size, size), (0, 0, 0, 0)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_RIO_TILER_IMPORT = threading.Lock()


def _rio_tiler() -> tuple[Any, Any]:
    """rio-tiler's Reader and TileOutsideBounds, imported once.

    rio-tiler (with its STAC and HTTP clients) is only needed to serve a sheet's tiles, so it is
    imported on the first tile; under a lock, since tiles are served from several threads at
    once and a second thread could otherwise meet the package half imported.
    """
    with _RIO_TILER_IMPORT:
        from rio_tiler.errors import TileOutsideBounds
        from rio_tiler.io import Reader
    return Reader, TileOutsideBounds


def tile_png(path: Path, z: int, x: int, y: int, size: int = TILE_SIZE) -> bytes:
    """A Web Mercator XYZ tile of a stored sheet as PNG, transparent outside the sheet."""
    Reader, TileOutsideBounds = _rio_tiler()
    with _quiet(), Reader(str(path)) as src:
        if not src.tile_exists(x, y, z):
            return empty_tile(size)
        try:
            img = src.tile(x, y, z, tilesize=size, resampling_method="bilinear")
        except TileOutsideBounds:
            return empty_tile(size)
    return img.render(img_format="PNG", add_mask=True)


def valid_tile(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a Web Mercator tile."""
    return 0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z


def ground_resolution(georef: Georeference) -> float:
    """Approximate ground size of one source pixel, in metres."""
    xs, ys = georef.to_ground(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    return math.sqrt(abs((xs[1] - xs[0]) * (ys[2] - ys[0]) - (xs[2] - xs[0]) * (ys[1] - ys[0])))
