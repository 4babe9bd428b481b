"""Writing features (OGC API – Features Part 4): create, replace, merge-patch and delete.

Each write is checked before anything stays written: the body (a GeoJSON Feature, or a JSON
Merge Patch of one), every attribute against the layer's catalogue entry (unknown names,
generated columns, types, vocabularies, ranges, required values), the geometry (readable,
non-empty, of the layer's type, valid by PostGIS, inside Hanoi; VN-2000 metres sent as degrees
are recognised), the writer's role and scope (the old and the new geometry), and the version the
writer read (`If-Match`). A project's or plan's status moves through its status history.

The version of a feature is its row version kept by PostgreSQL: the row's `xmin` (the
transaction that wrote it) and `ctid` (where that version lies, new on every UPDATE, even twice
in one transaction), so any write by any path (API, import, CLI, plain SQL) changes it, and
nothing has to maintain it. A feature whose representation carries attributes joined from
another layer (a plan's project, a project's plan figures) adds the versions of those rows.
The ETag is a digest of that. The audit log's triggers record the write as the acting user.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import orjson
import shapely
import shapely.geometry
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import DBAPIError

from core.errors import (
    ConflictError,
    InvalidDataError,
    InvalidParameterError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from gis.db import load_sql
from gis.srs import HANOI_LONLAT, HANOI_VN2000, VN2000, WGS84, UnsupportedCRSError, parse_crs
from layers import audit, history
from layers.access import require_scope, require_writer
from layers.accounts import User
from layers.catalog import RESERVED, Attribute
from layers.plans import check_vertices
from layers.registry import LAYERS, LayerSpec, vocabulary
from layers.writes import transaction

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
# Layers written through the API: those declared importable (their rows are the features).
EDITABLE: dict[str, LayerSpec] = {k: s for k, s in LAYERS.items() if s.catalog.importable}
# Layers whose status moves through `status_events`, and the columns that history keeps.
HISTORY_ENTITY = {"projects": "project", "parcels": "plan"}
HISTORY_DATES = {"projects": ("completed_on",),
                 "parcels": ("drafted_on", "published_on", "approved_on", "paid_on",
                             "handed_over_on")}
PLAN_STEPS = ("drafted", "published", "approved", "paid", "handed_over")
# Geometry types a layer accepts (a single part is promoted to a multi).
ACCEPTED = {"MultiPolygon": ("Polygon", "MultiPolygon"),
            "MultiLineString": ("LineString", "MultiLineString"),
            "Point": ("Point",)}
MAX_TEXT = 2000
INT32 = 2**31 - 1
_SLUG = re.compile(r"^[a-z0-9-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTENT_CRS_HINT = "Content-Crs: <http://www.opengis.net/def/crs/EPSG/0/5897>"


def editable(spec: LayerSpec) -> LayerSpec:
    """The layer if its features can be written through the API; 400 otherwise."""
    if spec.id not in EDITABLE:
        raise InvalidParameterError(
            f"Lớp {spec.id} chỉ đọc: đối tượng của nó sinh ra từ dữ liệu khác.",
            f"Layer {spec.id} is read-only: its features are derived from other data.")
    return spec


# --- versions (ETags) -------------------------------------------------------------------------


@cache
def _version_expr(spec: LayerSpec) -> str:
    """SQL (alias t) of a feature's version: its row's and those of rows its output joins."""
    parts = ["t.xmin::text", "t.ctid::text"]
    attrs = spec.catalog.attributes if spec.entry is not None else {}
    if any(a.computed for a in attrs.values()):
        for name, attr in attrs.items():
            if attr.references and not attr.computed and attr.references in LAYERS:
                parts.append(f"(SELECT r.xmin::text || r.ctid::text FROM {attr.references} r "
                             f"WHERE r.id = t.{name})")
        for other in EDITABLE.values():
            for name, attr in other.catalog.attributes.items():
                if attr.references == spec.id and not attr.computed:
                    parts.append(f"(SELECT md5(string_agg(c.xmin::text || c.ctid::text, ',' "
                                 f"ORDER BY c.id)) FROM {other.table} c WHERE c.{name} = t.id)")
    return "'\"' || md5(concat_ws('/', t.id::text, " + ", ".join(parts) + ")) || '\"'"


@cache
def _statement(name: str, spec: LayerSpec) -> TextClause:
    body = load_sql(name).text.replace("/*version*/", _version_expr(spec))
    return text(body.replace("/*table*/", spec.table))


def etag_sql(spec: LayerSpec) -> str:
    """The statement of a feature's ETag (bound `:id`): the rule of a row version, written once."""
    return _statement("editing.etag.sql", spec).text.strip().rstrip(";")


