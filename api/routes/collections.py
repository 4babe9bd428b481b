"""OGC API – Features (Parts 1 and 2, queryables of Part 3) for every planning layer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api import params as P
from api.auth import CurrentUser
from api.deps import (
    LangDep,
    LayerDep,
    ReadConnDep,
    ReaderDep,
    SettingsDep,
    public_base,
    read_conn,
)
from api.hotpath import hot
from api.routes import downloads
from core.errors import InvalidParameterError, NotFoundError
from core.settings import Settings
from gis.srs import VN2000, crs_uri, supported_crs_uris
from layers import access, cql2, editing, features
from layers.registry import LAYERS, LayerSpec

router = APIRouter(tags=["OGC API – Features"])

GEOJSON = "application/geo+json"
JSON = "application/json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    *cql2.CONFORMANCE,
    *editing.CONFORMANCE,
]
ITEMS_PARAMS = {"f", "lang", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "as_of",
                "filter", "filter-lang", "filter-crs"}


class ErrorBody(BaseModel):
    """An error: a code and a description in the reader's language (and both languages)."""

    code: str
    description: str
    description_vi: str
    description_en: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is malformed or not supported."},
    404: {"model": ErrorBody, "description": "The collection or feature does not exist."},
}


def _json(body: Any, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), media_type=media_type, headers=headers)


def collection_doc(spec: LayerSpec, base: str, lang: str, extent: dict[str, Any]) -> dict[str, Any]:
    """The description of one collection."""
    url = f"{base}/collections/{spec.id}"
    return {
        "id": spec.id,
        "title": spec.title(lang),
        "title_vi": spec.title_vi,
        "title_en": spec.title_en,
        "description": spec.description_en if lang == "en" else spec.description_vi,
        "itemType": "feature",
        "geometryType": spec.geometry_type,
        "extent": extent,
        "crs": supported_crs_uris(),
        "storageCrs": crs_uri(VN2000),
        "links": [
            {"rel": "self", "type": JSON, "href": url, "title": spec.title(lang)},
            {"rel": "items", "type": GEOJSON, "href": f"{url}/items", "title": spec.title(lang)},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "type": "application/schema+json", "href": f"{url}/queryables"},
        ],
    }


