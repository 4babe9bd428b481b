"""Layer downloads in the formats planners use: CSV, GeoPackage, Shapefile, KML, FlatGeobuf, DXF.

The selection is the items' own: the layer's feature source wrapped with the same conditions
(`layers.features`: bbox, datetime, `name=value`, the CQL2 filter, as_of) and the same columns
for the reader (`layers.access`). Rows come out of PostGIS through a server-side cursor in
batches and go to GDAL (pyogrio) as an Arrow stream, or to ezdxf for DXF, so a large layer is
never held in memory as a whole; the file is written to disk and passed on from there.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ezdxf
import pyarrow as pa
import pyogrio
import shapely
from ezdxf import colors as dxf_colors
from sqlalchemy import Connection, text

from core.errors import InvalidParameterError, PayloadTooLargeError
from core.i18n import DOWNLOAD_WORDS, ascii_fold, phrase
from gis.srs import VN2000, WEB_MERCATOR, WGS84
from layers import features
from layers.registry import LayerSpec

BATCH_ROWS = 2_000
GEOJSON = "geojson"


@dataclass(frozen=True)
class Format:
    """A download format: how GDAL writes it, what it is served as, which CRS it can take."""

    name: str
    media_type: str
    extension: str  # of the file served
    srids: tuple[int, ...]  # the CRS the format can hold; the first is its default
    driver: str | None = None  # GDAL's driver; None: written with ezdxf


FORMATS: dict[str, Format] = {
    "csv": Format("csv", "text/csv; charset=utf-8", "csv", (WGS84, WEB_MERCATOR, VN2000), "CSV"),
    "gpkg": Format("gpkg", "application/geopackage+sqlite3", "gpkg", (WGS84, WEB_MERCATOR, VN2000),
                   "GPKG"),
    # Hanoi's offices exchange Shapefiles and drawings on the VN-2000 grid.
    "shp": Format("shp", "application/zip", "zip", (VN2000, WGS84, WEB_MERCATOR),
                  "ESRI Shapefile"),
    "kml": Format("kml", "application/vnd.google-earth.kml+xml", "kml", (WGS84,), "KML"),
    "fgb": Format("fgb", "application/flatgeobuf", "fgb", (WGS84, WEB_MERCATOR, VN2000),
                  "FlatGeobuf"),
    "dxf": Format("dxf", "image/vnd.dxf", "dxf", (VN2000,)),
}
# Every `f` of /items: GeoJSON pages, then the files above.
FORMAT_NAMES: tuple[str, ...] = (GEOJSON, *FORMATS)
ALIASES = {"json": GEOJSON, "shapefile": "shp", "geopackage": "gpkg", "flatgeobuf": "fgb"}
# Media types an `Accept` header may name instead of `f`.
MEDIA_TYPES: dict[str, str] = {
    "application/geo+json": GEOJSON, "application/json": GEOJSON,
    "text/csv": "csv", "application/geopackage+sqlite3": "gpkg",
    "application/x-shapefile": "shp", "application/vnd.google-earth.kml+xml": "kml",
    "application/flatgeobuf": "fgb", "image/vnd.dxf": "dxf", "application/dxf": "dxf",
}
CRS_NAMES = {WGS84: "CRS84", WEB_MERCATOR: "EPSG:3857", VN2000: "EPSG:5897"}

# PostgreSQL type OIDs of the feature sources' columns -> Arrow types (others go as text).
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int64(), 23: pa.int64(), 700: pa.float64(),
    701: pa.float64(), 1700: pa.float64(), 1082: pa.date32(),
}
_OGR_GEOMETRY = {"MultiPolygon": "MultiPolygon", "MultiLineString": "MultiLineString",
                 "Point": "Point"}


def _error(key: str, **values: Any) -> InvalidParameterError:
    return InvalidParameterError(phrase(DOWNLOAD_WORDS, key, "vi", **values),
                                 phrase(DOWNLOAD_WORDS, key, "en", **values))


def format_of(f: str | None, accept: str | None = None) -> str:
    """The format a request asks for: `f`, else a download type `Accept` names, else GeoJSON."""
    if f:
        name = ALIASES.get(f.strip().lower(), f.strip().lower())
        if name not in FORMAT_NAMES:
            raise _error("format", value=f[:40], formats=", ".join(FORMAT_NAMES))
        return name
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in MEDIA_TYPES:
            return MEDIA_TYPES[media]
    return GEOJSON


def output_srid(fmt: Format, asked: int | None) -> int:
    """The CRS a file is written in: the one asked for if the format can hold it, else a 400."""
    if asked is None:
        return fmt.srids[0]
    if asked not in fmt.srids:
        raise _error("crs", format=fmt.name, crs=CRS_NAMES.get(asked, f"EPSG:{asked}"),
                     allowed=", ".join(CRS_NAMES[s] for s in fmt.srids))
    return asked


def file_name(spec: LayerSpec, fmt: Format, lang: str) -> tuple[str, str]:
    """(Vietnamese name, ASCII fallback) of a layer's download, e.g. 'Hồ, ao.gpkg'."""
    title = unicodedata.normalize("NFC", spec.title(lang))
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip() or spec.id
    fallback = re.sub(r"[^A-Za-z0-9 ._(),-]+", "_", ascii_fold(stem)).strip() or spec.id
    return f"{stem}.{fmt.extension}", f"{fallback}.{fmt.extension}"


