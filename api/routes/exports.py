"""Map exports: PNG snapshots of /map, PDF prints at an exact scale and atlases of sheets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, server_base
from api.limits import RenderPoolDep, WatchedReadConnDep
from api.routes.collections import ErrorBody
from api.views import SheetRequestDep, SnapshotRequestDep
from maps import atlas, pdf
from maps import export as X

router = APIRouter(tags=["Xuất bản đồ – map exports"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is malformed, out of range or outside Hanoi."},
    404: {"model": ErrorBody, "description": "Unknown district or ward."},
    503: {"model": ErrorBody, "description": "Every renderer or browser page is busy, or the map did not "
                                              "draw in time; see Retry-After."},
}


def _filename(kind: str, ext: str) -> str:
    return f"quyhoach-{kind}-{dt.datetime.now():%Y%m%d-%H%M%S}.{ext}"


@router.get("/exports/map.png", summary="PNG snapshot of a map view", responses={
    **ERRORS, 200: {"content": {"image/png": {}}}})
async def map_png(
    request: Request,
    db: WatchedReadConnDep,
    settings: SettingsDep,
    renderers: RenderPoolDep,
    req: SnapshotRequestDep,
) -> Response:
    """The /map page for a view (as of a day), rendered by headless Chromium, with its figures."""
    with renderers.slot():
        snap, caption = await db.run(X.prepare_snapshot, req, settings.storage_srid)
        # Given back before the render: the page's own requests need the pool.
        db.conn.close()
        pool = X.pool_for(request.app.state, settings)
        png = await run_in_threadpool(X.render_snapshot, pool, snap, caption,
                                      server_base(request))
    return Response(png, media_type="image/png", headers={
        "Content-Disposition": f'inline; filename="{_filename("map", "png")}"',
        "Cache-Control": "no-store"})


@router.get("/exports/map.pdf", summary="PDF print at an exact scale", responses={
    **ERRORS, 200: {"content": {"application/pdf": {}}}})
async def map_pdf(
    db: WatchedReadConnDep,
    settings: SettingsDep,
    renderers: RenderPoolDep,
    req: SheetRequestDep,
) -> Response:
    """A vector PDF sheet on the VN-2000 grid (as of a day): title block, legend, figures, grid."""
    sheet = await db.run(pdf.plan_sheet, req, settings.storage_srid)
    with renderers.slot():
        body = await db.run(pdf.render_sheet, settings, sheet)
    name = _filename(f"{sheet.layout.paper.lower()}-1-{sheet.scale}", "pdf")
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/exports/atlas.pdf", summary="PDF atlas: a district, ward or area on a grid of sheets",
            responses={**ERRORS, 200: {"content": {"application/pdf": {}}}})
async def atlas_pdf(
    db: WatchedReadConnDep,
    settings: SettingsDep,
    renderers: RenderPoolDep,
    req: SheetRequestDep,
) -> Response:
    """An index map, then one sheet per cell of a grid over the district, ward or bbox (1:2000)."""
    plan = await db.run(atlas.plan_atlas, req, settings.storage_srid)
    with renderers.slot():
        body = await db.run(atlas.render_atlas, settings, plan)
    name = _filename(f"tap-ban-do-{plan.layout.paper.lower()}-1-{plan.scale}", "pdf")
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
