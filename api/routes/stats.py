"""Clearance statistics: the same figures as `quyhoach report`, from one SQL file."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Response

from api import params as P
from api.errors import InvalidParameterError
from api.limits import BUSY, WatchedConnDep
from api.routes.collections import ERRORS
from layers.queries import clearance_stats

router = APIRouter(tags=["statistics"])


@router.get("/stats/clearance", summary="Clearance progress of a district",
            responses={**ERRORS, **BUSY})
async def clearance(
    db: WatchedConnDep,
    district: str = Query("long-bien", description="District slug, e.g. long-bien, hai-ba-trung."),
    ward: str | None = Query(None, description="Restrict to one ward (its name)."),
    date_from: str | None = Query(None, alias="from", description="First day (YYYY-MM-DD)."),
    date_to: str | None = Query(None, alias="to", description="Last day (YYYY-MM-DD)."),
    as_of: str | None = Query(None, description="The figures as the status history stood on this day (YYYY-MM-DD)."),
) -> Response:
    """Projects, plans approved of total, hectares recovered and compensation, by ward and status."""
    start = P.date_param(date_from, "from") or dt.date(1900, 1, 1)
    end = P.date_param(date_to, "to") or dt.date.today()
    if end < start:
        raise InvalidParameterError("Ngày 'to' đứng trước ngày 'from'.", "'to' is before 'from'.")
    day = P.date_param(as_of, "as_of")
    body = await db.run(clearance_stats, district, start, end, ward or None, day)
    return Response(body, media_type="application/json")
