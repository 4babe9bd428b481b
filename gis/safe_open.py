"""Opening files that come from outside (plan uploads, `quyhoach import`): the drivers we mean only.

A file's format is decided by its name and confirmed by its first bytes before GDAL sees it, so
a `.geojson` or a zip member that really holds a VRT document (or anything else naming other
files or URLs) is refused. GDAL is then held to that driver: rasterio is given the driver, the
text formats are opened with GDAL's `GeoJSON:`/`CSV:` prefixes, and the drivers that follow
references inside a file (OGR VRT, GDAL pipelines, web services) are removed from pyogrio's GDAL.
GDAL runs with its network access off, and sizes are bounded before any pixel is decoded.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.io import DatasetReader

from gis.georef import WORLD_FILE_SUFFIXES, PlanFileError

# GDAL settings for every read of an outside file.
GDAL_OPTIONS: dict[str, str] = {
    # /vsicurl/ and the file systems built on it (/vsis3/, /vsigs/, …) open this name only.
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/http://network-off.invalid/none",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".network-off",
    # Plain http:// sources go through a proxy on port 0, which no connection can reach.
    "GDAL_HTTP_PROXY": "http://127.0.0.1:0",
    "GDAL_HTTPS_PROXY": "http://127.0.0.1:0",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_NETRC": "NO",
    # No directory listing of the scratch directory; side files are looked up by name.
    "GDAL_DISABLE_READDIR_ON_OPEN": "TRUE",
    # SQL functions of GeoPackage views may not open other datasets.
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "GDAL_PAM_ENABLED": "NO",
}
# Drivers that read other files or URLs named inside a file, call web services or run programs.
REFERENCING_DRIVERS = (
    "OGR_VRT", "GDALG", "ADBC", "AIVector", "HTTP", "WFS", "OAPIF", "OGCAPI", "CSW", "PLSCENES",
    "NGW", "EEDA", "Elasticsearch", "AmigoCloud", "Carto", "GPSBabel",
)

VECTOR_DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON",
                  ".json": "GeoJSON", ".csv": "CSV", ".txt": "CSV", ".dxf": "DXF"}
RASTER_DRIVERS = {".tif": "GTiff", ".tiff": "GTiff", ".png": "PNG", ".jpg": "JPEG",
                  ".jpeg": "JPEG"}
# GDAL's own prefixes: the named driver reads the file or nothing does.
DRIVER_PREFIXES = {"GeoJSON": "GeoJSON:", "CSV": "CSV:"}
SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg")
WORLD_FILES = tuple(sorted({s for group in WORLD_FILE_SUFFIXES.values() for s in group}))
ZIP_MEMBER_KINDS = (".shp", *SHAPEFILE_PARTS, ".gpkg", ".geojson", ".json", ".dxf",
                    *RASTER_DRIVERS, *WORLD_FILES)
ARCHIVES = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".zst")
FORMAT_LABELS = {"GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile", "GeoJSON": "GeoJSON",
                 "CSV": "CSV", "DXF": "DXF", "GTiff": "GeoTIFF", "PNG": "PNG", "JPEG": "JPEG",
                 "zip": "zip"}
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Limits:
    """How large an outside file may be, checked before its content is decoded.

    Rasters: an A0 sheet (841 × 1189 mm) scanned at 400 dpi is 13,244 × 18,724 px, 248 million
    pixels. 300 million pixels of at most 4 bands is 1.2 GB even where a format must be decoded
    whole (interlaced PNG, a TIFF stored as one strip), so a few uploads at once stay far inside
    24 GiB; the sheets themselves are converted 512 rows at a time.
    """

    max_side_px: int = 30_000
    max_pixels: int = 300_000_000
    max_bands: int = 4
    max_features: int = 50_000
    max_vertices: int = 5_000_000
    max_zip_members: int = 100
    max_unpacked_bytes: int = 1 << 30


# A 1/2000 plan holds a few thousand zones; bulk imports hold a city's parcels.
PLAN_LIMITS = Limits()
IMPORT_LIMITS = Limits(max_features=2_000_000, max_vertices=200_000_000,
                       max_unpacked_bytes=4 << 30)


class FileRefusedError(PlanFileError):
    """A file that is not what its name says, refers elsewhere, or is too large to read safely."""


class UnreadableFileError(FileRefusedError):
    """A file that its driver does not read: another format, or damaged."""


@dataclass(frozen=True)
class VectorSource:
    """A checked vector dataset: the path GDAL opens, its layer, driver and feature count."""

    path: str
    layer: str | None
    driver: str
    features: int


def _vi(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _not_the_format(name: str, driver: str, detail: str | None = None) -> UnreadableFileError:
    label = FORMAT_LABELS.get(driver, driver)
    return UnreadableFileError(
        f"Nội dung tệp '{name}' không phải {label} như tên tệp cho biết. Không nhận tệp VRT hay "
        "tệp tham chiếu tới tệp hoặc địa chỉ mạng khác.",
        f"The content of '{name}' is not {label} as its name says. VRT files and files that "
        "refer to other files or network addresses are not accepted.",
        detail,
    )


def _unreadable(name: str, driver: str, detail: str) -> UnreadableFileError:
    label = FORMAT_LABELS.get(driver, driver)
    return UnreadableFileError(
        f"Không đọc được tệp '{name}': không phải {label} hợp lệ hoặc tệp bị hỏng.",
        f"The file '{name}' cannot be read: not a valid {label} file, or the file is damaged.",
        detail,
    )


def driver_for(name: str) -> str | None:
    """The one driver a file of this name may be read with, or None."""
    suffix = PurePosixPath(name).suffix.lower()
    return VECTOR_DRIVERS.get(suffix) or RASTER_DRIVERS.get(suffix)


def _text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    return head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")


def looks_like(head: bytes, driver: str) -> bool:
    """Whether a file's first bytes are those of `driver`'s format (and of no XML document)."""
    if driver == "GTiff":
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
    if driver == "PNG":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if driver == "JPEG":
        return head.startswith(b"\xff\xd8\xff")
    if driver == "GPKG":
        # The application id tells a GeoPackage from any other SQLite database.
        return head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10",
                                                                           b"GP11")
    if driver == "ESRI Shapefile":
        return head[:4] == b"\x00\x00\x27\x0a"
    if driver == "DXF" and head.startswith(b"AutoCAD Binary DXF\r\n\x1a\x00"):
        return True
    text = _text(head)
    if not text:
        return False
    if driver == "GeoJSON":
        return text.startswith("{")
    if driver == "CSV":
        return text[0] not in "<{[" and not head.startswith(b"PK")
    if driver == "DXF":
        lines = [line.strip() for line in text.splitlines()[:2]]
        return lines == ["0", "SECTION"] or lines[:1] == ["999"]
    return False


def _local(path: Path, name: str, driver: str) -> None:
    if str(path).startswith("/vsi") or not path.is_file():
        raise _not_the_format(name, driver, detail=f"not a local file: {path}")


def check_file(path: Path, name: str, driver: str | None = None) -> str:
    """Refuse a local file unless its first bytes match its driver; return the driver."""
    driver = driver or driver_for(name)
    if driver is None:
        raise _not_the_format(name, "?", detail=f"no driver for {name}")
    _local(path, name, driver)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not looks_like(head, driver):
        raise _not_the_format(name, driver, detail=f"{path}: head {head[:32]!r}")
    return driver


# --- zip archives ---------------------------------------------------------------------------


def _unsafe_member(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    mode = info.external_attr >> 16
    return (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")
            or ".." in parts or any(ord(c) < 32 for c in name)
            or stat.S_ISLNK(mode) or bool(info.flag_bits & 0x1))


def zip_members(path: Path, name: str, data_kinds: tuple[str, ...],
                limits: Limits = PLAN_LIMITS) -> list[str]:
    """The data members (of `data_kinds`) of a zip, refusing unsafe or unexpected members.

    Each data member's first bytes must match its name, as for a file sent on its own.
    """
    _local(path, name, "zip")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefusedError(f"Tệp '{name}' không phải tệp zip hợp lệ.",
                               f"'{name}' is not a valid zip archive.", str(exc)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_members:
            raise FileRefusedError(
                f"Tệp zip '{name}' có {_vi(len(infos))} mục, vượt giới hạn "
                f"{_vi(limits.max_zip_members)}.",
                f"The zip '{name}' holds {len(infos):,} members, over the limit of "
                f"{limits.max_zip_members:,}.")
        unpacked = 0
        data: list[str] = []
        for info in infos:
            member = info.filename
            if _unsafe_member(info):
                raise FileRefusedError(
                    f"Tệp zip '{name}' có mục không an toàn '{member[:100]}' (đường dẫn tuyệt đối, "
                    "'..', liên kết hoặc mật khẩu).",
                    f"The zip '{name}' holds an unsafe member '{member[:100]}' (an absolute path, "
                    "'..', a link or a password).")
            if info.is_dir() or member.startswith("__MACOSX/"):
                continue
            suffix = PurePosixPath(member).suffix.lower()
            if suffix in ARCHIVES:
                raise FileRefusedError(
                    f"Tệp zip '{name}' chứa tệp nén lồng bên trong ('{member[:100]}'): hãy giải "
                    "nén và gửi tệp dữ liệu trực tiếp.",
                    f"The zip '{name}' holds another archive ('{member[:100]}'): unpack it and "
                    "send the data file itself.")
            if suffix not in ZIP_MEMBER_KINDS and suffix not in data_kinds:
                raise FileRefusedError(
                    f"Tệp zip '{name}' chứa '{member[:100]}', không phải loại tệp được nhận "
                    f"({', '.join(sorted({*ZIP_MEMBER_KINDS, *data_kinds}))}).",
                    f"The zip '{name}' holds '{member[:100]}', which is not an accepted kind of "
                    f"file ({', '.join(sorted({*ZIP_MEMBER_KINDS, *data_kinds}))}).")
            unpacked += info.file_size
            if unpacked > limits.max_unpacked_bytes:
                mb = limits.max_unpacked_bytes >> 20
                raise FileRefusedError(
                    f"Tệp zip '{name}' khi giải nén vượt quá {_vi(mb)} MB.",
                    f"The zip '{name}' unpacks to more than {mb:,} MB.")
            if suffix in data_kinds:
                driver = VECTOR_DRIVERS.get(suffix) or RASTER_DRIVERS.get(suffix, "?")
                with archive.open(info) as fh:
                    head = fh.read(HEAD_BYTES)
                if not looks_like(head, driver):
                    raise _not_the_format(f"{name}/{member}", driver,
                                          detail=f"head {head[:32]!r}")
                data.append(member)
    return data


def zip_path(path: Path, member: str) -> str:
    """The GDAL path of a checked zip member."""
    return f"/vsizip/{path}/{member}"


# --- vectors (pyogrio) ----------------------------------------------------------------------


@cache
def _pyogrio_ready() -> None:
    """Network off and the referencing drivers removed, in pyogrio's copy of GDAL."""
    present = set(pyogrio.list_drivers())
    skip = [d for d in REFERENCING_DRIVERS if d in present]
    pyogrio.set_gdal_config_options({**GDAL_OPTIONS, "GDAL_SKIP": " ".join(skip)})
    # GDAL drops the drivers in GDAL_SKIP when the drivers are registered again.
    register = getattr(getattr(pyogrio, "_ogr", None), "_register_drivers", None)
    if register is not None:
        register()


