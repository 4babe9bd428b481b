"""1/2000 zoning plans: import, listing, raster tiles, land-use lookup and analysis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api import auth
from api import params as P
from api.bodies import GeoJSONBody, form_body, json_request_body
from api.deps import ConnDep, ReadConnDep, SettingsDep
from api.limits import BUSY, WatchedReadConnDep
from api.routes.collections import ErrorBody
from core.errors import InvalidDataError, InvalidParameterError
from gis import georef as G
from gis.raster import tile_png
from gis.srs import VN2000, WGS84, transformer
from layers import plans, writes

router = APIRouter(tags=["Quy hoạch 1/2000 – zoning plans"])

GEOJSON = "application/geo+json"
JSON = "application/json"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is malformed."},
    404: {"model": ErrorBody, "description": "No such plan, project, parcel or red line."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in, or a bad token."},
    403: {"model": ErrorBody, "description": "A viewer, an editor outside the plan's area, or "
                                             "a browser write without its CSRF token."},
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, **WRITE_ERRORS,
    413: {"model": ErrorBody, "description": "The upload exceeds the size limit."},
    422: {"model": ErrorBody, "description": "The file cannot be read, placed or georeferenced."},
}
ANALYSIS_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, **BUSY,
    413: {"model": ErrorBody, "description": "The posted document exceeds the size limit."},
}
TILE_CACHE = "public, max-age=86400"
UPLOAD_CHUNK = 1 << 20


def _json(body: str | bytes | Any, status: int = 200, media_type: str = JSON,
          headers: dict[str, str] | None = None) -> Response:
    if not isinstance(body, str | bytes):
        body = orjson.dumps(body)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return value.strip() or None


def _number(form: FormData, name: str, kind: type, lo: float, hi: float) -> Any:
    raw = _text(form, name)
    if raw is None:
        return None
    try:
        value = kind(raw.replace(",", ".") if kind is float else raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise InvalidParameterError(f"Giá trị '{raw}' của {name} không hợp lệ ({lo:g}–{hi:g}).",
                                    f"'{raw}' is not a valid {name} ({lo:g}–{hi:g}).")
    return value


async def _save(upload: UploadFile, dest: Path) -> None:
    with open(dest, "wb") as fh:
        while chunk := await upload.read(UPLOAD_CHUNK):
            fh.write(chunk)


async def _upload_text(upload: UploadFile, what_vi: str, what_en: str) -> str:
    raw = await upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidDataError(f"{what_vi} phải là văn bản UTF-8.",
                               f"The {what_en} must be UTF-8 text.") from None


def _control_points(form: FormData, gcp_text: str | None) -> tuple[list[G.ControlPoint], int | None]:
    points: list[G.ControlPoint] = []
    crs = None
    if gcp_text is not None:
        points, crs = G.parse_control_points(gcp_text)
    for n, value in enumerate(form.getlist("gcp"), start=len(points) + 1):
        if isinstance(value, str) and value.strip():
            points.append(G.parse_gcp_option(value, n))
    return points, crs


@router.get("/plans", summary="The zoning plans", responses={200: {"content": {GEOJSON: {}}}})
def list_plans(conn: ReadConnDep) -> Response:
    """Every plan: name, decision, approval date, scale, kind and footprint (CRS84)."""
    return _json(plans.list_plans(conn), media_type=GEOJSON)


@router.post("/plans", summary="Import a plan", status_code=201, responses=UPLOAD_ERRORS,
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {
                     "file": {"type": "string", "format": "binary",
                              "description": "GeoTIFF, PNG/JPEG, DXF, GeoPackage, GeoJSON or "
                                             "zipped Shapefile."},
                     "world_file": {"type": "string", "format": "binary",
                                    "description": "World file (.pgw, .jgw, .wld, .tfw)."},
                     "gcps": {"type": "string", "format": "binary",
                              "description": "Control points: CSV pixel_x,pixel_y,x,y, JSON or "
                                             "a QGIS .points file."},
                     "gcp": {"type": "array", "items": {"type": "string"},
                             "description": "Control points as col,row,x,y."},
                     "gcp_crs": {"type": "string", "description": "CRS of the control points "
                                                                  "(EPSG:5897 by default)."},
                     "crs": {"type": "string", "description": "CRS of the file's coordinates."},
                     "order": {"type": "integer", "enum": [1, 2]},
                     "max_rms": {"type": "number", "description": "Largest RMS accepted (m)."},
                     "force": {"type": "boolean"},
                     "name": {"type": "string"}, "decision": {"type": "string"},
                     "approved_on": {"type": "string", "format": "date"},
                     "scale": {"type": "integer", "description": "Scale denominator (2000)."},
                 }}}}}})
async def create_plan(request: Request, conn: ConnDep, settings: SettingsDep,
                      user: auth.EditorDep) -> Response:
    """Import a sheet or drawing (an editor whose units cover it, or an admin); all or nothing."""
    form = await form_body(request, settings.upload_max_bytes, max_files=3, max_fields=30)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidParameterError("Thiếu tệp quy hoạch (trường 'file').",
                                        "The plan file (field 'file') is missing.")
        filename = Path(upload.filename.replace("\\", "/")).name[:200]
        suffix = plans.check_suffix(filename)
        world = form.get("world_file")
        world_text = None
        if isinstance(world, UploadFile) and world.filename:
            if not G.is_world_file(world.filename):
                raise InvalidParameterError(
                    f"'{world.filename}' không phải tệp tọa độ ảnh (.pgw, .jgw, .wld, .tfw).",
                    f"'{world.filename}' is not a world file (.pgw, .jgw, .wld, .tfw).")
            world_text = await _upload_text(world, "Tệp tọa độ ảnh", "world file")
        gcp_file = form.get("gcps")
        gcp_text = None
        if isinstance(gcp_file, UploadFile) and gcp_file.filename:
            gcp_text = await _upload_text(gcp_file, "Tệp điểm khống chế", "control-point file")
        try:
            points, points_crs = _control_points(form, gcp_text)
            crs = _text(form, "crs")
            gcp_crs = _text(form, "gcp_crs") or (G.crs_name(points_crs) if points_crs else None)
            if crs:
                G.parse_crs(crs)
            if gcp_crs:
                G.parse_crs(gcp_crs)
        except G.PlanFileError as exc:
            raise InvalidDataError(exc.message_vi, exc.message_en) from None
        meta = plans.PlanMeta(_text(form, "name"), _text(form, "decision"),
                              P.date_param(_text(form, "approved_on"), "approved_on"),
                              _number(form, "scale", int, 100, 100000) or 2000)
        force = (_text(form, "force") or "").lower() in ("1", "true", "yes", "on")
        with plans.scratch() as tmp:
            source = tmp / f"upload{suffix}"
            await _save(upload, source)
            req = plans.ImportRequest(
                source, filename, meta, crs=crs, world_file=world_text, gcps=points or None,
                gcp_crs=gcp_crs, order=_number(form, "order", int, 1, 2) or 1,
                max_rms=_number(form, "max_rms", float, 0.0, 1000.0), force=force)
            result = await run_in_threadpool(writes.import_plan, conn, settings.plan_store, req,
                                             user, auth.via(request))
    finally:
        await form.close()
    body = {**result, "plan": json.loads(plans.plan_item(conn, result["id"]))}
    return _json(body, status=201, headers={"Location": f"/plans/{result['id']}"})


def _point(lon: str | None, lat: str | None, x: str | None, y: str | None,
           crs: str | None) -> tuple[float, float, int]:
    def num(value: str, name: str) -> float:
        try:
            out = float(value)
        except ValueError:
            out = float("nan")
        if out != out or out in (float("inf"), float("-inf")):
            raise InvalidParameterError(f"{name} '{value}' không phải số.",
                                        f"{name} '{value}' is not a number.")
        return out

    if lon is not None and lat is not None and x is None and y is None:
        return num(lon, "lon"), num(lat, "lat"), WGS84
    if x is not None and y is not None and lon is None and lat is None:
        try:
            srid = G.parse_crs(crs, default=VN2000)
        except G.PlanFileError as exc:
            raise InvalidParameterError(exc.message_vi, exc.message_en) from None
        return num(x, "x"), num(y, "y"), srid
    raise InvalidParameterError(
        "Cho một điểm bằng lon và lat (WGS 84), hoặc x và y (VN-2000, hay hệ tọa độ ở crs).",
        "Give a point as lon and lat (WGS 84), or as x and y (VN-2000, or the CRS in crs).")


@router.get("/plans/lookup", summary="What is planned here", responses=ERRORS)
def lookup(
    conn: ReadConnDep,
    lon: str | None = Query(None, description="Longitude (WGS 84)."),
    lat: str | None = Query(None, description="Latitude (WGS 84)."),
    x: str | None = Query(None, description="Easting, in crs (VN-2000 by default)."),
    y: str | None = Query(None, description="Northing, in crs (VN-2000 by default)."),
    crs: str | None = Query(None, description="CRS of x and y, e.g. EPSG:5897."),
) -> Response:
    """Zone code and name, plan and decision at a point, and the nearest red line."""
    px, py, srid = _point(lon, lat, x, y, crs)
    return _json(plans.lookup(conn, px, py, srid))


def _plan_id_param(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) >= 2**31:
        raise InvalidParameterError(f"plan_id '{value}' không hợp lệ.",
                                    f"plan_id '{value}' is not valid.")
    return int(value)


@router.post("/plans/analysis", summary="Planned land use inside a polygon",
             responses=ANALYSIS_ERRORS, openapi_extra=json_request_body(
                 "GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection; CRS84 unless it "
                 "has `crs`."))
async def analyse_polygon(
    body: GeoJSONBody,
    db: WatchedReadConnDep,
    settings: SettingsDep,
    plan_id: str | None = Query(None, description="Only this plan's zones."),
) -> Response:
    """Hectares of each planned land use inside the posted polygon, per plan."""
    only = _plan_id_param(plan_id)
    area = await run_in_threadpool(plans.parse_area, body, settings.geometry_max_vertices)
    return _json(await db.run(plans.analyse, area=area, plan_id=only))


@router.get("/plans/analysis/projects/{project}", summary="Planned land use of a project",
            responses={**ERRORS, **BUSY})
async def analyse_project(db: WatchedReadConnDep, project: str,
                          plan_id: str | None = Query(None, description="Only this plan's zones.")
                          ) -> Response:
    """Hectares of each planned land use inside a clearance project (its id or code)."""
    return _json(await db.run(plans.analyse, project=project, plan_id=_plan_id_param(plan_id)))


@router.get("/plans/analysis/parcels/{parcel}", summary="Planned land use of a parcel",
            responses={**ERRORS, **BUSY})
async def analyse_parcel(db: WatchedReadConnDep, parcel: str,
                         plan_id: str | None = Query(None, description="Only this plan's zones.")
                         ) -> Response:
    """Hectares of each planned land use inside a parcel (its id or code)."""
    return _json(await db.run(plans.analyse, parcel=parcel, plan_id=_plan_id_param(plan_id)))


def _corridor_doc(corridor: Any) -> dict[str, Any]:
    to_ll = transformer(VN2000, WGS84)
    ll = shapely.transform(corridor, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
    return orjson.loads(shapely.to_geojson(shapely.set_precision(ll, 1e-7)))


def _corridor_analysis(conn: Connection, corridor: Any) -> dict[str, Any]:
    return {"corridor": _corridor_doc(corridor), **plans.corridor_parcels(conn, corridor)}


def _red_line_analysis(conn: Connection, red_line_id: int, width: float | None
                       ) -> dict[str, Any]:
    info, corridor = plans.red_line_corridor(conn, red_line_id, width)
    return {"red_line": info, **_corridor_analysis(conn, corridor)}


@router.get("/plans/analysis/red-lines/{red_line_id}", summary="Parcels in a red-line corridor",
            responses={**ERRORS, **BUSY})
async def analyse_red_line(
    db: WatchedReadConnDep,
    red_line_id: int,
    width: float | None = Query(None, description="Corridor width in metres around the line; "
                                                  "by default the land between its two sides."),
) -> Response:
    """Each parcel's area inside the corridor of a red line: what must be recovered, from whom."""
    return _json(await db.run(_red_line_analysis, red_line_id, width))