def etag(conn: Connection, spec: LayerSpec, feature_id: int) -> str | None:
    """The strong ETag of a feature's current version, or None when there is no such feature."""
    return conn.execute(_statement("editing.etag.sql", spec), {"id": feature_id}).scalar()


def etag_matches(header: str | None, current: str) -> bool:
    """Whether an If-Match / If-None-Match header names the current version (or is `*`).

    The tag names the row version whatever the content coding: a compressed answer carries it
    marked weak (`W/`), and a client sending that back names the same version.
    """
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or current.removeprefix("W/") in tags


# --- the body ---------------------------------------------------------------------------------


def content_crs(header: str | None) -> tuple[int, bool]:
    """(srid, lat_lon) of a body's coordinates from `Content-Crs` (CRS84 without it)."""
    if header is None or not header.strip():
        return WGS84, False
    try:
        return parse_crs(header.strip().strip("<>"))
    except UnsupportedCRSError:
        raise InvalidParameterError(
            f"Content-Crs '{header[:100]}' không được hỗ trợ; dùng CRS84, EPSG:4326, EPSG:3857 "
            "hoặc EPSG:5897.",
            f"Content-Crs '{header[:100]}' is not supported; use CRS84, EPSG:4326, EPSG:3857 or "
            "EPSG:5897.") from None


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 when it is not JSON, 422 when it is not an object."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameterError("Nội dung gửi lên không phải JSON hợp lệ.",
                                    "The request body is not valid JSON.", detail=str(exc)) from None
    if not isinstance(doc, dict):
        raise InvalidDataError("Cần gửi một đối tượng GeoJSON (Feature).",
                               "Send a GeoJSON Feature object.")
    return doc


def _feature_parts(doc: dict[str, Any], patch: bool) -> tuple[dict[str, Any], Any, bool]:
    """(properties, geometry, geometry given) of a Feature or of a merge patch of one."""
    kind = doc.get("type", None if patch else "")
    if kind is not None and kind != "Feature":
        raise InvalidDataError(f"Cần một GeoJSON Feature, không phải '{str(kind)[:40]}'.",
                               f"A GeoJSON Feature is expected, not '{str(kind)[:40]}'.")
    unknown = sorted(set(doc) - {"type", "id", "geometry", "properties", "links", "bbox"})
    if unknown:
        raise InvalidDataError(f"Thành phần không dùng được: {', '.join(unknown)[:200]}.",
                               f"Unknown member(s): {', '.join(unknown)[:200]}.")
    props = doc.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidDataError("'properties' phải là một đối tượng.",
                               "'properties' must be an object.")
    given = "geometry" in doc
    if not patch and (not given or doc["geometry"] is None):
        raise InvalidDataError("Đối tượng không có hình học (geometry).",
                               "The feature has no geometry.")
    if patch and given and doc["geometry"] is None:
        raise InvalidDataError("Không xóa được hình học của đối tượng.",
                               "A feature's geometry cannot be removed.")
    return props, doc.get("geometry"), given


def _attr_error(spec: LayerSpec, name: str, vi: str, en: str) -> InvalidDataError:
    label = spec.field_label(name, "vi")
    return InvalidDataError(f"Thuộc tính '{name}' ({label}): {vi}",
                            f"Attribute '{name}' ({spec.field_label(name, 'en')}): {en}")


def writable(spec: LayerSpec) -> dict[str, Attribute]:
    """The attributes of a layer a writer gives: neither computed nor derived."""
    return {n: a for n, a in spec.catalog.attributes.items() if not a.computed and a.imported}


