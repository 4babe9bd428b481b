"""OGC API – Tiles (vector): tilesets, WebMercatorQuad metadata, TileJSON and MVT tiles.

Tile URLs carry the layer's data version (`?v=`): a URL with the current version is immutable
and cached for a year; any other URL revalidates against an ETag that changes with the data.
The tileset documents compute the layer's bounds once per data version.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from api.deps import LangDep, LayerDep, ReadConnDep, ReaderDep, public_base
from api.hotpath import hot
from api.params import etag_matches, whole_number
from api.routes.collections import ERRORS
from core.errors import InvalidParameterError, NotFoundError
from layers import cql2, tiles
from layers.registry import LayerSpec

router = APIRouter(tags=["OGC API – Tiles"])

MVT = "application/vnd.mapbox-vector-tile"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MERCATOR_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
ORIGIN = 20037508.3427892
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


def _tms_doc() -> dict[str, Any]:
    matrices = []
    for z in range(tiles.MAX_ZOOM + 1):
        cell = 2 * ORIGIN / (256 * 2**z)
        matrices.append({
            "id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": [-ORIGIN, ORIGIN],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2**z, "matrixHeight": 2**z,
        })
    return {"id": "WebMercatorQuad", "title": "Google Maps Compatible for the World",
            "uri": TMS_URI, "crs": MERCATOR_URI, "orderedAxes": ["X", "Y"], "tileMatrices": matrices}


@router.get("/tileMatrixSets", summary="Tiling schemes")
def tile_matrix_sets(request: Request) -> Response:
    """The tiling schemes the service uses."""
    href = f"{public_base(request)}/tileMatrixSets/WebMercatorQuad"
    return Response(orjson.dumps({"tileMatrixSets": [{
        "id": "WebMercatorQuad", "title": "Google Maps Compatible for the World", "uri": TMS_URI,
        "links": [{"rel": "self", "type": "application/json", "href": href}]}]}),
        media_type="application/json")


@router.get("/tileMatrixSets/WebMercatorQuad", summary="WebMercatorQuad definition")
def web_mercator_quad() -> Response:
    """The WebMercatorQuad tile matrix set."""
    return Response(orjson.dumps(_tms_doc()), media_type="application/json")


def _tile_template(request: Request, layer_id: str, version: int) -> str:
    return (f"{public_base(request)}/collections/{layer_id}/tiles/WebMercatorQuad/"
            f"{{tileMatrix}}/{{tileRow}}/{{tileCol}}?v={version}")


@router.get("/collections/{collection_id}/tiles", summary="Vector tilesets of a layer",
            responses=ERRORS)
def tilesets(request: Request, spec: LayerDep, conn: ReadConnDep, lang: LangDep) -> Response:
    """The tilesets of a collection (one: WebMercatorQuad)."""
    base = f"{public_base(request)}/collections/{spec.id}/tiles"
    version = tiles.version(conn, spec)
    return Response(orjson.dumps({"tilesets": [{
        "title": spec.title(lang), "dataType": "vector", "crs": MERCATOR_URI,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}/WebMercatorQuad"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json", "href": f"{public_base(request)}/tileMatrixSets/WebMercatorQuad"},
            {"rel": "item", "type": MVT, "templated": True,
             "href": _tile_template(request, spec.id, version)},
        ]}]}), media_type="application/json")


@router.get("/collections/{collection_id}/tiles/WebMercatorQuad",
            summary="Vector tileset metadata", responses=ERRORS)
def tileset(request: Request, spec: LayerDep, conn: ReadConnDep, lang: LangDep) -> Response:
    """Metadata of the WebMercatorQuad tileset, with the versioned tile URL template."""
    version, ext = tiles.versioned_bounds(conn, spec)
    base = f"{public_base(request)}/collections/{spec.id}/tiles/WebMercatorQuad"
    return Response(orjson.dumps({
        "title": spec.title(lang), "dataType": "vector", "crs": MERCATOR_URI,
        "tileMatrixSetURI": TMS_URI, "dataVersion": version,
        "boundingBox": {"lowerLeft": ext[:2], "upperRight": ext[2:],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "tileMatrixSetLimits": [{"tileMatrix": str(z)} for z in range(spec.min_zoom, tiles.MAX_ZOOM + 1)],
        "layers": [{"id": spec.id, "dataType": "vector", "geometryType": spec.geometry_type.lower(),
                    "minTileMatrix": str(spec.min_zoom), "maxTileMatrix": str(tiles.MAX_ZOOM)}],
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
             "type": "application/json", "href": f"{public_base(request)}/tileMatrixSets/WebMercatorQuad"},
            {"rel": "item", "type": MVT, "templated": True,
             "href": _tile_template(request, spec.id, version)},
            {"rel": "describedby", "type": "application/json", "href": f"{base}/tilejson.json"},
        ],
    }), media_type="application/json")


@router.get("/collections/{collection_id}/tiles/WebMercatorQuad/tilejson.json",
            summary="TileJSON for web clients", responses=ERRORS)
def tilejson(request: Request, spec: LayerDep, conn: ReadConnDep, lang: LangDep) -> Response:
    """TileJSON 3.0 of the layer's vector tiles."""
    version, ext = tiles.versioned_bounds(conn, spec)
    url = (f"{public_base(request)}/collections/{spec.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
           f"?v={version}")
    center = [(ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2, max(spec.min_zoom, 13)]
    return Response(orjson.dumps({
        "tilejson": "3.0.0", "name": spec.id, "description": spec.title(lang), "scheme": "xyz",
        "tiles": [url], "minzoom": spec.min_zoom, "maxzoom": tiles.MAX_ZOOM, "bounds": ext,
        "center": center, "version": str(version),
        "vector_layers": [{"id": spec.id, "description": spec.title(lang),
                           "minzoom": spec.min_zoom, "maxzoom": tiles.MAX_ZOOM,
                           "fields": {c: _field_title(spec, c) for c in spec.tile_columns}}],
    }), media_type="application/json")


def _field_title(spec: LayerSpec, column: str) -> str:
    q = spec.queryable(column)
    return q.title if q is not None else column


def _int(value: str, name: str) -> int:
    n = whole_number(value)
    if n is None:
        raise InvalidParameterError(f"{name} '{value}' phải là số nguyên không âm.",
                                    f"{name} '{value}' must be a non-negative integer.")
    return n


@router.get("/collections/{collection_id}/tiles/WebMercatorQuad/{tile_matrix}/{tile_row}/{tile_col}",
            summary="A vector tile (z/y/x)",
            responses={200: {"content": {MVT: {}}, "description": "A Mapbox Vector Tile."}, **ERRORS})
@hot
async def vector_tile(request: Request, spec: LayerDep, db: ReaderDep, tile_matrix: str, tile_row: str,
                tile_col: str,
                filter_: str | None = Query(None, alias="filter", description="CQL2 filter of the features drawn (as on /items)."),
                filter_lang: str | None = Query(None, alias="filter-lang", description="cql2-text (default) or cql2-json."),
                filter_crs: str | None = Query(None, alias="filter-crs", description="CRS of the filter's geometries (CRS84 by default).")) -> Response:
    """One Mapbox Vector Tile; an empty area is an empty (zero-byte) tile."""
    z, y, x = _int(tile_matrix, "tileMatrix"), _int(tile_row, "tileRow"), _int(tile_col, "tileCol")
    flt = cql2.compile_filter(spec, filter_, filter_lang, filter_crs, may_read_staff=False)
    if z > tiles.MAX_ZOOM or x >= 2**z or y >= 2**z:
        raise NotFoundError(
            f"Ô lưới {z}/{y}/{x} nằm ngoài lưới WebMercatorQuad.",
            f"Tile {z}/{y}/{x} is outside the WebMercatorQuad tile matrix.",
        )
    inm = request.headers.get("if-none-match")
    if inm:
        version = await tiles.version_async(db, spec)
        etag = _etag(spec, version, z, y, x, flt)
        if etag_matches(inm, etag):
            return Response(status_code=304, headers=_cache_headers(request, version, etag))
    version, body = await tiles.tile_async(db, spec, z, x, y, flt)
    etag = _etag(spec, version, z, y, x, flt)
    return Response(body, media_type=MVT, headers=_cache_headers(request, version, etag))


def _etag(spec: LayerSpec, version: int, z: int, y: int, x: int,
          flt: cql2.Filter | None = None) -> str:
    # Weak: the same tile goes out gzip-, brotli- or un-encoded, and a 304 (sent before any
    # body is made) must carry the validator the client holds, whichever encoding it got.
    # The tiles' make-up is part of it: tiles cached before a change of columns are replaced.
    where = f".{flt.digest}" if flt else ""
    return f'W/"{spec.id}.{version}.{z}.{y}.{x}.{tiles.tile_format(spec)}{where}"'


def _cache_headers(request: Request, version: int, etag: str) -> dict[str, str]:
    current = request.query_params.get("v") == str(version)
    return {"ETag": etag, "Cache-Control": IMMUTABLE if current else REVALIDATE}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the WebMercatorQuad tile holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
