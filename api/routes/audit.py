"""The audit log: every write (admins), one feature's history (staff), and restoring a deletion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api import auth
from api import params as P
from api.deps import ConnDep, LayerDep, PeriodDep, SettingsDep, public_base
from api.routes.collections import ErrorBody
from core.errors import InvalidParameterError
from layers import audit

router = APIRouter(tags=["Nhật ký – audit log"])

JSON = "application/json"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is malformed."},
    401: {"model": ErrorBody, "description": "Not signed in, or a bad token."},
    403: {"model": ErrorBody, "description": "The account's role does not allow it."},
    404: {"model": ErrorBody, "description": "No such collection, feature or entry."},
}


def _id(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    number = P.whole_number(value, 2**62) if value.isascii() and value.isdigit() else None
    if number is None:
        raise InvalidParameterError(f"{name} '{value}' không phải số hợp lệ.",
                                    f"{name} '{value}' is not a valid number.")
    return number


def _json(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None
          ) -> Response:
    return Response(body, status_code=status, media_type=JSON,
                    headers={"Cache-Control": "no-store", **(headers or {})})


@router.get("/audit", summary="The audit log (admins)", responses=ERRORS)
def audit_log(
    user: auth.AdminDep,
    conn: ConnDep,
    settings: SettingsDep,
    period: PeriodDep,
    layer: str | None = Query(None, description="Only this layer (collection id, or plans)."),
    feature: str | None = Query(None, description="Only this feature id."),
    user_name: str | None = Query(None, alias="user", description="Only this account's writes."),
    limit: str | None = Query(None, description="Entries per page (default 100, at most 1000)."),
    offset: str | None = Query(None, description="Entries to skip (paging)."),
) -> Response:
    """Every write, newest first: who, when, how, which feature, before and after."""
    if period.date_from and period.date_to:
        period.resolve((period.date_from, period.date_to))
    return _json(audit.entries(
        conn, layer=layer or None, feature_id=_id(feature, "feature"),
        actor=(user_name or "").strip() or None, date_from=period.date_from,
        date_to=period.date_to,
        limit=P.limit_param(limit, 100, audit.MAX_ENTRIES), offset=P.offset_param(offset)))


@router.get("/collections/{collection_id}/items/{feature_id}/history",
            summary="The history of one feature (signed-in users)", responses=ERRORS)
def feature_history(user: auth.StaffDep, spec: LayerDep, conn: ConnDep, feature_id: str,
                    limit: str | None = Query(None, description="Entries (default 100).")
                    ) -> Response:
    """The audit entries of one feature, newest first."""
    return _json(audit.entries(conn, layer=spec.id, feature_id=_id(feature_id, "featureId"),
                               limit=P.limit_param(limit, 100, audit.MAX_ENTRIES)))


@router.post("/audit/{entry_id}/restore", summary="Restore a deleted feature (admins)",
             status_code=201, responses={
                 **ERRORS, 409: {"model": ErrorBody,
                                 "description": "The entry is not a deletion, or the feature "
                                                "exists, or cannot be put back."}})
async def restore(request: Request, user: auth.AdminDep, conn: ConnDep, settings: SettingsDep,
                  entry_id: str) -> Response:
    """Put back the feature an audit entry deleted, with its id; the restore is logged too."""
    number = _id(entry_id, "entry")
    assert number is not None

    def run() -> tuple[str, int, str]:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            layer, fid = audit.restore(conn, user, auth.via(request), number,
                                       settings.storage_srid)
            return layer, fid, audit.snapshot(conn, layer, fid) or "null"

    layer, fid, doc = await run_in_threadpool(run)
    location = f"{public_base(request)}/collections/{layer}/items/{fid}"
    body = f'{{"layer":"{layer}","id":{fid},"feature":{doc}}}'
    return _json(body, status=201, headers={"Location": location})