def _check_name(spec: LayerSpec, name: str) -> Attribute:
    attr = spec.catalog.attributes.get(name)
    if name in RESERVED or (attr is not None and (attr.computed or not attr.imported)):
        raise InvalidDataError(
            f"Thuộc tính '{name}' do hệ thống tính hoặc cấp (diện tích, chiều dài, số hiệu, số "
            "liệu tổng hợp, tọa độ lấy từ hình học), không ghi được.",
            f"Attribute '{name}' is generated by the service (area, length, id, figures, "
            "coordinates taken from the geometry) and cannot be written.")
    if attr is None:
        known = ", ".join(writable(spec))
        raise InvalidDataError(
            f"Lớp {spec.id} không có thuộc tính '{name[:60]}'. Các thuộc tính ghi được: {known}.",
            f"Layer {spec.id} has no attribute '{name[:60]}'. Writable attributes: {known}.")
    return attr


def _value(spec: LayerSpec, name: str, attr: Attribute, value: Any) -> Any:
    """A JSON value checked against its attribute's declaration, as the database takes it."""
    if value is None:
        if attr.required:
            raise _attr_error(spec, name, "bắt buộc, không được để trống.",
                              "is required and cannot be empty.")
        return None
    kind = attr.type
    out: Any
    if kind in ("text", "slug"):
        if not isinstance(value, str):
            raise _attr_error(spec, name, "cần một chuỗi chữ.", "must be a string.")
        out = value.strip()
        if _CONTROL.search(out) or len(out) > MAX_TEXT:
            raise _attr_error(spec, name, f"chứa ký tự điều khiển hoặc dài quá {MAX_TEXT} ký tự.",
                              f"holds control characters or exceeds {MAX_TEXT} characters.")
        if attr.required and not out:
            raise _attr_error(spec, name, "bắt buộc, không được để trống.",
                              "is required and cannot be empty.")
        if kind == "slug" and not _SLUG.match(out):
            raise _attr_error(spec, name, "chỉ gồm chữ thường không dấu, số và '-'.",
                              "holds lower-case letters, digits and '-' only.")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _attr_error(spec, name, "cần true hoặc false.", "must be true or false.")
        out = value
    elif kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > INT32:
            raise _attr_error(spec, name, "cần một số nguyên.", "must be a whole number.")
        out = value
    elif kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise _attr_error(spec, name, "cần một số.", "must be a number.")
        try:
            out = Decimal(str(value))
        except InvalidOperation:
            raise _attr_error(spec, name, "cần một số.", "must be a number.") from None
        if attr.precision:
            digits, scale = attr.precision
            out = round(out, scale)
            if abs(out) >= Decimal(10) ** (digits - scale):
                raise _attr_error(spec, name, "quá lớn.", "is too large.")
    else:  # date
        try:
            out = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 \
                else None
        except ValueError:
            out = None
        if out is None or not 1900 <= out.year <= 2100:
            raise _attr_error(spec, name, "cần một ngày dạng YYYY-MM-DD (1900–2100).",
                              "must be a date written YYYY-MM-DD (1900–2100).")
    vocab = vocabulary(attr)
    if vocab and out not in vocab:
        allowed = ", ".join(vocab)
        raise _attr_error(spec, name, f"giá trị '{str(out)[:60]}' không có trong danh mục "
                          f"({allowed}).", f"value '{str(out)[:60]}' is not one of {allowed}.")
    if kind in ("integer", "numeric") and (
            (attr.min is not None and out < attr.min) or (attr.max is not None and out > attr.max)):
        lo = "−∞" if attr.min is None else f"{attr.min:g}"
        hi = "∞" if attr.max is None else f"{attr.max:g}"
        raise _attr_error(spec, name, f"giá trị {out} ngoài khoảng [{lo}; {hi}].",
                          f"value {out} is outside [{lo}; {hi}].")
    return out


def check_properties(spec: LayerSpec, props: dict[str, Any], complete: bool) -> dict[str, Any]:
    """The given properties checked; `complete` (create, replace) also wants the required ones."""
    values = {}
    for name, value in props.items():
        values[name] = _value(spec, name, _check_name(spec, name), value)
    if complete:
        for name, attr in writable(spec).items():
            if name in values:
                continue
            if attr.required and attr.default is None:
                raise _attr_error(spec, name, "bắt buộc nhưng không có.", "is required but missing.")
            values[name] = attr.default
    return values