def _columns(conn: Connection, spec: LayerSpec, q: features.Query) -> tuple[str, ...]:
    return features.reader_columns(conn, spec, q)


def _selection(conn: Connection, spec: LayerSpec, q: features.Query
               ) -> tuple[str, str, dict[str, Any]]:
    """(WITH clause, WHERE condition, parameters) of the items' selection."""
    params: dict[str, Any] = {"as_of": q.as_of}
    where = features.where_clause(spec, q, params)
    src = f"WITH src AS NOT MATERIALIZED ({features.feature_source(spec, q.as_of is not None)})"
    return src, where, params


def count(conn: Connection, spec: LayerSpec, q: features.Query) -> int:
    """How many features the selection holds."""
    src, where, params = _selection(conn, spec, q)
    return int(conn.execute(text(f"{src} SELECT count(*) FROM src f WHERE {where}"),
                            params).scalar_one())


def check_size(conn: Connection, spec: LayerSpec, q: features.Query, limit: int) -> int:
    """The selection's size, or a 413 saying it is above the configured limit."""
    n = count(conn, spec, q)
    if n > limit:
        raise PayloadTooLargeError(
            phrase(DOWNLOAD_WORDS, "too_many", "vi", count=n, max=limit, layer=spec.id),
            phrase(DOWNLOAD_WORDS, "too_many", "en", count=n, max=limit, layer=spec.id))
    return n


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """A transaction block for the server-side cursor (an autocommit connection opens one)."""
    raw = conn.connection.driver_connection
    if not getattr(raw, "autocommit", False):
        yield
        return
    conn.exec_driver_sql("BEGIN READ ONLY")
    try:
        yield
    finally:
        conn.exec_driver_sql("ROLLBACK")


@dataclass
class _Stream:
    """The selection's column names, their type OIDs and its rows, batch by batch."""

    names: list[str]
    oids: list[int]
    batches: Iterator[list[Any]]


@contextmanager
def _stream(conn: Connection, spec: LayerSpec, q: features.Query, srid: int
            ) -> Iterator[_Stream]:
    """The selection read through a server-side cursor; the last column is the WKB geometry."""
    src, where, params = _selection(conn, spec, q)
    cols = ("id", *_columns(conn, spec, q))
    params["out_srid"] = srid
    geom = "f.geom" if srid == VN2000 else "ST_Transform(f.geom, :out_srid)"
    sql = (f"{src} SELECT {', '.join(f'f.{c}' for c in cols)}, ST_AsBinary({geom}) AS geometry "
           f"FROM src f WHERE {where} ORDER BY f.id")
    with _transaction(conn):
        # Per statement: Connection.execution_options would keep streaming for the next ones.
        result = conn.execute(text(sql), params, execution_options={
            "stream_results": True, "max_row_buffer": BATCH_ROWS})
        try:
            yield _Stream(list(result.keys()), [c.type_code for c in result.cursor.description],
                          (list(part) for part in result.partitions(BATCH_ROWS)))
        finally:
            result.close()


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    return v


