"""The web map's styles for other clients: a QGIS project and per-collection styles (OGC API – Styles)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Query, Request, Response

from api.auth import CurrentUser
from api.deps import LangDep, LayerDep, public_base, server_base
from api.routes.collections import ERRORS
from core.errors import InvalidParameterError, NotFoundError
from layers import access
from layers.registry import LAYERS
from maps import portrayal

router = APIRouter(tags=["Styles"])

STYLE_ID = "default"
STYLE_FORMATS = {"sld11": portrayal.SLD_MEDIA_TYPE, "mapbox": portrayal.MAPBOX_MEDIA_TYPE}


def _absolute_base(request: Request) -> str:
    """The public base URL; the server's own address when links would be relative."""
    base = public_base(request)
    return base if base.startswith(("http://", "https://")) else server_base(request)


def _map_order(layer_id: str) -> int:
    order = LAYERS[layer_id].catalog.map.order
    return -1 if order is None else order


@router.get("/qgis/project.qgz", summary="A QGIS project of the service's layers",
            responses={200: {"content": {portrayal.QGZ_MEDIA_TYPE: {}},
                             "description": "A zipped QGIS project."}})
def qgis_project(request: Request, lang: LangDep, user: CurrentUser) -> Response:
    """Every layer the reader may see, as OGC API – Features layers styled like the web map."""
    specs = [LAYERS[i] for i in sorted(LAYERS, key=_map_order) if access.may_read(LAYERS[i], user)]
    title = "Quy hoạch — quyhoach" if lang != "en" else "Planning — quyhoach"
    qgs = portrayal.qgis_project(specs, _absolute_base(request), lang, title)
    return Response(portrayal.qgis_archive(qgs), media_type=portrayal.QGZ_MEDIA_TYPE, headers={
        "Content-Disposition": 'attachment; filename="quyhoach.qgz"', "Cache-Control": "no-store"})


@router.get("/collections/{collection_id}/styles", summary="Styles of a collection",
            responses=ERRORS)
def styles(request: Request, spec: LayerDep, lang: LangDep) -> Response:
    """The collection's styles (one, the web map's), with a link per encoding."""
    url = f"{public_base(request)}/collections/{spec.id}/styles/{STYLE_ID}"
    return Response(orjson.dumps({
        "default": STYLE_ID,
        "styles": [{"id": STYLE_ID, "title": spec.title(lang), "links": [
            {"rel": "stylesheet", "type": media, "title": name, "href": f"{url}?f={name}"}
            for name, media in STYLE_FORMATS.items()]}],
        "links": [{"rel": "self", "type": "application/json",
                   "href": f"{public_base(request)}/collections/{spec.id}/styles"}],
    }), media_type="application/json")


@router.get("/collections/{collection_id}/styles/{style_id}", summary="One style",
            responses=ERRORS)
def style(request: Request, spec: LayerDep, lang: LangDep, style_id: str,
          f: str | None = Query(None, description="sld11 (SLD 1.1, default) or mapbox.")
          ) -> Response:
    """The collection's style as SLD 1.1 or as a Mapbox GL style."""
    if style_id != STYLE_ID:
        raise NotFoundError(f"Không có kiểu trình bày '{style_id[:40]}'; có: {STYLE_ID}.",
                            f"No style '{style_id[:40]}'; styles: {STYLE_ID}.")
    fmt = f
    if fmt is None:
        accept = request.headers.get("accept", "")
        fmt = "mapbox" if portrayal.MAPBOX_MEDIA_TYPE in accept else "sld11"
    if fmt == "sld11":
        return Response(portrayal.sld(spec, lang), media_type=portrayal.SLD_MEDIA_TYPE)
    if fmt == "mapbox":
        return Response(orjson.dumps(portrayal.mapbox_style(spec, _absolute_base(request), lang)),
                        media_type=portrayal.MAPBOX_MEDIA_TYPE)
    raise InvalidParameterError(
        f"f '{fmt[:40]}' không được hỗ trợ; dùng: {', '.join(STYLE_FORMATS)}.",
        f"Unsupported f '{fmt[:40]}'; use: {', '.join(STYLE_FORMATS)}.")