def gdal_path(path: str, driver: str) -> str:
    """`path` with the GDAL prefix that holds the open to `driver`, where GDAL has one."""
    return DRIVER_PREFIXES.get(driver, "") + path


def list_layers(path: str, name: str, driver: str) -> list[tuple[str, bool]]:
    """Layer names of a checked file, each with whether it has geometry."""
    _pyogrio_ready()
    try:
        layers = pyogrio.list_layers(gdal_path(path, driver))
    except Exception as exc:  # GDAL raises several classes for unreadable bodies
        raise _unreadable(name, driver, str(exc)) from None
    return [(str(n), bool(g)) for n, g in layers]


def open_vector(path: str, name: str, driver: str, layer: str | None = None,
                limits: Limits = PLAN_LIMITS) -> VectorSource:
    """A checked file's layer, refused unless `driver` reads it and it is within `limits`."""
    _pyogrio_ready()
    try:
        info = pyogrio.read_info(gdal_path(path, driver), layer=layer, force_feature_count=True)
    except Exception as exc:
        raise _unreadable(name, driver, str(exc)) from None
    if info.get("driver") != driver:
        raise _not_the_format(name, driver, detail=f"{path} opened by {info.get('driver')}")
    features = int(info.get("features") or 0)
    check_features(features, name, limits)
    return VectorSource(path, layer, driver, features)