# --- the geometry -----------------------------------------------------------------------------


def _fits(b: tuple[float, ...], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= b[0] and b[2] <= box[2] and box[1] <= b[1] and b[3] <= box[3]


def _outside(srid: int, bounds: tuple[float, ...]) -> InvalidDataError:
    where = f"{bounds[0]:.6g}, {bounds[1]:.6g}"
    if srid != VN2000 and _fits(bounds, HANOI_VN2000):
        return InvalidDataError(
            f"Tọa độ (khoảng {where}) là mét VN-2000 nhưng gửi như kinh độ/vĩ độ (CRS84). Thêm "
            f"tiêu đề {CONTENT_CRS_HINT}.",
            f"The coordinates (around {where}) are VN-2000 metres sent as longitude/latitude "
            f"(CRS84). Add the header {CONTENT_CRS_HINT}.")
    if srid == WGS84 and _fits((bounds[1], bounds[0], bounds[3], bounds[2]), HANOI_LONLAT):
        return InvalidDataError(
            f"Tọa độ (khoảng {where}) là vĩ độ trước kinh độ; CRS84 viết kinh độ trước.",
            f"The coordinates (around {where}) put latitude first; CRS84 is longitude first.")
    if srid == VN2000 and _fits(bounds, HANOI_LONLAT):
        return InvalidDataError(
            f"Tọa độ (khoảng {where}) là kinh độ/vĩ độ nhưng Content-Crs khai báo EPSG:5897; bỏ "
            "tiêu đề đó.",
            f"The coordinates (around {where}) are longitude/latitude but Content-Crs says "
            "EPSG:5897; leave that header out.")
    return InvalidDataError(f"Hình học (khoảng {where}) nằm ngoài Hà Nội.",
                            f"The geometry (around {where}) lies outside Hanoi.")


@dataclass(frozen=True)
class StoredGeometry:
    """A checked geometry in the storage grid (hex EWKB), and its point's x, y."""

    ewkb: str
    x: float | None
    y: float | None


def check_geometry(conn: Connection, spec: LayerSpec, geometry: Any, srid: int, lat_lon: bool,
                   storage_srid: int, max_vertices: int) -> StoredGeometry:
    """A body's geometry checked and in the storage grid; 422 with the reason otherwise."""
    if not isinstance(geometry, dict):
        raise InvalidDataError("Hình học phải là một đối tượng GeoJSON.",
                               "The geometry must be a GeoJSON object.")
    check_vertices(geometry, max_vertices)
    try:
        shape = shapely.geometry.shape(geometry)
        if not shape.is_empty and not all(math.isfinite(v) for v in shape.bounds):
            raise ValueError("coordinates not finite")
    except Exception as exc:  # any malformed GeoJSON geometry (shapely's many error types)
        raise InvalidDataError("Không đọc được hình học GeoJSON (kiểu hoặc tọa độ sai).",
                               "The GeoJSON geometry cannot be read (wrong type or coordinates).",
                               detail=str(exc)[:300]) from None
    if shape.is_empty:
        raise InvalidDataError("Hình học rỗng.", "The geometry is empty.")
    accepted = ACCEPTED[spec.geometry_type]
    if shape.geom_type not in accepted:
        raise InvalidDataError(
            f"Lớp {spec.id} nhận {' hoặc '.join(accepted)}, không nhận {shape.geom_type}.",
            f"Layer {spec.id} takes {' or '.join(accepted)}, not {shape.geom_type}.")
    if lat_lon:
        shape = shapely.transform(shape, lambda c: c[:, ::-1])
    bounds = shape.bounds
    if srid in (WGS84, VN2000) and not _fits(bounds, HANOI_LONLAT if srid == WGS84
                                             else HANOI_VN2000):
        raise _outside(srid, bounds)
    try:
        with conn.begin_nested():
            row = conn.execute(load_sql("editing.geometry.sql"), {
                "wkb": shapely.to_wkb(shape, hex=True), "srid": srid, "storage": storage_srid,
                "multi": spec.geometry_type.startswith("Multi"), "xmin": HANOI_VN2000[0],
                "ymin": HANOI_VN2000[1], "xmax": HANOI_VN2000[2], "ymax": HANOI_VN2000[3],
                "hanoi_srid": VN2000}).one()
    except DBAPIError as exc:  # coordinates the transformation cannot take
        raise _outside(srid, bounds) from exc
    if not row.valid:
        where = f" ({row.loc_x:.8g}, {row.loc_y:.8g})" if row.loc_x is not None else ""
        raise InvalidDataError(f"Hình học không hợp lệ: {row.reason}{where}.",
                               f"The geometry is not valid: {row.reason}{where}.")
    if not row.inside:
        raise _outside(srid, bounds)
    return StoredGeometry(row.ewkb, row.x, row.y)


# --- writing ----------------------------------------------------------------------------------


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(spec: LayerSpec, values: dict[str, Any], geom: StoredGeometry | None
             ) -> dict[str, tuple[str, Any]]:
    """Column -> (SQL expression, bound value) of a write (names from the catalogue only)."""
    cols: dict[str, tuple[str, Any]] = {}
    for i, (name, value) in enumerate(values.items()):
        cols[name] = (f":v{i}", value)
    if geom is not None:
        if spec.catalog.geometry_from:
            x, y = spec.catalog.geometry_from
            cols[x] = (":gx", round(Decimal(repr(geom.x)), 3))
            cols[y] = (":gy", round(Decimal(repr(geom.y)), 3))
        else:
            cols["geom"] = ("ST_GeomFromEWKB(decode(:geom, 'hex'))", geom.ewkb)
    return cols


def _params(cols: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    return {expr.lstrip(":"): value for expr, value in cols.values() if expr.startswith(":")} | (
        {"geom": cols["geom"][1]} if "geom" in cols else {})


def _database_refusal(exc: DBAPIError) -> Exception:
    """The writer's error for a statement the database refused (a constraint, a trigger)."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    state = getattr(orig, "sqlstate", None) or ""
    primary = getattr(diag, "message_primary", None) or "constraint"
    extra = getattr(diag, "message_detail", None)
    reason = primary + (f" — {extra}" if extra else "")
    vi, sep, en = primary.partition(" / ")
    if state == "23505":
        return ConflictError(f"Đã có đối tượng trùng khóa: {extra or primary}.",
                             f"A feature with the same key exists: {extra or primary}.",
                             detail=str(orig))
    if state in ("23001", "P0001") or (sep and state.startswith("23")):
        return ConflictError(vi if sep else reason, en if sep else reason, detail=str(orig))
    return InvalidDataError(f"Cơ sở dữ liệu từ chối dữ liệu: {reason}.",
                            f"The database refused the data: {reason}.", detail=str(orig))


def _execute(conn: Connection, sql: str, params: dict[str, Any]) -> Any:
    try:
        with conn.begin_nested():
            return conn.execute(text(sql), params)
    except DBAPIError as exc:
        raise _database_refusal(exc) from None


@dataclass(frozen=True)
class Written:
    """A feature after a write: its id and its new ETag."""

    id: int
    etag: str


def _scope_and_geometry(conn: Connection, spec: LayerSpec, user: User, geometry: Any,
                        srid: int, lat_lon: bool, storage_srid: int, max_vertices: int
                        ) -> StoredGeometry:
    geom = check_geometry(conn, spec, geometry, srid, lat_lon, storage_srid, max_vertices)
    require_scope(conn, user, spec.id, geom.ewkb)
    return geom


def create(conn: Connection, spec: LayerSpec, user: User | None, via: str, doc: dict[str, Any],
           srid: int, lat_lon: bool, storage_srid: int, max_vertices: int) -> Written:
    """Add a feature from a GeoJSON Feature; its id is the server's."""
    writer = require_writer(user)
    editable(spec)
    if doc.get("id") is not None:
        raise InvalidDataError("Số hiệu (id) do máy chủ cấp; bỏ 'id' khỏi đối tượng mới.",
                               "The id is assigned by the server; leave 'id' out of a new feature.")
    props, geometry, _ = _feature_parts(doc, patch=False)
    values = {k: v for k, v in check_properties(spec, props, complete=True).items()
              if v is not None or k in props}
    with transaction(conn):
        geom = _scope_and_geometry(conn, spec, writer, geometry, srid, lat_lon, storage_srid,
                                   max_vertices)
        audit.act_as(conn, writer.name, via)
        cols = _columns(spec, values, geom)
        sql = (f"INSERT INTO {spec.table} ({', '.join(map(_quoted, cols))}) "
               f"VALUES ({', '.join(e for e, _ in cols.values())}) RETURNING id")
        fid = int(_execute(conn, sql, _params(cols)).scalar_one())
        return Written(fid, etag(conn, spec, fid) or "")


@dataclass(frozen=True)
class _Current:
    etag: str
    row: dict[str, Any]
    geom: str


def _lock(conn: Connection, spec: LayerSpec, feature_id: int, if_match: str | None) -> _Current:
    """The feature locked for this transaction, when `If-Match` names its version."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequiredError(
            "Cần tiêu đề If-Match với ETag của phiên bản đã đọc (để không ghi đè thay đổi của "
            "người khác).",
            "An If-Match header with the ETag of the version read is required (so that no one "
            "else's change is overwritten).")
    row = conn.execute(_statement("editing.lock.sql", spec), {"id": feature_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"Không có đối tượng {feature_id} trong lớp {spec.id}.",
                            f"No feature {feature_id} in collection {spec.id}.")
    if not etag_matches(if_match, row.etag):
        raise PreconditionFailedError(
            "Đối tượng đã được người khác sửa sau khi bạn đọc; hãy đọc lại phiên bản hiện tại "
            "(ETag kèm theo) rồi quyết định.",
            "The feature was changed by someone else since you read it; read the current "
            "version (its ETag is attached) and decide.", headers={"ETag": row.etag})
    return _Current(row.etag, dict(row.props), row.geom)


def _status_change(conn: Connection, spec: LayerSpec, feature_id: int, current: dict[str, Any],
                   values: dict[str, Any], user: User) -> None:
    """Move a project or plan to a new status through its history (values are consumed)."""
    entity = HISTORY_ENTITY[spec.id]
    new = values.pop("status", current["status"])
    dates = {d: values.pop(d) for d in HISTORY_DATES[spec.id] if d in values}
    step_date = {"plan": f"{new}_on", "project": "completed_on" if new == "completed" else ""}
    effective: dt.date | None = None
    for name, value in dates.items():
        stored = current.get(name)
        if (value.isoformat() if value else None) == stored:
            continue
        if new != current["status"] and name == step_date[entity] and value is not None:
            effective = value
            continue
        raise ConflictError(
            f"'{name}' do lịch sử trạng thái giữ; chỉ ghi được ngày của trạng thái mới.",
            f"'{name}' is kept by the status history; only the new status's date can be given.")
    if new == current["status"]:
        return
    if entity == "plan" and PLAN_STEPS.index(new) < PLAN_STEPS.index(current["status"]):
        raise ConflictError(
            f"Phương án chỉ đi tiếp các bước, không quay lại ({current['status']} → {new}).",
            f"A plan only moves forward, never back ({current['status']} → {new}).")
    try:
        history.record(conn, entity, feature_id, new, effective or dt.date.today(), user.name)
    except InvalidDataError as exc:
        raise ConflictError(exc.message, exc.message_en, detail=exc.detail) from None


def _update(conn: Connection, spec: LayerSpec, user: User, via: str, feature_id: int,
            current: _Current, values: dict[str, Any], geom: StoredGeometry | None) -> Written:
    audit.act_as(conn, user.name, via)
    if spec.id in HISTORY_ENTITY:
        _status_change(conn, spec, feature_id, current.row, values, user)
    cols = _columns(spec, values, geom)
    if cols:
        sets = ", ".join(f"{_quoted(c)} = {e}" for c, (e, _) in cols.items())
        _execute(conn, f"UPDATE {spec.table} SET {sets} WHERE id = :fid",
                 {**_params(cols), "fid": feature_id})
    return Written(feature_id, etag(conn, spec, feature_id) or "")


def replace(conn: Connection, spec: LayerSpec, user: User | None, via: str, feature_id: int,
            doc: dict[str, Any], if_match: str | None, srid: int, lat_lon: bool,
            storage_srid: int, max_vertices: int) -> Written:
    """Replace a feature (PUT): every writable attribute and the geometry."""
    writer = require_writer(user)
    editable(spec)
    if doc.get("id") is not None and str(doc["id"]) != str(feature_id):
        raise InvalidDataError(f"'id' của đối tượng ({str(doc['id'])[:20]}) khác đường dẫn "
                               f"({feature_id}).", f"The feature's 'id' ({str(doc['id'])[:20]}) "
                               f"differs from the path ({feature_id}).")
    props, geometry, _ = _feature_parts(doc, patch=False)
    values = check_properties(spec, props, complete=True)
    if spec.id in HISTORY_ENTITY:  # dates the history keeps stay unless given
        values = {k: v for k, v in values.items()
                  if k in props or k not in HISTORY_DATES[spec.id]}
    with transaction(conn):
        current = _lock(conn, spec, feature_id, if_match)
        require_scope(conn, writer, spec.id, current.geom)
        geom = _scope_and_geometry(conn, spec, writer, geometry, srid, lat_lon, storage_srid,
                                   max_vertices)
        return _update(conn, spec, writer, via, feature_id, current, values, geom)


def merge_patch(conn: Connection, spec: LayerSpec, user: User | None, via: str,
                feature_id: int, doc: dict[str, Any], if_match: str | None, srid: int,
                lat_lon: bool, storage_srid: int, max_vertices: int) -> Written:
    """Change a feature by a JSON Merge Patch (RFC 7396): given members replace, null clears."""
    writer = require_writer(user)
    editable(spec)
    if doc.get("id") is not None and str(doc["id"]) != str(feature_id):
        raise InvalidDataError("Không đổi được số hiệu (id) của đối tượng.",
                               "A feature's id cannot be changed.")
    props, geometry, given = _feature_parts(doc, patch=True)
    values = check_properties(spec, props, complete=False)
    with transaction(conn):
        current = _lock(conn, spec, feature_id, if_match)
        require_scope(conn, writer, spec.id, current.geom)
        geom = None
        if given:
            geom = _scope_and_geometry(conn, spec, writer, geometry, srid, lat_lon,
                                       storage_srid, max_vertices)
        return _update(conn, spec, writer, via, feature_id, current, values, geom)


def delete(conn: Connection, spec: LayerSpec, user: User | None, via: str, feature_id: int,
           if_match: str | None) -> None:
    """Delete a feature; the audit log keeps it, and an admin can restore it from there."""
    writer = require_writer(user)
    editable(spec)
    with transaction(conn):
        current = _lock(conn, spec, feature_id, if_match)
        require_scope(conn, writer, spec.id, current.geom)
        audit.act_as(conn, writer.name, via)
        _execute(conn, f"DELETE FROM {spec.table} WHERE id = :fid", {"fid": feature_id})


# --- the map's form ---------------------------------------------------------------------------


def form_declaration(lang: str) -> dict[str, Any]:
    """Each editable layer's writable attributes, as the map's editing form builds its fields."""
    out: dict[str, Any] = {}
    for spec in EDITABLE.values():
        fields = []
        for name, attr in writable(spec).items():
            vocab = vocabulary(attr)
            labels = attr.values or {}
            fields.append({
                "name": name, "type": attr.type, "label": attr.title.pick(lang),
                "required": attr.required, "min": attr.min, "max": attr.max,
                "history": name in HISTORY_DATES.get(spec.id, ()),
                "choices": [[v, labels[v].pick(lang) if v in labels else v] for v in vocab],
            })
        out[spec.id] = {"title": spec.title(lang), "geometry": spec.geometry_type,
                        "fields": fields, "statuses": list(spec.values("status")),
                        "history": spec.id in HISTORY_ENTITY,
                        # the statuses in order, for a layer whose status only moves forward
                        "steps": list(PLAN_STEPS) if HISTORY_ENTITY.get(spec.id) == "plan"
                        else None,
                        "pointFromAttributes": bool(spec.catalog.geometry_from)}
    return out