def _batches(stream: _Stream, progress: Callable[[int], None] | None, iso_dates: bool = False
             ) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The Arrow schema of a stream and its record batches, made as they are read.

    `iso_dates`: dates as YYYY-MM-DD text (GDAL writes CSV and KML dates as YYYY/MM/DD).
    """
    types = dict(_ARROW_TYPES)
    if iso_dates:
        types[1082] = pa.string()
    fields = [pa.field(n, types.get(o, pa.string()))
              for n, o in zip(stream.names[:-1], stream.oids, strict=False)]
    schema = pa.schema([*fields, pa.field("geometry", pa.binary())])

    def batch(data: list[Any]) -> pa.RecordBatch:
        arrays = []
        for i, fld in enumerate(schema):
            values = [_value(r[i]) for r in data]
            if fld.type == pa.string():
                values = [None if v is None else v.isoformat() if isinstance(v, dt.date)
                          else str(v) for v in values]
            arrays.append(pa.array(values, type=fld.type))
        if progress is not None:
            progress(len(data))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    return schema, (batch(data) for data in stream.batches)


def _gdal_options(spec: LayerSpec, fmt: Format, lang: str) -> tuple[dict[str, Any],
                                                                      dict[str, Any]]:
    """(dataset options, layer options) of a GDAL driver."""
    if fmt.name == "csv":
        geometry = "AS_XY" if spec.geometry_type == "Point" else "AS_WKT"
        return {}, {"GEOMETRY": geometry, "WRITE_BOM": "YES", "SEPARATOR": "COMMA"}
    if fmt.name == "shp":
        return {}, {"ENCODING": "UTF-8"}
    if fmt.name == "kml":
        return {"NameField": spec.catalog.popup.title}, {}
    if fmt.name == "gpkg":
        # GeoPackage 1.2: what the GDAL of QGIS LTR and older ogr2ogr read without a warning.
        return {"VERSION": "1.2"}, {"IDENTIFIER": spec.title(lang),
                                    "DESCRIPTION": spec.description(lang)}
    return {}, {}


def _write_gdal(conn: Connection, spec: LayerSpec, q: features.Query, fmt: Format, srid: int,
                path: Path, lang: str, progress: Callable[[int], None] | None) -> None:
    dataset_options, layer_options = _gdal_options(spec, fmt, lang)
    with _stream(conn, spec, q, srid) as stream:
        schema, batches = _batches(stream, progress, iso_dates=fmt.name in ("csv", "kml"))
        reader = pa.RecordBatchReader.from_batches(schema, batches)
        pyogrio.write_arrow(
            reader, str(path), layer=spec.id, driver=fmt.driver, geometry_name="geometry",
            geometry_type=_OGR_GEOMETRY[spec.geometry_type], crs=f"EPSG:{srid}",
            dataset_options=dataset_options, layer_options=layer_options)


# --- DXF --------------------------------------------------------------------------------------

_DXF_APP = "QUYHOACH"
_DXF_TEXT_MAX = 250  # bytes an XDATA string may hold, less a margin
_DXF_BAD = re.compile(r'[<>/\\":;?*|=`\x00-\x1f]+')


def _cad_layer(name: str) -> str:
    return _DXF_BAD.sub("_", name).strip()[:200] or "0"


def _xdata_text(name: str, value: Any) -> str:
    s = f"{name}={'' if value is None else _value(value)}"
    raw = s.encode("utf-8")[:_DXF_TEXT_MAX]
    return raw.decode("utf-8", errors="ignore")


def dxf_layers(spec: LayerSpec, lang: str) -> dict[str | None, tuple[str, str]]:
    """The CAD layer of each category of the layer's `color_by`: value -> (name, colour).

    The key None holds the layer of features without a listed category.
    """
    style = spec.catalog.style
    title = spec.title(lang)
    out: dict[str | None, tuple[str, str]] = {None: (_cad_layer(title), style.default)}
    if style.color_by:
        for value, color in style.colors.items():
            label = spec.value_label(style.color_by, value, lang)
            out[value] = (_cad_layer(f"{title} - {label}"), color)
    return out


def _write_dxf(conn: Connection, spec: LayerSpec, q: features.Query, path: Path, lang: str,
               progress: Callable[[int], None] | None) -> None:
    style = spec.catalog.style
    doc = ezdxf.new("R2013", setup=True)
    doc.header["$INSUNITS"] = 6  # metres
    doc.appids.add(_DXF_APP)
    msp = doc.modelspace()
    layers = dxf_layers(spec, lang)
    dashed = {v for v, d in style.dashes.items() if d}
    used: set[str] = set()

    def layer_of(value: str | None) -> str:
        name, color = layers.get(value, layers[None])
        if name not in used:
            made = doc.layers.add(name)
            made.rgb = dxf_colors.RGB.from_hex(color)
            if style.dash:
                made.dxf.linetype = "DASHED"
            used.add(name)
        return name

    with _stream(conn, spec, q, VN2000) as stream:
        _write_dxf_rows(stream, msp, layer_of, style, dashed, progress)
    doc.saveas(path, encoding="utf-8")


def _write_dxf_rows(stream: _Stream, msp: Any, layer_of: Callable[[str | None], str],
                    style: Any, dashed: set[str], progress: Callable[[int], None] | None) -> None:
    names = stream.names
    key = names.index(style.color_by) if style.color_by in names else None
    dash_key = names.index(style.dash_by) if style.dash_by in names else None
    for data in stream.batches:
        geoms = shapely.from_wkb([r[-1] for r in data])
        for row, geom in zip(data, geoms, strict=True):
            attribs = {"layer": layer_of(row[key] if key is not None else None)}
            if dash_key is not None and row[dash_key] in dashed:
                attribs["linetype"] = "DASHED"
            xdata = [(1000, _xdata_text(n, v)) for n, v in zip(names[:-1], row[:-1],
                                                                strict=True)]
            for entity in _dxf_entities(msp, geom, attribs):
                entity.set_xdata(_DXF_APP, xdata)
        if progress is not None:
            progress(len(data))


def _dxf_entities(msp: Any, geom: Any, attribs: dict[str, Any]) -> list[Any]:
    """The CAD entities of one geometry: closed polylines per ring, polylines, points."""
    out = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Point":
            out.append(msp.add_point((part.x, part.y), dxfattribs=attribs))
        elif part.geom_type == "LineString":
            out.append(msp.add_lwpolyline(list(part.coords), dxfattribs=attribs))
        elif part.geom_type == "Polygon":
            for ring in (part.exterior, *part.interiors):
                out.append(msp.add_lwpolyline(list(ring.coords)[:-1], close=True,
                                              dxfattribs=attribs))
    return out


# --- writing ----------------------------------------------------------------------------------


def write(conn: Connection, spec: LayerSpec, q: features.Query, fmt_name: str, path: Path,
          lang: str = "vi", progress: Callable[[int], None] | None = None) -> Path:
    """Write the selection to `path` in a format (Shapefile: a zip of its files); `path`."""
    fmt = FORMATS[fmt_name]
    srid = q.out_srid
    if fmt.driver is None:
        _write_dxf(conn, spec, q, path, lang, progress)
        return path
    if fmt.name != "shp":
        _write_gdal(conn, spec, q, fmt, srid, path, lang, progress)
        return path
    folder = Path(tempfile.mkdtemp(prefix="quyhoach-shp-"))
    try:
        stem = file_name(spec, fmt, "en")[1].rsplit(".", 1)[0].replace(" ", "_")
        _write_gdal(conn, spec, q, fmt, srid, folder / f"{stem}.shp", lang, progress)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(folder.iterdir()):
                zf.write(part, part.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return path
