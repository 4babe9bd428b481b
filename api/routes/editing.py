"""OGC API – Features Part 4: create, replace, update (JSON Merge Patch) and delete features.

Every write needs an editor whose scope holds the feature (before and after) or an admin;
replacing, patching and deleting name the version they change with `If-Match` (428 without it,
412 with the current ETag when it is stale). Bodies are CRS84 unless `Content-Crs` says
otherwise. The answer carries the feature as it is now, with its new ETag.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from api import auth
from api import params as P
from api.bodies import read_body
from api.deps import ConnDep, LayerDep, SettingsDep, public_base
from api.routes.collections import ErrorBody
from core.errors import InvalidParameterError, NotFoundError
from core.settings import Settings
from gis.srs import WGS84, crs_uri
from layers import access, editing, features
from layers.accounts import User
from layers.registry import LayerSpec

router = APIRouter(tags=["OGC API – Features – Part 4"])

GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Malformed JSON, or an unsupported Content-Crs."),
    401: _error("Not signed in, or an expired or revoked token."),
    403: _error("The account may not write here (role, scope, or a missing CSRF token)."),
    404: _error("No such collection or feature."),
    409: _error("The write contradicts the data (a plan moving backwards, a key taken)."),
    413: _error("The body is over the size limit."),
    422: _error("An attribute or the geometry is not acceptable; the message says which."),
}
VERSIONED_ERRORS: dict[int | str, dict[str, Any]] = {
    **COMMON_ERRORS,
    412: _error("If-Match names a version that is no longer current (the ETag header gives "
                "the current one)."),
    428: _error("If-Match is missing."),
}
FEATURE_SCHEMA = {"type": "object", "required": ["type", "geometry"], "properties": {
    "type": {"type": "string", "enum": ["Feature"]},
    "geometry": {"type": "object"}, "properties": {"type": "object"}}}
PATCH_SCHEMA = {"type": "object", "properties": {
    "geometry": {"type": "object"}, "properties": {"type": "object"}}}
CONTENT_CRS = "Content-Crs"
CONTENT_CRS_DOC = ("CRS of the body's coordinates, e.g. <http://www.opengis.net/def/crs/EPSG/0/"
                   "5897> (CRS84 without it).")


def _body(schema: dict[str, Any], *types: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {t: {"schema": schema} for t in types}}}


def _feature_id(value: str) -> int:
    number = P.whole_number(value, P.INT32_MAX) if value.isascii() and value.isdigit() else None
    if number is None:
        raise NotFoundError(f"Không có đối tượng '{value[:40]}'.", f"No feature '{value[:40]}'.")
    return number


def _writer(user: User | None) -> User:
    return access.require_writer(user)


async def _document(request: Request, settings: Settings) -> dict[str, Any]:
    return editing.parse_json(await read_body(request, settings.body_max_bytes))


def _answer(conn: Any, request: Request, spec: LayerSpec, user: User, written: Any,
            status: int) -> Response:
    found = features.item(conn, spec, written.id, features.Query(out_srid=WGS84, reader=user))
    url = f"{public_base(request)}/collections/{spec.id}/items/{written.id}"
    headers = {"ETag": written.etag, "Content-Crs": f"<{crs_uri(WGS84)}>",
               "Cache-Control": "no-store"}
    if status == 201:
        headers["Location"] = url
    return Response((found or "null").encode(), status_code=status, media_type=GEOJSON,
                    headers=headers)


@router.post("/collections/{collection_id}/items", summary="Add a feature", status_code=201,
             responses={201: {"content": {GEOJSON: {}}, "description": "The new feature; its "
                              "URL in Location, its version in ETag."}, **COMMON_ERRORS},
             openapi_extra=_body(FEATURE_SCHEMA, GEOJSON, "application/json"))
async def create_feature(request: Request, spec: LayerDep, conn: ConnDep, settings: SettingsDep,
                         user: auth.CurrentUser,
                         content_crs: str | None = Header(None, alias=CONTENT_CRS,
                                                          description=CONTENT_CRS_DOC)
                         ) -> Response:
    """Add a feature (a GeoJSON Feature); the server gives its id."""
    writer = _writer(user)
    editing.editable(spec)
    srid, lat_lon = editing.content_crs(content_crs)
    doc = await _document(request, settings)

    def run() -> Response:
        written = editing.create(conn, spec, writer, auth.via(request), doc, srid, lat_lon,
                                 settings.storage_srid, settings.geometry_max_vertices)
        return _answer(conn, request, spec, writer, written, 201)

    return await run_in_threadpool(run)


@router.put("/collections/{collection_id}/items/{feature_id}", summary="Replace a feature",
            responses={200: {"content": {GEOJSON: {}}, "description": "The feature now."},
                       **VERSIONED_ERRORS},
            openapi_extra=_body(FEATURE_SCHEMA, GEOJSON, "application/json"))
async def replace_feature(request: Request, spec: LayerDep, conn: ConnDep,
                          settings: SettingsDep, user: auth.CurrentUser, feature_id: str,
                          if_match: str | None = Header(None, alias="If-Match",
                                                        description="The ETag read."),
                          content_crs: str | None = Header(None, alias=CONTENT_CRS,
                                                           description=CONTENT_CRS_DOC)
                          ) -> Response:
    """Replace a feature's attributes and geometry; `If-Match` names the version read."""
    writer = _writer(user)
    editing.editable(spec)
    fid = _feature_id(feature_id)
    srid, lat_lon = editing.content_crs(content_crs)
    doc = await _document(request, settings)

    def run() -> Response:
        written = editing.replace(conn, spec, writer, auth.via(request), fid, doc, if_match,
                                  srid, lat_lon, settings.storage_srid,
                                  settings.geometry_max_vertices)
        return _answer(conn, request, spec, writer, written, 200)

    return await run_in_threadpool(run)


