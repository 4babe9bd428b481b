"""The semi-annual clearance report of a district: Markdown, JSON, PDF or XLSX, and its map."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection

from api.deps import LangDep, Period, PeriodDep, Place, PlaceDep, public_base
from api.limits import BUSY, RenderPoolDep, WatchedReadConnDep
from api.routes.collections import ERRORS
from core import i18n
from core.errors import InvalidParameterError
from layers.infrastructure import build_infrastructure_report, infrastructure_stats
from layers.queries import clearance_stats
from layers.reports import Report, build_report
from maps import infrastructure as INF
from maps import report as R

router = APIRouter(tags=["reports"])

REPORT_FORMATS = ("md", "json", "pdf", "xlsx")


@dataclass(frozen=True)
class ReportParams:
    """The district, ward and period a report is about, validated."""

    district: str
    ward: str | None
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date | None

    def query(self) -> dict[str, str]:
        """The same parameters as a query string dict."""
        q = {"district": self.district, "from": self.date_from.isoformat(),
             "to": self.date_to.isoformat()}
        if self.ward:
            q["ward"] = self.ward
        if self.as_of:
            q["as_of"] = self.as_of.isoformat()
        return q


def report_params(place: Place, period: Period) -> ReportParams:
    """The place and period of a report; a report names both ends of its period."""
    if period.date_from is None or period.date_to is None:
        raise InvalidParameterError("Cần cả hai ngày 'from' và 'to' (YYYY-MM-DD).",
                                    "Both 'from' and 'to' are required (YYYY-MM-DD).")
    district = place.district_or_default
    start, end = period.resolve(place.default_period)
    return ReportParams(district, place.ward, start, end, period.as_of)


def _report(conn: Connection, rp: ReportParams, lang: str, with_figure: bool) -> Report:
    return build_report(conn, rp.district, rp.date_from, rp.date_to, rp.ward, rp.as_of,
                        lang, with_figure=with_figure)


def _check_format(fmt: str) -> None:
    """A 400 for a report format that is not served."""
    if fmt not in REPORT_FORMATS:
        raise InvalidParameterError(
            f"Định dạng '{fmt}' không hỗ trợ; dùng {', '.join(REPORT_FORMATS)}.",
            f"Unsupported format '{fmt}'; use {', '.join(REPORT_FORMATS)}.")


def _file(body: str | bytes, stem: str, fmt: str) -> Response:
    """A report file: Markdown shown in the browser, the others downloaded."""
    how = "inline" if fmt == "md" else "attachment"
    return Response(body, media_type=R.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'{how}; filename="{stem}.{fmt}"'})


def _rendered(conn: Connection, rp: ReportParams, lang: str, fmt: str) -> tuple[str, bytes]:
    report = _report(conn, rp, lang, with_figure=True)
    return report.file_stem, R.render(report, fmt)


def _map_png(conn: Connection, rp: ReportParams, lang: str) -> bytes:
    report = _report(conn, rp, lang, with_figure=True)
    assert report.figure is not None
    return R.render_png(report.figure, lang=lang, place=i18n.place_label(report.stats, lang))


@router.get("/reports/clearance", summary="Semi-annual clearance report", responses={
    200: {"content": {R.MEDIA_TYPES[f]: {} for f in REPORT_FORMATS},
          "description": "The report in the requested format."}, **ERRORS, **BUSY})
async def clearance_report(
    request: Request,
    db: WatchedReadConnDep,
    renderers: RenderPoolDep,
    lang: LangDep,
    place: PlaceDep,
    period: PeriodDep,
    format: str = Query("md", description="md, json, pdf or xlsx."),
) -> Response:
    """The district's clearance report for a period, every figure computed from the data."""
    _check_format(format)
    rp = report_params(place, period)
    if format == "json":
        body = await db.run(clearance_stats, rp.district, rp.date_from, rp.date_to, rp.ward,
                            rp.as_of)
        return Response(body, media_type=R.MEDIA_TYPES["json"])
    if format == "md":  # Markdown links the figure instead of drawing it
        report = await db.run(_report, rp, lang, False)
        figure = (f"{public_base(request)}{request.app.url_path_for('clearance_report_map')}"
                  f"?{urlencode({**rp.query(), 'lang': lang})}")
        return _file(R.render_markdown(report, figure), report.file_stem, format)
    with renderers.slot():
        stem, body = await db.run(_rendered, rp, lang, format)
    return _file(body, stem, format)


@router.get("/reports/clearance/map.png", summary="The report's map figure",
            responses={**ERRORS, **BUSY})
async def clearance_report_map(
    db: WatchedReadConnDep,
    renderers: RenderPoolDep,
    lang: LangDep,
    place: PlaceDep,
    period: PeriodDep,
) -> Response:
    """The district's wards and the period's projects by status, as a PNG."""
    rp = report_params(place, period)
    with renderers.slot():
        png = await db.run(_map_png, rp, lang)
    return Response(png, media_type="image/png")


def _infrastructure(conn: Connection, rp: ReportParams, lang: str, fmt: str) -> tuple[str, bytes]:
    report = build_infrastructure_report(conn, rp.district, rp.date_from, rp.date_to, rp.ward,
                                         rp.as_of, lang)
    return report.file_stem, INF.render(report, fmt)


@router.get("/reports/infrastructure", summary="Infrastructure programme report", responses={
    200: {"content": {R.MEDIA_TYPES[f]: {} for f in REPORT_FORMATS},
          "description": "The report in the requested format."}, **ERRORS, **BUSY})
async def infrastructure_report(
    db: WatchedReadConnDep,
    renderers: RenderPoolDep,
    lang: LangDep,
    place: PlaceDep,
    period: PeriodDep,
    format: str = Query("md", description="md, json, pdf or xlsx."),
) -> Response:
    """Streets, alley lighting, public facilities, permits, green area and workshops, by target."""
    _check_format(format)
    rp = report_params(place, period)
    if format == "json":
        body = await db.run(infrastructure_stats, rp.district, rp.date_from, rp.date_to, rp.ward,
                            rp.as_of)
        return Response(body, media_type=R.MEDIA_TYPES["json"])
    if format == "md":
        stem, text = await db.run(_infrastructure, rp, lang, format)
        return _file(text, stem, format)
    with renderers.slot():
        stem, body = await db.run(_infrastructure, rp, lang, format)
    return _file(body, stem, format)