def check_features(features: int, name: str, limits: Limits = PLAN_LIMITS) -> None:
    """Refuse a file holding more features than `limits` allow."""
    if features > limits.max_features:
        raise FileRefusedError(
            f"Tệp '{name}' có {_vi(features)} đối tượng, vượt giới hạn "
            f"{_vi(limits.max_features)}; hãy chia thành nhiều tệp.",
            f"The file '{name}' holds {features:,} features, over the limit of "
            f"{limits.max_features:,}; split it into several files.")


def read_vector(src: VectorSource, name: str, **kwargs: Any) -> gpd.GeoDataFrame:
    """Features of a checked layer (pyogrio.read_dataframe keywords pass through)."""
    _pyogrio_ready()
    try:
        return pyogrio.read_dataframe(gdal_path(src.path, src.driver), layer=src.layer, **kwargs)
    except Exception as exc:
        raise _unreadable(name, src.driver, str(exc)) from None


def count_vertices(geoms: Any, name: str, limits: Limits = PLAN_LIMITS, seen: int = 0) -> int:
    """Vertices read so far (`seen` plus these geometries'), refused past the limit."""
    total = seen + int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())
    if total > limits.max_vertices:
        raise FileRefusedError(
            f"Tệp '{name}' có hơn {_vi(limits.max_vertices)} đỉnh hình học, vượt giới hạn; hãy "
            "đơn giản hóa hoặc chia thành nhiều tệp.",
            f"The file '{name}' holds more than {limits.max_vertices:,} vertices, over the "
            "limit; simplify it or split it into several files.")
    return total


