"""Administrative units: the units valid on a day, and where each came from and went to."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from api import params as P
from api.deps import LangDep, ReadConnDep, SettingsDep, public_base
from api.routes.collections import ERRORS
from core import i18n
from core.errors import InvalidParameterError, NotFoundError
from layers import admin_units
from maps.units import render_succession

router = APIRouter(tags=["units"])


def _links(base: str, unit_id: str) -> list[dict[str, str]]:
    """Where a unit's own document and its figures are."""
    q = urlencode({"unit": unit_id})
    return [
        {"rel": "self", "href": f"{base}/units/{quote(unit_id)}", "type": "application/json"},
        {"rel": "stats", "href": f"{base}/stats/clearance?{q}", "type": "application/json"},
        {"rel": "report", "href": f"{base}/reports/clearance?{q}", "type": "text/markdown"},
        {"rel": "map", "href": f"{base}/map?{q}", "type": "text/html"},
    ]


def _labelled(unit: dict[str, Any], lang: str) -> dict[str, Any]:
    return {**unit, "label": i18n.unit_label(unit, lang)}


@router.get("/units", summary="Administrative units valid on a day", responses=ERRORS)
def units_on(
    request: Request,
    conn: ReadConnDep,
    lang: LangDep,
    on: str | None = Query(None, description="The day (YYYY-MM-DD); today when not given."),
    f: str = Query("json", description="json: the list; geojson: the outlines of the units "
                                       "below the city, in lon/lat."),
) -> Response:
    """Every unit valid on the day (valid_to inclusive), with links to its figures."""
    day = P.date_param(on, "on") or dt.date.today()
    if f == "geojson":
        return Response(admin_units.boundaries_geojson(conn, day),
                        media_type="application/geo+json")
    if f != "json":
        raise InvalidParameterError(f"f='{f[:20]}' không hợp lệ: json hoặc geojson.",
                                    f"f='{f[:20]}' is not valid: json or geojson.")
    base = public_base(request)
    found = [{**_labelled(u, lang), "links": _links(base, u["id"])}
             for u in admin_units.units_on(conn, day)]
    return Response(orjson.dumps({"on": day, "units": found}), media_type="application/json")


def _unit(conn: Connection, unit_id: str) -> admin_units.Unit:
    """The unit of an id, or a 404 saying where the units are listed."""
    found = admin_units.get_unit(conn, unit_id)
    if found is None:
        raise NotFoundError(i18n.phrase(i18n.UNIT_WORDS, "unknown", "vi", id=unit_id[:80]),
                            i18n.phrase(i18n.UNIT_WORDS, "unknown", "en", id=unit_id[:80]))
    return found


@router.get("/units/{unit_id}", summary="One administrative unit and its succession",
            responses=ERRORS)
def unit(request: Request, conn: ReadConnDep, lang: LangDep, unit_id: str) -> Response:
    """The unit, the units it came from and went to, and the shares of area between them."""
    found = _unit(conn, unit_id)
    history = admin_units.succession(conn, unit_id)
    body = {
        **_labelled(found.as_dict(), lang),
        "predecessors": [_labelled(u, lang) for u in history["predecessors"]],
        "successors": [_labelled(u, lang) for u in history["successors"]],
        "links": _links(public_base(request), unit_id),
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/units/{unit_id}/succession", response_class=HTMLResponse, responses=ERRORS,
            summary="Where a unit came from and went to, as a page")
def succession_page(request: Request, conn: ReadConnDep, settings: SettingsDep, lang: LangDep,
                    unit_id: str) -> HTMLResponse:
    """The unit's predecessors and successors with the shares of area, drawn on a small map."""
    unit = _unit(conn, unit_id)
    return HTMLResponse(render_succession(
        conn, unit, lang, base_url=request.scope.get("root_path", ""),
        basemap_url=settings.basemap_url, basemap_attribution=settings.basemap_attribution))
