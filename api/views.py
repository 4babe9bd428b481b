"""The typed requests of the map exports, built from their query strings.

The district, ward, period and as-of day come from the shared `PlaceDep` and `PeriodDep`; the
rest of the strings are parsed here, and maps.export / maps.pdf check the typed values (sizes,
scales, papers, Hanoi's extent) for the API and the command line alike.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, Query

from api import params as P
from api.deps import LangDep, Period, PeriodDep, Place, PlaceDep
from core.errors import InvalidParameterError
from layers.units import DEFAULT_DISTRICT
from maps import export as X
from maps import pdf, styles

LAYERS_DOC = ("Comma list of the layers shown (wards, lakes, projects, parcels, civilized_streets, "
              "red_lines, red_line_markers).")


def pixels_param(value: str | None, name: str) -> int | None:
    """An image side as a whole number of pixels (its range is checked by maps.export)."""
    if value is None or value.strip() == "":
        return None
    n = P.whole_number(value.strip(), P.INT32_MAX)
    if n is None:
        raise InvalidParameterError(
            f"{name} '{value}' phải là số điểm ảnh nguyên từ {X.MIN_PX} đến {X.MAX_PX}.",
            f"{name} '{value}' must be a whole number of pixels from {X.MIN_PX} to {X.MAX_PX}.")
    return n


def opacity_param(value: str | None) -> float | None:
    """The plan's opacity, a number from 0 to 1."""
    if value is None or value.strip() == "":
        return None
    try:
        alpha = float(value)
    except ValueError:
        alpha = math.nan
    if not 0.0 <= alpha <= 1.0:
        raise InvalidParameterError(f"opacity '{value}' phải là số từ 0 đến 1.",
                                    f"opacity '{value}' must be a number from 0 to 1.")
    return alpha


def plan_param(value: str | None) -> int | None:
    """The id of a plan (see /plans)."""
    if value is None or value.strip() == "":
        return None
    n = P.whole_number(value.strip())
    if n is None:
        raise InvalidParameterError(f"plan '{value}' phải là số hiệu quy hoạch (số nguyên).",
                                    f"plan '{value}' must be a plan id (an integer).")
    return n


def scale_param(value: str | None) -> int | None:
    """A scale as its denominator, written 2000, 1:2000 or 1/2000 (which ones print: maps.pdf)."""
    if value is None or value.strip() == "":
        return None
    raw = value.strip().replace(" ", "")
    for prefix in ("1:", "1/"):
        if raw.startswith(prefix):
            raw = raw[len(prefix):]
    n = P.whole_number(raw, P.INT32_MAX)
    if n is None:
        listed = ", ".join(f"1:{s}" for s in pdf.SCALES)
        raise InvalidParameterError(f"Tỷ lệ '{value}' không được hỗ trợ; chọn: {listed}.",
                                    f"Scale '{value}' is not supported; choose: {listed}.")
    return n


def content_request(place: Place, period: Period, lang: str, *, layers: str | None,
                    plan: str | None, opacity: str | None, title: str | None
                    ) -> X.ContentRequest:
    """What an export shows beyond where; the district is left to the view when not asked."""
    # A ward named without its district is one of the default district's (as PlaceDep checks).
    district = place.district or (DEFAULT_DISTRICT if place.ward else None)
    return X.ContentRequest(
        layers=P.layers_param(layers, styles.MAP_LAYERS, styles.OPENING_LAYERS), district=district, ward=place.ward,
        date_from=period.date_from, date_to=period.date_to, as_of=period.as_of,
        plan=plan_param(plan), opacity=opacity_param(opacity), lang=lang, title=title)


def snapshot_request(content: X.ContentRequest, *, bbox: str | None, bbox_crs: str | None,
                     width: str | None, height: str | None) -> X.SnapshotRequest:
    """The typed request of a PNG snapshot."""
    box = P.bbox_param(bbox, bbox_crs)
    if box is None:
        raise InvalidParameterError(
            "Thiếu bbox: tây,nam,đông,bắc theo kinh độ, vĩ độ (ví dụ 105.88,21.02,105.92,21.05).",
            "bbox is missing: west,south,east,north in longitude, latitude "
            "(for example 105.88,21.02,105.92,21.05).")
    return X.SnapshotRequest(box, pixels_param(width, "width"), pixels_param(height, "height"),
                             content)


def sheet_request(content: X.ContentRequest, *, bbox: str | None, bbox_crs: str | None,
                  center: str | None, scale: str | None, paper: str | None,
                  orientation: str | None) -> pdf.SheetRequest:
    """The typed request of a PDF print."""
    return pdf.SheetRequest(
        bbox=P.bbox_param(bbox, bbox_crs), center=P.center_param(center),
        scale=scale_param(scale), paper=(paper or "").strip() or "A3",
        orientation=(orientation or "").strip() or "landscape", content=content)


def get_content_request(
    place: PlaceDep,
    period: PeriodDep,
    lang: LangDep,
    layers: str | None = Query(None, description=LAYERS_DOC),
    plan: str | None = Query(None, description="Id of a 1/2000 plan shown underneath (see /plans)."),
    opacity: str | None = Query(None, description="Opacity of the plan, 0–1 (default 0.7)."),
    title: str | None = Query(None, description="Title of the export (default: the map's title)."),
) -> X.ContentRequest:
    """What an export shows, from a query string (400 with a bilingual message otherwise)."""
    return content_request(place, period, lang, layers=layers, plan=plan, opacity=opacity,
                           title=title)


ContentRequestDep = Annotated[X.ContentRequest, Depends(get_content_request)]


def get_snapshot_request(
    content: ContentRequestDep,
    bbox: str | None = Query(None, description="The view: west,south,east,north (lon/lat)."),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox (EPSG:5897 for VN-2000 metres)."),
    width: str | None = Query(None, description="Image width in pixels (200–4096, default 1600)."),
    height: str | None = Query(None, description="Image height in pixels (default: the bbox's shape)."),
) -> X.SnapshotRequest:
    """The snapshot request of a query string."""
    return snapshot_request(content, bbox=bbox, bbox_crs=bbox_crs, width=width, height=height)


def get_sheet_request(
    content: ContentRequestDep,
    bbox: str | None = Query(None, description="Area to print: west,south,east,north (lon/lat)."),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description="CRS of bbox (EPSG:5897 for VN-2000 metres)."),
    center: str | None = Query(None, description="Centre of the sheet as latitude,longitude."),
    scale: str | None = Query(None, description="500, 1000, 2000, 5000, 10000, 25000 or 50000 "
                              "(without: the largest that fits the bbox, or the district or ward)."),
    paper: str | None = Query(None, description="A4, A3 (default), A2, A1 or A0."),
    orientation: str | None = Query(None, description="landscape (default) or portrait."),
) -> pdf.SheetRequest:
    """The print request of a query string."""
    return sheet_request(content, bbox=bbox, bbox_crs=bbox_crs, center=center, scale=scale,
                         paper=paper, orientation=orientation)


SnapshotRequestDep = Annotated[X.SnapshotRequest, Depends(get_snapshot_request)]
SheetRequestDep = Annotated[pdf.SheetRequest, Depends(get_sheet_request)]