@router.patch("/collections/{collection_id}/items/{feature_id}",
              summary="Change a feature (JSON Merge Patch)",
              responses={200: {"content": {GEOJSON: {}}, "description": "The feature now."},
                         **VERSIONED_ERRORS},
              openapi_extra=_body(PATCH_SCHEMA, MERGE_PATCH, "application/json"))
async def patch_feature(request: Request, spec: LayerDep, conn: ConnDep, settings: SettingsDep,
                        user: auth.CurrentUser, feature_id: str,
                        if_match: str | None = Header(None, alias="If-Match",
                                                      description="The ETag read."),
                        content_crs: str | None = Header(None, alias=CONTENT_CRS,
                                                         description=CONTENT_CRS_DOC)
                        ) -> Response:
    """Change the given attributes (null clears one) and, if given, the geometry."""
    writer = _writer(user)
    editing.editable(spec)
    fid = _feature_id(feature_id)
    kind = request.headers.get("content-type", MERGE_PATCH).split(";")[0].strip().lower()
    if kind not in (MERGE_PATCH, "application/json", GEOJSON):
        raise InvalidParameterError(f"PATCH nhận {MERGE_PATCH}, không nhận '{kind[:60]}'.",
                                    f"PATCH takes {MERGE_PATCH}, not '{kind[:60]}'.")
    srid, lat_lon = editing.content_crs(content_crs)
    doc = await _document(request, settings)

    def run() -> Response:
        written = editing.merge_patch(conn, spec, writer, auth.via(request), fid, doc, if_match,
                                      srid, lat_lon, settings.storage_srid,
                                      settings.geometry_max_vertices)
        return _answer(conn, request, spec, writer, written, 200)

    return await run_in_threadpool(run)


@router.delete("/collections/{collection_id}/items/{feature_id}", summary="Delete a feature",
               status_code=204, responses={204: {"description": "Deleted (kept in the audit "
                                                 "log, from which an admin can restore it)."},
                                           **VERSIONED_ERRORS})
async def delete_feature(request: Request, spec: LayerDep, conn: ConnDep,
                         user: auth.CurrentUser, feature_id: str,
                         if_match: str | None = Header(None, alias="If-Match",
                                                       description="The ETag read.")
                         ) -> Response:
    """Delete a feature; `If-Match` names the version read."""
    writer = _writer(user)
    editing.editable(spec)
    fid = _feature_id(feature_id)
    await run_in_threadpool(editing.delete, conn, spec, writer, auth.via(request), fid, if_match)
    return Response(status_code=204)