@router.post("/plans/analysis/corridor", summary="Parcels in a corridor polygon",
             responses=ANALYSIS_ERRORS,
             openapi_extra=json_request_body("The corridor as GeoJSON (CRS84 unless `crs`)."))
async def analyse_corridor(body: GeoJSONBody, db: WatchedReadConnDep, settings: SettingsDep
                           ) -> Response:
    """Each parcel's area inside a posted corridor polygon."""
    corridor = await run_in_threadpool(plans.parse_area, body, settings.geometry_max_vertices)
    return _json(await db.run(_corridor_analysis, corridor))


@router.get("/plans/{plan_id}", summary="One plan", responses=ERRORS)
def plan(conn: ReadConnDep, plan_id: int) -> Response:
    """A plan's metadata, georeference report (residuals, RMS) and land-use summary."""
    return _json(plans.plan_item(conn, plan_id), media_type=GEOJSON)


@router.delete("/plans/{plan_id}", summary="Delete a plan", status_code=204,
               responses={**ERRORS, **WRITE_ERRORS})
def delete_plan(request: Request, conn: ConnDep, settings: SettingsDep, plan_id: int,
                user: auth.EditorDep) -> Response:
    """Delete a plan (an editor whose units cover it, or an admin); the audit log keeps it."""
    writes.delete_plan(conn, settings.plan_store, plan_id, user, auth.via(request))
    return Response(status_code=204)


@router.get("/plans/{plan_id}/tiles/{z}/{x}/{y}.png", summary="Raster plan tile",
            responses={200: {"content": {"image/png": {}}}, **ERRORS})
def plan_tile(request: Request, conn: ReadConnDep, settings: SettingsDep, plan_id: int, z: int, x: int,
              y: int) -> Response:
    """An XYZ (Web Mercator) PNG tile of a raster plan, transparent outside the sheet."""
    path, etag = plans.tile_source(conn, settings.plan_store, plan_id, z, x, y)
    headers = {"ETag": etag, "Cache-Control": TILE_CACHE}
    if P.etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(tile_png(path, z, x, y), media_type="image/png", headers=headers)
