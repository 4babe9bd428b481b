"""The append-only audit log: every write, who made it, through what, before and after.

An entry names the account, the way the write came (`api`: a token; `map`: a browser session;
`cli`; `import`), the layer and feature, the operation, and the feature before and after as
`{"properties": {...}, "geometry": GeoJSON, "crs": "EPSG:5897"}` (the storage grid, so a restore
puts back the very coordinates). The database refuses to change or remove an entry (migration
0401), and writes the entries of the layers' tables itself, whichever way a write arrives
(migration 0402): a writer names itself with `act_as` in the transaction of its write, so the
entry and the write commit or roll back together. Tables without those triggers (plans) are
logged with `record`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from core.errors import ConflictError, InvalidParameterError, NotFoundError
from gis.db import load_sql
from layers.accounts import User
from layers.registry import LAYERS

VIA = ("api", "map", "cli", "import", "system")
OPERATIONS = ("insert", "update", "delete", "status", "restore")
# Tables written besides the layers, and the geometry column of each table.
OTHER_TABLES = ("plans",)
GEOMETRY_COLUMNS = {"plans": "footprint"}
# Layers whose features carry a status history (status_events' entity names).
HISTORY_ENTITIES = {"projects": "project", "parcels": "plan"}
MAX_ENTRIES = 1000


def _table(layer: str) -> str:
    if layer not in LAYERS and layer not in OTHER_TABLES:
        raise InvalidParameterError(f"Không có lớp dữ liệu '{layer}'.", f"Unknown layer '{layer}'.")
    return layer


def _sql(name: str, layer: str, **marks: str) -> Any:
    body = load_sql(name).text.replace("/*table*/", _table(layer))
    body = body.replace("/*geom*/", GEOMETRY_COLUMNS.get(layer, "geom"))
    for mark, value in marks.items():
        body = body.replace(f"/*{mark}*/", value)
    return text(body)


def snapshot(conn: Connection, layer: str, feature_id: int) -> str | None:
    """A feature as the log keeps it (JSON text), or None when there is no such feature."""
    return conn.execute(_sql("audit.snapshot.sql", layer), {"id": feature_id}).scalar()


def stored_geometry(conn: Connection, layer: str, feature_id: int) -> str | None:
    """A feature's stored geometry as hex EWKB, or None when there is no such feature."""
    return conn.execute(_sql("audit.geometry.sql", layer), {"id": feature_id}).scalar()


def record(conn: Connection, user: User, via: str, layer: str, feature_id: int | None,
           operation: str, before: str | None = None, after: str | None = None,
           note: str | None = None, restores: int | None = None) -> int:
    """Append one entry (`before`/`after` as JSON text, e.g. from `snapshot`); its id."""
    assert via in VIA and operation in OPERATIONS
    return int(conn.execute(load_sql("audit.record.sql"), {
        "user_id": user.id, "actor": user.name, "via": via, "layer": _table(layer),
        "feature_id": feature_id, "operation": operation, "before": before, "after": after,
        "restores": restores, "note": note}).scalar_one())


def act_as(conn: Connection, actor: str | None, via: str, note: str | None = None) -> None:
    """Name who writes in this transaction, and through what, for the log's triggers."""
    assert via in VIA
    conn.execute(load_sql("editing.act_as.sql"), {"actor": actor or "", "via": via,
                                                  "note": note or ""})


@contextmanager
def audited(conn: Connection, user: User, via: str, layer: str, feature_id: int,
            operation: str, note: str | None = None) -> Iterator[None]:
    """A write of one existing feature as `user`, logged with its before and after.

    A layer's triggers write the entry (an update that only moves a status is a `status`
    entry); a table without them gets one here.
    """
    act_as(conn, user.name, via, note)
    before = snapshot(conn, layer, feature_id) if layer in OTHER_TABLES else None
    yield
    if layer in OTHER_TABLES:
        record(conn, user, via, layer, feature_id, operation, before,
               snapshot(conn, layer, feature_id), note)


