"""Clearance statistics: the same figures as `quyhoach report`, from one SQL file."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response

from api.deps import PeriodDep, PlaceDep
from api.limits import BUSY, WatchedReadConnDep
from api.routes.collections import ERRORS
from layers.infrastructure import infrastructure_stats
from layers.queries import clearance_stats

router = APIRouter(tags=["statistics"])
ALL_TIME = dt.date(1900, 1, 1)  # without `from`, the figures count from the first record


@router.get("/stats/clearance", summary="Clearance progress of a district",
            responses={**ERRORS, **BUSY})
async def clearance(
    db: WatchedReadConnDep, place: PlaceDep, period: PeriodDep,
) -> Response:
    """Projects, plans approved of total, hectares recovered and compensation, by ward and status."""
    start, end = period.resolve((ALL_TIME, dt.date.today()))
    body = await db.run(clearance_stats, place.district_or_default, start, end, place.ward,
                        period.as_of)
    return Response(body, media_type="application/json")


@router.get("/stats/infrastructure", summary="Infrastructure figures of a district",
            responses={**ERRORS, **BUSY})
async def infrastructure(
    db: WatchedReadConnDep, place: PlaceDep, period: PeriodDep,
) -> Response:
    """Streets and alleys, lighting, public facilities, permits, green area and workshops."""
    start, end = period.resolve((ALL_TIME, dt.date.today()))
    body = await db.run(infrastructure_stats, place.district_or_default, start, end, place.ward,
                        period.as_of)
    return Response(body, media_type="application/json")
