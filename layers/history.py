"""Status history of clearance projects and compensation plans.

Every status change is an event in `status_events`, appended and never rewritten (the database
refuses updates and deletes). The status columns of `projects` and `parcels` are the latest
state, kept from the events by triggers (migration 0003); `plan_states(day)` and
`project_states(day)` give the state on any day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from core.errors import InvalidDataError, NotFoundError
from gis.db import load_sql
from layers.registry import LAYERS

ENTITIES = ("project", "plan")
STATUSES = {"project": LAYERS["projects"].values("status"),
            "plan": LAYERS["parcels"].values("status")}
_TABLES = {"project": "projects", "plan": "parcels"}
_NAMES = {"project": ("dự án", "project"), "plan": ("phương án", "plan")}


@dataclass(frozen=True)
class Mismatches:
    """How many plans and projects store a state their history does not give."""

    plans: int
    projects: int

    def __bool__(self) -> bool:
        return bool(self.plans or self.projects)


def _message(exc: DBAPIError) -> tuple[str, str]:
    diag = getattr(exc.orig, "diag", None)
    msg = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
    vi, sep, en = msg.partition(" / ")
    return (vi, en) if sep else (msg, msg)


def entity_id(conn: Connection, entity: str, ref: str | int) -> int:
    """The id of a project or plan given by its code or id (404 when there is none)."""
    if entity not in ENTITIES:
        raise InvalidDataError(f"Loại đối tượng '{entity}' không hợp lệ (project, plan).",
                               f"Unknown entity '{entity}' (project, plan).")
    table = _TABLES[entity]
    ref_s = str(ref).strip()
    by_id = ref_s.isdigit() and int(ref_s) < 2**31
    found = conn.execute(text(
        f"SELECT id FROM {table} WHERE code = :ref" + (" OR id = :id" if by_id else "")
        + " ORDER BY code = :ref DESC LIMIT 1"
    ), {"ref": ref_s, "id": int(ref_s) if by_id else None}).scalar_one_or_none()
    if found is None:
        vi, en = _NAMES[entity]
        raise NotFoundError(f"Không có {vi} '{ref_s}'.", f"No {en} '{ref_s}'.")
    return int(found)


def record(conn: Connection, entity: str, ref: str | int, to_status: str,
           effective_on: dt.date, recorded_by: str, note: str | None = None) -> dict[str, Any]:
    """Record a status change of a project or plan as an event; return the event."""
    eid = entity_id(conn, entity, ref)
    if to_status not in STATUSES[entity]:
        allowed = ", ".join(STATUSES[entity])
        raise InvalidDataError(f"Trạng thái '{to_status}' không hợp lệ; các trạng thái: {allowed}.",
                               f"Unknown status '{to_status}'; allowed: {allowed}.")
    if not recorded_by.strip():
        raise InvalidDataError("Cần ghi tên người ghi nhận.", "Who recorded the change is required.")
    params = {"entity": entity, "entity_id": eid, "to_status": to_status,
              "effective_on": effective_on, "recorded_by": recorded_by.strip(),
              "note": (note or "").strip() or None}
    try:
        with conn.begin_nested():
            row = conn.execute(load_sql("history.record.sql"), params).one()
    except DBAPIError as exc:
        vi, en = _message(exc)
        raise InvalidDataError(vi, en, detail=str(exc)) from None
    return dict(row._mapping)


def events(conn: Connection, entity: str, ref: str | int) -> list[dict[str, Any]]:
    """The status history of one project or plan, in the order it took effect."""
    eid = entity_id(conn, entity, ref)
    rows = conn.execute(load_sql("history.events.sql"), {"entity": entity, "entity_id": eid})
    return [dict(r._mapping) for r in rows]


def state_on(conn: Connection, entity: str, ref: str | int, day: dt.date) -> dict[str, Any] | None:
    """The status (and step dates) of a project or plan on a day; None before its history."""
    eid = entity_id(conn, entity, ref)
    row = conn.execute(load_sql("history.state.sql"),
                       {"entity": entity, "entity_id": eid, "day": day}).one_or_none()
    return dict(row._mapping) if row is not None else None


def mismatches(conn: Connection) -> Mismatches:
    """Plans and projects whose stored state differs from the one their history gives."""
    row = conn.execute(load_sql("history.mismatches.sql")).one()
    return Mismatches(int(row.plans), int(row.projects))
