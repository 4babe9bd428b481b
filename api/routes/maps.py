"""The interactive clearance map (/map) and the browser files it loads (/static)."""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from api import params as P
from api.deps import LangDep, PeriodDep, PlaceDep, ReadConnDep, SettingsDep
from api.routes.collections import ERRORS
from api.security import csp_nonce
from core.errors import NotFoundError
from maps import styles
from maps.build import MapView, build_map, render_map, static_path

router = APIRouter(tags=["maps"])

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}
_TILE_ROUTE = re.compile(r"^/collections/\{[^}]+\}/tiles/.*\{")


def serves_vector_tiles(app: FastAPI) -> bool:
    """Whether the app serves the collections' vector tiles (read from its OpenAPI paths)."""
    return any(_TILE_ROUTE.match(path) for path in app.openapi().get("paths", {}))


@router.get("/map", response_class=HTMLResponse, summary="Interactive clearance map",
            responses=ERRORS)
def clearance_map(
    request: Request,
    conn: ReadConnDep,
    settings: SettingsDep,
    lang: LangDep,
    place: PlaceDep,
    period: PeriodDep,
    layers: str | None = Query(None, description="Comma list of the layers shown, e.g. wards,projects."),
    center: str | None = Query(None, description="Initial centre as latitude,longitude."),
    zoom: str | None = Query(None, description="Initial zoom level (0–22)."),
    bbox: str | None = Query(None, description="Initial view as west,south,east,north (lon/lat)."),
) -> HTMLResponse:
    """The clearance map of a district; the page fetches the layers in view from this service."""
    district = place.district_or_default
    start, end = period.resolve(place.default_period)
    box = P.bbox_param(bbox, None)
    view = MapView(
        district=district, ward=place.ward, date_from=start, date_to=end, as_of=period.as_of,
        layers=P.layers_param(layers, styles.MAP_LAYERS, styles.OPENING_LAYERS), lang=lang,
        center=P.center_param(center), zoom=P.zoom_param(zoom),
        bbox=None if box is None else (box.xmin, box.ymin, box.xmax, box.ymax),
    )
    fmap = build_map(conn, settings, view, base_url=request.scope.get("root_path", ""),
                     vector_tiles=serves_vector_tiles(request.app))
    return HTMLResponse(render_map(fmap, nonce=csp_nonce(request)))


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> FileResponse:
    """A browser library file or one of the map's own scripts and stylesheets."""
    found = static_path(path)
    if found is None:
        raise NotFoundError(f"Không có tệp '{path}'.", f"No file '{path}'.")
    own = path.startswith("maps/")
    return FileResponse(
        found, media_type=MEDIA_TYPES.get(found.suffix),
        headers={"Cache-Control": "no-cache" if own else "public, max-age=604800"},
    )