# --- rasters (rasterio) ---------------------------------------------------------------------


def raster_env(**options: Any) -> rasterio.Env:
    """A rasterio environment with GDAL's network access off."""
    return rasterio.Env(**GDAL_OPTIONS, **options)


def check_raster_size(width: int, height: int, count: int, name: str,
                      limits: Limits = PLAN_LIMITS) -> None:
    """Refuse an image whose declared size or band count exceeds `limits`."""
    pixels = width * height
    if max(width, height) > limits.max_side_px or pixels > limits.max_pixels:
        mp, max_mp = pixels / 1e6, limits.max_pixels / 1e6
        raise FileRefusedError(
            f"Ảnh '{name}' có {_vi(width)} × {_vi(height)} điểm ảnh ({mp:.0f} triệu), vượt giới "
            f"hạn {_vi(limits.max_side_px)} điểm ảnh mỗi cạnh và {max_mp:.0f} triệu điểm ảnh. "
            "Hãy quét lại ở độ phân giải thấp hơn (400 dpi đủ cho tờ A0) hoặc cắt thành nhiều tờ.",
            f"The image '{name}' has {width:,} × {height:,} pixels ({mp:.0f} million), over the "
            f"limit of {limits.max_side_px:,} pixels a side and {max_mp:.0f} million pixels. "
            "Scan it at a lower resolution (400 dpi is enough for an A0 sheet) or cut it into "
            "several sheets.")
    if not 1 <= count <= limits.max_bands:
        raise FileRefusedError(
            f"Ảnh '{name}' có {count} kênh; bản đồ quy hoạch có tối đa {limits.max_bands} kênh "
            "(xám, bảng màu, RGB hoặc RGBA).",
            f"The image '{name}' has {count} bands; a plan sheet has at most "
            f"{limits.max_bands} (grey, palette, RGB or RGBA).")


@contextmanager
def open_raster(path: Path, name: str, limits: Limits = PLAN_LIMITS) -> Iterator[DatasetReader]:
    """An outside image opened by its one driver, refused before decoding when too large.

    Call inside `raster_env()`: the options must hold for the reads as well as the open.
    GDAL's own errors (a damaged file) come out as rasterio's RasterioError.
    """
    driver = RASTER_DRIVERS.get(path.suffix.lower()) or RASTER_DRIVERS.get(
        PurePosixPath(name).suffix.lower())
    if driver is None:
        raise _not_the_format(name, "GTiff", detail=f"no raster driver for {path.name}")
    check_file(path, name, driver)
    with rasterio.open(path, driver=driver) as src:
        if src.driver != driver:
            raise _not_the_format(name, driver, detail=f"{path} opened by {src.driver}")
        check_raster_size(src.width, src.height, src.count, name, limits)
        yield src
