"""The clearance dashboard (/dashboard): charts and a project table drawn from /stats/clearance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import LangDep, PeriodDep, PlaceDep, ReadConnDep
from api.routes.collections import ERRORS
from layers import units
from maps import units as unit_views
from maps.dashboard import DashboardView, render_dashboard

router = APIRouter(tags=["maps"])


@router.get("/dashboard", response_class=HTMLResponse, summary="Clearance dashboard",
            responses=ERRORS)
def dashboard(
    request: Request, conn: ReadConnDep, lang: LangDep, place: PlaceDep, period: PeriodDep,
) -> HTMLResponse:
    """Charts by month, ward and funding, and the project table, for a district and period."""
    district = place.district_or_default
    start, end = period.resolve(place.default_period)
    unit = unit_views.selected_unit(conn, district, place.ward)
    view = DashboardView(district, place.ward, start, end, period.as_of, lang, unit)
    return HTMLResponse(render_dashboard(view, units.wards_by_district(conn),
                                         base_url=request.scope.get("root_path", ""),
                                         units=unit_views.controls_config(conn, unit, lang)))