def entries(conn: Connection, *, layer: str | None = None, feature_id: int | None = None,
            actor: str | None = None, date_from: dt.date | None = None,
            date_to: dt.date | None = None, limit: int = 100, offset: int = 0) -> str:
    """Entries of the log, newest first, as one JSON document."""
    return conn.execute(load_sql("audit.entries.sql"), {
        "layer": layer, "feature_id": feature_id, "actor": actor, "date_from": date_from,
        "date_to": date_to, "limit": min(max(limit, 1), MAX_ENTRIES),
        "offset": max(offset, 0)}).scalar_one()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def restore(conn: Connection, user: User, via: str, entry_id: int, srid: int) -> tuple[str, int]:
    """Put back the feature a `delete` entry removed, with its id; (layer, feature id).

    The restore is itself an entry (written by the layer's trigger). A project's or plan's status history outlives it, so the
    restored row is written without the events an insert would otherwise bring along.
    """
    entry = conn.execute(load_sql("audit.entry.sql"), {"id": entry_id}).one_or_none()
    if entry is None:
        raise NotFoundError(f"Không có mục nhật ký số {entry_id}.", f"No audit entry {entry_id}.")
    if entry.operation != "delete" or entry.before is None:
        raise ConflictError(
            f"Mục nhật ký số {entry_id} không phải một lần xóa; chỉ khôi phục được đối tượng đã xóa.",
            f"Audit entry {entry_id} is not a deletion; only a deleted feature can be restored.")
    if entry.layer not in LAYERS:
        raise ConflictError(
            "Quy hoạch đã xóa được khôi phục bằng cách nhập lại tệp của nó.",
            "A deleted plan is restored by importing its file again.")
    if snapshot(conn, entry.layer, entry.feature_id) is not None:
        raise ConflictError(
            f"Đối tượng {entry.feature_id} của lớp {entry.layer} đang có, không cần khôi phục.",
            f"Feature {entry.feature_id} of {entry.layer} exists; there is nothing to restore.")
    doc = _json(entry.before)
    columns = list(conn.execute(load_sql("audit.writable_columns.sql"),
                                {"table": entry.layer}).scalars())
    geom = GEOMETRY_COLUMNS.get(entry.layer, "geom")
    values = [f"ST_SetSRID(ST_GeomFromGeoJSON(CAST(:geometry AS text)), {int(srid)})"
              if c == geom else f"r.{_quoted(c)}" for c in columns]
    sql = _sql("audit.restore.sql", entry.layer, columns=", ".join(map(_quoted, columns)),
               values=", ".join(values))
    entity = HISTORY_ENTITIES.get(entry.layer)
    keep_history = entity is not None and conn.execute(
        load_sql("audit.has_history.sql"), {"entity": entity, "entity_id": entry.feature_id}
    ).scalar_one()
    act_as(conn, user.name, via)
    try:
        with conn.begin_nested():
            conn.execute(load_sql("editing.restoring.sql"), {"entry": str(entry_id)})
            if keep_history:
                conn.execute(text("SELECT set_config('quyhoach.loading_history', 'on', true)"))
            conn.execute(sql, {"properties": _dumps(doc["properties"]),
                               "geometry": _dumps(doc["geometry"])})
            if keep_history:
                conn.execute(text("SELECT set_config('quyhoach.loading_history', 'off', true)"))
            conn.execute(load_sql("editing.restoring.sql"), {"entry": ""})
    except DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)
        reason = getattr(diag, "message_primary", None) or "constraint"
        raise ConflictError(
            f"Không khôi phục được đối tượng {entry.feature_id}: {reason}.",
            f"Feature {entry.feature_id} cannot be restored: {reason}.",
            detail=str(exc.orig)) from None
    return entry.layer, int(entry.feature_id)


def _json(value: str) -> dict[str, Any]:
    return orjson.loads(value)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
