"""Search by name, code, address or cadastral reference; the planning sheet of one parcel."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection

from api.auth import CurrentUser
from api.deps import LangDep, SettingsDep
from api.limits import BUSY, RenderPoolDep, WatchedReadConnDep
from api.routes.collections import ErrorBody
from core import i18n
from core.errors import InvalidParameterError
from core.settings import Settings
from layers import planning_sheet as P
from layers.accounts import User
from layers.search import search as run_search
from maps.sheet import render_planning_sheet

router = APIRouter(tags=["Tìm kiếm, thông tin quy hoạch – search, planning information"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The search text or a parameter is not valid."},
    404: {"model": ErrorBody, "description": "No parcel with that reference, or at that point."},
    **BUSY,
}
SHEET = {200: {"content": {"application/json": {}, "application/pdf": {}}}}


@router.get("/search", summary="Search units, projects, parcels, streets, lakes, red lines, zones",
            responses=ERRORS)
async def search(
    db: WatchedReadConnDep, lang: LangDep,
    q: str | None = Query(None, description="Text: a name, a code, an address, or a cadastral "
                                            "reference such as 'tờ 12 thửa 345' or '12-345'."),
    limit: int | None = Query(None, description="Most hits (1–50, default 10)."),
) -> Response:
    """Hits ranked best first (exact, prefix, similar), each with collection, id, label, extent."""
    body = await db.run(run_search, q, limit, lang)
    return Response(body, media_type="application/json")


def _format(f: str | None) -> str:
    fmt = (f or "json").strip().lower()
    if fmt not in ("json", "pdf"):
        raise InvalidParameterError(*i18n.PLANNING_WORDS["bad_format"])
    return fmt


def _info_by_ref(conn: Connection, ref: str, user: User | None) -> dict[str, Any]:
    return P.planning_info(conn, P.resolve_ref(conn, ref), user)


def _info_at(conn: Connection, lon: float, lat: float, srid: int, user: User | None
             ) -> dict[str, Any]:
    return P.planning_info(conn, P.parcel_at(conn, lon, lat, srid), user)


async def _answer(db: WatchedReadConnDep, settings: Settings, renderers: Any,
                  info: dict[str, Any], fmt: str, lang: str) -> Response:
    if fmt == "json":
        # The answer depends on the reader's rights: no shared cache keeps it.
        return Response(orjson.dumps(info), media_type="application/json",
                        headers={"Cache-Control": "no-store"})
    with renderers.slot():
        body = await db.run(render_planning_sheet, settings, info, lang)
    name = f"thong-tin-quy-hoach-{info['parcel'].get('ref') or info['parcel']['id']}.pdf"
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/parcels/{ref}/planning", summary="Planning information of a parcel",
            responses={**ERRORS, **SHEET})
async def parcel_planning(
    ref: str, db: WatchedReadConnDep, settings: SettingsDep, renderers: RenderPoolDep,
    lang: LangDep, user: CurrentUser,
    f: str | None = Query(None, description="json (default) or pdf (A4 sheet)."),
) -> Response:
    """Units, 1/2000 zones and land uses, red-line corridors, clearance and sources of a parcel.

    Compensation amounts and land users' names are given to signed-in staff only.
    """
    fmt = _format(f)
    info = await db.run(_info_by_ref, ref, user)
    return await _answer(db, settings, renderers, info, fmt, lang)


@router.get("/planning", summary="Planning information of the parcel at a point",
            responses={**ERRORS, **SHEET})
async def planning_at(
    db: WatchedReadConnDep, settings: SettingsDep, renderers: RenderPoolDep, lang: LangDep,
    user: CurrentUser, lon: float = Query(..., description="Longitude (WGS 84)."),
    lat: float = Query(..., description="Latitude (WGS 84)."),
    f: str | None = Query(None, description="json (default) or pdf (A4 sheet)."),
) -> Response:
    """The planning information of the parcel under a point clicked on the map."""
    fmt = _format(f)
    info = await db.run(_info_at, lon, lat, settings.storage_srid, user)
    return await _answer(db, settings, renderers, info, fmt, lang)
