"""Map exports: PNG snapshots of /map and PDF prints at an exact scale."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import LangDep, SettingsDep, server_base
from api.limits import RenderPoolDep, WatchedConnDep
from api.routes.collections import ErrorBody
from maps import export as X
from maps import pdf

router = APIRouter(tags=["Xuất bản đồ – map exports"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is malformed, out of range or outside Hanoi."},
    503: {"model": ErrorBody, "description": "Every renderer or browser page is busy, or the map did not "
                                              "draw in time; see Retry-After."},
}

LAYERS_DOC = "Comma list of the layers shown (wards, lakes, projects, parcels, civilized_streets, red_lines, red_line_markers)."


def _filename(kind: str, ext: str) -> str:
    return f"quyhoach-{kind}-{dt.datetime.now():%Y%m%d-%H%M%S}.{ext}"


@router.get("/exports/map.png", summary="PNG snapshot of a map view", responses={
    **ERRORS, 200: {"content": {"image/png": {}}}})
async def map_png(
    request: Request,
    settings: SettingsDep,
    renderers: RenderPoolDep,
    lang: LangDep,
    bbox: str | None = Query(None, description="The view: west,south,east,north (lon/lat)."),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox (EPSG:5897 for VN-2000 metres)."),
    width: str | None = Query(None, description="Image width in pixels (200–4096, default 1600)."),
    height: str | None = Query(None, description="Image height in pixels (default: the bbox's shape)."),
    layers: str | None = Query(None, description=LAYERS_DOC),
    plan: str | None = Query(None, description="Id of a 1/2000 plan shown underneath (see /plans)."),
    opacity: str | None = Query(None, description="Opacity of the plan, 0–1 (default 0.7)."),
    district: str | None = Query(None, description="District slug (default: the one in view)."),
    date_from: str | None = Query(None, alias="from", description="First day of the period (YYYY-MM-DD)."),
    date_to: str | None = Query(None, alias="to", description="Last day of the period (YYYY-MM-DD)."),
    title: str | None = Query(None, description="Caption title (default: the map's title)."),
) -> Response:
    """The /map page for a view, rendered by headless Chromium, with a caption of its figures."""

    def snapshot() -> bytes:
        # A connection of our own, closed before the render: the page's requests need the pool.
        with request.app.state.engine.connect() as conn:
            req = X.parse_snapshot(conn, bbox=bbox, bbox_crs=bbox_crs, width=width,
                                   height=height, layers=layers, district=district,
                                   date_from=date_from, date_to=date_to, plan=plan,
                                   opacity=opacity, lang=lang, title=title)
            caption = X.snapshot_caption(conn, req)
        pool = X.pool_for(request.app.state, settings)
        return X.render_snapshot(pool, req, caption, server_base(request))

    with renderers.slot():
        png = await run_in_threadpool(snapshot)
    return Response(png, media_type="image/png", headers={
        "Content-Disposition": f'inline; filename="{_filename("map", "png")}"',
        "Cache-Control": "no-store"})


@router.get("/exports/map.pdf", summary="PDF print at an exact scale", responses={
    **ERRORS, 200: {"content": {"application/pdf": {}}}})
async def map_pdf(
    db: WatchedConnDep,
    settings: SettingsDep,
    renderers: RenderPoolDep,
    lang: LangDep,
    bbox: str | None = Query(None, description="Area to print: west,south,east,north (lon/lat)."),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox (EPSG:5897 for VN-2000 metres)."),
    center: str | None = Query(None, description="Centre of the sheet as latitude,longitude."),
    scale: str | None = Query(None, description="500, 1000, 2000 or 5000 (with bbox: the largest that fits)."),
    paper: str | None = Query(None, description="A4, A3 (default) or A1."),
    orientation: str | None = Query(None, description="landscape (default) or portrait."),
    layers: str | None = Query(None, description=LAYERS_DOC),
    plan: str | None = Query(None, description="Id of a 1/2000 plan printed underneath."),
    opacity: str | None = Query(None, description="Opacity of the plan, 0–1 (default 0.7)."),
    district: str | None = Query(None, description="District slug (default: the one at the centre)."),
    date_from: str | None = Query(None, alias="from", description="First day of the period (YYYY-MM-DD)."),
    date_to: str | None = Query(None, alias="to", description="Last day of the period (YYYY-MM-DD)."),
    title: str | None = Query(None, description="Title of the sheet."),
) -> Response:
    """A vector PDF sheet on the VN-2000 grid: title block, legend, scale bar, grid, north arrow."""
    req = await db.run(pdf.parse_sheet, bbox=bbox, bbox_crs=bbox_crs, center=center,
                       scale=scale, paper=paper, orientation=orientation, layers=layers,
                       district=district, date_from=date_from, date_to=date_to, plan=plan,
                       opacity=opacity, lang=lang, title=title)
    with renderers.slot():
        body = await db.run(pdf.render_sheet, settings, req)
    name = _filename(f"{req.layout.paper.lower()}-1-{req.scale}", "pdf")
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