@router.get("/conformance", summary="Conformance classes")
def conformance() -> Response:
    """The conformance classes the service implements."""
    return _json({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="The planning layers")
def collections(request: Request, conn: ReadConnDep, lang: LangDep, user: CurrentUser) -> Response:
    """Every collection with its extent and CRS list."""
    base = public_base(request)
    docs = [collection_doc(s, base, lang, features.extent(conn, s)) for s in LAYERS.values()
            if access.may_read(s, user)]
    return _json({
        "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
        "crs": supported_crs_uris(),
        "collections": docs,
    })


@router.get("/collections/{collection_id}", summary="One layer", responses=ERRORS)
def collection(request: Request, spec: LayerDep, conn: ReadConnDep, lang: LangDep) -> Response:
    """Description of one collection."""
    return _json(collection_doc(spec, public_base(request), lang, features.extent(conn, spec)))


@router.get("/collections/{collection_id}/queryables", summary="Filterable attributes",
            responses=ERRORS)
def queryables(request: Request, spec: LayerDep, user: CurrentUser) -> Response:
    """The attributes a CQL2 `filter` of `/items` may name, as a JSON Schema."""
    props = cql2.queryables_schema(spec, may_read_staff=access.is_staff(user))
    return _json({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": f"{public_base(request)}/collections/{spec.id}/queryables",
        "type": "object", "title": spec.title_en, "properties": props,
        "additionalProperties": False,
    }, media_type="application/schema+json")


def _link(base_path: str, query: str, rel: str, offset: int | None = None) -> dict[str, str]:
    """A link to a page: `query` is the request's encoded query less its offset."""
    if offset is not None:
        query = f"{query}&offset={offset}" if query else f"offset={offset}"
    return {"rel": rel, "type": GEOJSON, "href": f"{base_path}?{query}" if query else base_path}


@router.get("/collections/{collection_id}/items", summary="Features of a layer",
            responses={200: {"content": {GEOJSON: {}}, "description": "A FeatureCollection."},
                       **ERRORS})
@hot
async def items(
    request: Request,
    spec: LayerDep,
    db: ReaderDep,
    settings: SettingsDep,
    user: CurrentUser,
    lang: LangDep,
    bbox: str | None = Query(None, description="minX,minY,maxX,maxY in bbox-crs (CRS84 by default)."),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox: CRS84, EPSG:4326, EPSG:3857 or EPSG:5897."),
    crs: str | None = Query(None, description="CRS of the response geometry (CRS84 by default)."),
    limit: str | None = Query(None, description="Page size (default 100; larger values are capped)."),
    offset: str | None = Query(None, description="Features to skip (paging)."),
    datetime: str | None = Query(None, description="Date or interval (YYYY-MM-DD, a/b, ../b, a/..)."),
    as_of: str | None = Query(None, description="Show the layer as it stood on this day (YYYY-MM-DD): statuses and dates from the status history (projects, parcels)."),
    filter_: str | None = Query(None, alias="filter", description="CQL2 filter over the queryables, e.g. status = 'approved' AND T_AFTER(approved_on, DATE('2022-03-01'))."),
    filter_lang: str | None = Query(None, alias="filter-lang", description="cql2-text (default) or cql2-json."),
    filter_crs: str | None = Query(None, alias="filter-crs", description="CRS of the filter's geometries: CRS84 (default), EPSG:4326, EPSG:3857 or EPSG:5897."),
) -> Response:
    """Features of a collection, filtered and paged. An attribute marked queryable in the catalogue may be given as `name=value`; every queryable (dates, measures, derived ones) through `filter`."""
    srid, lat_lon = P.crs_param(crs)
    q = features.Query(
        limit=P.limit_param(limit, settings.items_default_limit, settings.items_max_limit),
        offset=P.offset_param(offset),
        bbox=P.bbox_param(bbox, bbox_crs),
        out_srid=srid,
        lat_lon=lat_lon,
        datetime=P.datetime_param(datetime),
        equals=P.filters(spec, dict(request.query_params), ITEMS_PARAMS),
        as_of=P.date_param(as_of, "as_of"),
        reader=user,
        filter=cql2.compile_filter(spec, filter_, filter_lang, filter_crs,
                                   may_read_staff=access.is_staff(user)),
    )
    fmt = downloads.requested_format(request.query_params.get("f"), request.headers.get("accept"))
    if fmt != "geojson":
        return await run_in_threadpool(_download, request, spec, q, fmt, crs, settings, lang)
    matched, returned, feats = await features.items_async(db, spec, q)
    qs = urlencode([(k, v) for k, v in request.query_params.items() if k != "offset"])
    base = f"{public_base(request)}/collections/{spec.id}"
    path = f"{base}/items"
    links = [_link(path, qs, "self", q.offset or None),
             {"rel": "collection", "type": JSON, "href": base}]
    if q.offset + returned < matched:
        links.append(_link(path, qs, "next", q.offset + q.limit))
    if q.offset > 0:
        links.append(_link(path, qs, "prev", max(q.offset - q.limit, 0)))
    head = orjson.dumps({
        "type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
        "links": links,
    })
    body = b"".join((head[:-1], b',"features":[', feats, b"]}"))
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{crs_uri(srid)}>"})


def _download(request: Request, spec: LayerSpec, q: features.Query, fmt: str, crs: str | None,
              settings: Settings, lang: str) -> Response:
    with read_conn(request) as conn:
        return downloads.download(conn, spec, q, fmt, crs, settings, lang)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature",
            responses={200: {"content": {GEOJSON: {}}, "description": "A Feature."}, **ERRORS})
@hot
async def feature(
    request: Request,
    spec: LayerDep,
    db: ReaderDep,
    user: CurrentUser,
    feature_id: str,
    crs: str | None = Query(None, description="CRS of the response geometry (CRS84 by default)."),
) -> Response:
    """One feature by its id."""
    srid, lat_lon = P.crs_param(crs)
    P.filters(spec, dict(request.query_params), {"f", "lang", "crs"})
    found = None
    if feature_id.isascii() and feature_id.isdigit():
        fid = P.whole_number(feature_id, P.INT32_MAX)
        if fid is None:
            raise InvalidParameterError(
                f"Số hiệu đối tượng '{feature_id}' vượt quá {P.INT32_MAX}.",
                f"The feature id '{feature_id}' is beyond {P.INT32_MAX}.")
        found = await features.item_async(db, spec, fid, features.Query(
            out_srid=srid, lat_lon=lat_lon, reader=user))
    if found is None:
        raise NotFoundError(
            f"Không có đối tượng '{feature_id}' trong lớp {spec.id}.",
            f"No feature '{feature_id}' in collection {spec.id}.",
        )
    # The row version (a write anywhere changes it) names what this answer shows.
    body, tag = found
    if editing.etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    base = f"{public_base(request)}/collections/{spec.id}"
    links = orjson.dumps([
        {"rel": "self", "type": GEOJSON, "href": f"{base}/items/{feature_id}"},
        {"rel": "collection", "type": JSON, "href": base},
    ])
    return Response(b"".join((body[:-1], b',"links":', links, b"}")), media_type=GEOJSON,
                    headers={"Content-Crs": f"<{crs_uri(srid)}>", "ETag": tag})
