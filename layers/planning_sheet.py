"""The planning information of one parcel ("thông tin quy hoạch thửa đất").

What citizens and notaries ask the ward for: the units the parcel lies in today and formerly,
the 1/2000 zones and land uses it overlaps with their ground areas, the area inside each
red-line corridor (corridors as layers.plans defines them), its clearance project and the
compensation plans on it, and the plan decisions all this comes from. Staff-only attributes
(compensation amounts, land users' names) never leave the database for other readers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import orjson
from sqlalchemy import Connection

from core import i18n
from core.errors import InvalidParameterError, NotFoundError
from gis.db import load_sql
from gis.srs import WGS84, in_hanoi
from layers import plans
from layers.access import visible_columns
from layers.accounts import User
from layers.registry import LAYERS, LayerSpec
from layers.search import parse_ref

# What the sheet tells of each compensation plan on the parcel, before the reader's rights.
PLAN_ATTRIBUTES = ("id", "code", "project_id", "land_user_kind", "land_user_name", "status",
                   "drafted_on", "published_on", "approved_on", "paid_on", "handed_over_on",
                   "compensation_vnd", "area_m2")
MAX_REF = 100
_ID = re.compile(r"^\d{1,9}$")


def visible_attributes(spec: LayerSpec, names: tuple[str, ...], user: User | None = None
                       ) -> tuple[str, ...]:
    """The attributes among `names` a reader may see: staff-only ones only for staff."""
    return visible_columns(spec, names, user)


def _no_parcel(ref: str) -> NotFoundError:
    shown = ref[:MAX_REF]
    return NotFoundError(i18n.phrase(i18n.PLANNING_WORDS, "no_ref", "vi", ref=shown),
                         i18n.phrase(i18n.PLANNING_WORDS, "no_ref", "en", ref=shown))


def resolve_ref(conn: Connection, ref: str) -> int:
    """The id of the parcel a reference names: an id, "sheet-parcel" (12-345) or a code; else 404."""
    text = (ref or "").strip()
    if not text or len(text) > MAX_REF:
        raise _no_parcel(text)
    cadastral = parse_ref(text)
    found = conn.execute(load_sql("planning.parcel.sql"), {
        "id": int(text) if _ID.match(text) else None,
        "sheet": cadastral.map_sheet if cadastral else None,
        "parcel_no": cadastral.parcel_no if cadastral else None,
        "code": text,
    }).scalar_one_or_none()
    if found is None:
        raise _no_parcel(text)
    return int(found)


def parcel_at(conn: Connection, lon: float, lat: float, storage_srid: int) -> int:
    """The id of the parcel under a lon/lat point; 400 outside Hanoi, 404 where there is none."""
    if not (math.isfinite(lon) and math.isfinite(lat)) or not in_hanoi(lon, lat, WGS84):
        raise InvalidParameterError(*i18n.PLANNING_WORDS["bad_point"])
    found = conn.execute(load_sql("planning.at.sql"),
                         {"lon": lon, "lat": lat, "srid": storage_srid}).scalar_one_or_none()
    if found is None:
        where = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
        raise NotFoundError(i18n.phrase(i18n.PLANNING_WORDS, "no_parcel_here", "vi", **where),
                            i18n.phrase(i18n.PLANNING_WORDS, "no_parcel_here", "en", **where))
    return int(found)


def corridors(conn: Connection, parcel_id: int) -> list[dict[str, Any]]:
    """The parcel's ground area inside each red-line corridor it reaches, largest first."""
    out = []
    for red_line_id in conn.execute(load_sql("planning.red_lines.sql"),
                                    {"parcel_id": parcel_id}).scalars():
        try:
            info, corridor = plans.red_line_corridor(conn, red_line_id)
        except InvalidParameterError:
            continue  # a red line that is not the two sides of a road has no corridor of its own
        hit = next((p for p in plans.corridor_parcels(conn, corridor)["parcels"]
                    if p["id"] == parcel_id), None)
        if hit is not None:
            out.append({"red_line_id": info["id"], "road": info["road"],
                        "plan_ref": info["plan_ref"], "inside_m2": hit["inside_m2"],
                        "inside_pct": hit["inside_pct"]})
    return sorted(out, key=lambda c: (-float(c["inside_m2"]), c["red_line_id"]))


def planning_info(conn: Connection, parcel_id: int, user: User | None = None,
                  today: dt.date | None = None) -> dict[str, Any]:
    """The planning information of a parcel, with what the reader may see of its plans."""
    visible = visible_attributes(LAYERS["parcels"], PLAN_ATTRIBUTES, user)
    body = conn.execute(load_sql("planning.sheet.sql"),
                        {"parcel_id": parcel_id, "visible": list(visible)}).scalar_one_or_none()
    if body is None:
        raise _no_parcel(str(parcel_id))
    info: dict[str, Any] = orjson.loads(body)
    info["red_lines"] = corridors(conn, parcel_id)
    cited = sorted({(c["road"], c["plan_ref"]) for c in info["red_lines"] if c["plan_ref"]})
    info["red_line_sources"] = [{"road": road, "plan_ref": ref} for road, ref in cited]
    info["staff_only_hidden"] = [n for n in PLAN_ATTRIBUTES if n not in visible]
    info["date"] = (today or dt.date.today()).isoformat()
    return info
