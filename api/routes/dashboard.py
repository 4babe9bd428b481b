"""The clearance dashboard (/dashboard): charts and a project table drawn from /stats/clearance."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text

from api import params as P
from api.deps import ConnDep, LangDep
from api.routes.collections import ERRORS
from core import i18n
from core.errors import InvalidParameterError
from maps.build import DEFAULT_PERIODS, MAPS_DIR, parse_view

router = APIRouter(tags=["maps"])

# Words of the dashboard, (Vietnamese, English).
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Tiến độ giải phóng mặt bằng — quận {district}",
              "Site-clearance progress — {district} district"),
    "district": ("Quận", "District"),
    "ward": ("Phường", "Ward"),
    "all_wards": ("Tất cả các phường", "All wards"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "as_of": ("Tình trạng đến ngày", "State as of"),
    "as_of_now": ("theo số liệu hiện tại", "as recorded today"),
    "today": ("Hiện tại", "Today"),
    "apply": ("Xem", "Show"),
    "loading": ("Đang tải…", "Loading…"),
    "failed": ("Không tải được số liệu.", "Could not load the figures."),
    "projects": ("Dự án triển khai", "Projects carried out"),
    "projects_detail": ("{budget} vốn ngân sách, {non_budget} ngoài ngân sách",
                        "{budget} budget-funded, {non_budget} non-budget"),
    "plans": ("Phương án đã phê duyệt", "Plans approved"),
    "recovered": ("Diện tích đã thu hồi", "Land recovered"),
    "compensation": ("Kinh phí bồi thường, hỗ trợ", "Compensation and support"),
    "ahead": ("Dự án vượt tiến độ", "Ahead of schedule"),
    "billion": ("tỷ đồng", "billion VND"),
    "chart_month": ("Lũy kế theo tháng", "Cumulative by month"),
    "chart_ward": ("Theo phường", "By ward"),
    "chart_funding": ("Theo nguồn vốn", "By funding"),
    "approved_cumulative": ("Phương án đã phê duyệt (lũy kế)", "Plans approved (cumulative)"),
    "recovered_cumulative": ("Diện tích thu hồi, ha (lũy kế)", "Land recovered, ha (cumulative)"),
    "recovered_ha": ("Diện tích thu hồi (ha)", "Land recovered (ha)"),
    "plans_approved": ("Phương án đã phê duyệt", "Plans approved"),
    "n_projects": ("Số dự án", "Projects"),
    "table": ("Danh sách dự án", "Projects"),
    "search": ("Tìm mã, tên dự án, phường…", "Search code, name, ward…"),
    "any_funding": ("Mọi nguồn vốn", "Any funding"),
    "any_status": ("Mọi trạng thái", "Any status"),
    "key_only": ("Trọng điểm", "Key projects"),
    "complaints_only": ("Có đơn thư", "With complaints"),
    "shown": ("Hiển thị {shown}/{total} dự án", "Showing {shown} of {total} projects"),
    "col_code": ("Mã", "Code"),
    "col_name": ("Tên dự án", "Project"),
    "col_wards": ("Phường", "Wards"),
    "col_funding": ("Nguồn vốn", "Funding"),
    "col_status": ("Trạng thái", "Status"),
    "col_plans": ("PA duyệt/tổng", "Plans approved/total"),
    "col_recovered": ("Thu hồi (ha)", "Recovered (ha)"),
    "col_compensation": ("Kinh phí (tỷ đồng)", "Compensation (bn VND)"),
    "col_target": ("Thời hạn", "Target date"),
    "col_map": ("Bản đồ", "Map"),
    "on_map": ("Xem trên bản đồ", "Show on the map"),
    "key": ("Trọng điểm", "Key"),
    "complaints": ("Có đơn thư", "Complaints"),
    "report": ("Báo cáo", "Report"),
    "map": ("Bản đồ", "Map"),
    "empty": ("Không có dự án.", "No projects."),
}


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(MAPS_DIR / "templates"),
                       autoescape=select_autoescape(["html"]))


def _wards(conn: Any) -> dict[str, list[str]]:
    rows = conn.execute(text("SELECT district, name FROM wards ORDER BY district, name")).all()
    out: dict[str, list[str]] = {}
    for district, name in rows:
        out.setdefault(district, []).append(name)
    return out


@router.get("/dashboard", response_class=HTMLResponse, summary="Clearance dashboard",
            responses=ERRORS)
def dashboard(
    request: Request,
    conn: ConnDep,
    lang: LangDep,
    district: str = Query("long-bien", description="District slug: long-bien, hai-ba-trung."),
    ward: str | None = Query(None, description="Ward name."),
    date_from: str | None = Query(None, alias="from", description="First day (YYYY-MM-DD)."),
    date_to: str | None = Query(None, alias="to", description="Last day (YYYY-MM-DD)."),
    as_of: str | None = Query(None, description="As the status history stood on this day."),
) -> HTMLResponse:
    """Charts by month, ward and funding, and the project table, for a district and period."""
    view = parse_view(district, ward, date_from, date_to, None, lang)
    day = P.date_param(as_of, "as_of")
    wards = _wards(conn)
    if wards and view.district not in wards:
        raise InvalidParameterError(f"Không có dữ liệu của quận '{view.district}'.",
                                    f"No data for district '{view.district}'.")
    if view.ward and view.ward not in wards.get(view.district, []):
        listed = ", ".join(wards.get(view.district, []))
        raise InvalidParameterError(
            f"Quận {i18n.district_name(view.district)} không có phường '{view.ward}'. "
            f"Các phường: {listed}.",
            f"{i18n.district_name(view.district)} has no ward '{view.ward}'. Wards: {listed}.")
    words = {k: i18n.pick(v, view.lang) for k, v in WORDS.items()}
    base = request.scope.get("root_path", "")
    config = {
        "base": base, "lang": view.lang, "district": view.district, "ward": view.ward,
        "from": view.date_from.isoformat(), "to": view.date_to.isoformat(),
        "asOf": day.isoformat() if day else None,
        "districts": {d: i18n.district_name(d) for d in (wards or i18n.DISTRICTS)},
        "wards": wards,
        "periods": {d: [a.isoformat(), b.isoformat()] for d, (a, b) in DEFAULT_PERIODS.items()},
        "words": words,
        "status": {k: i18n.value_label("projects", "status", k, view.lang)
                   for k in ("planned", "in_progress", "completed", "suspended")},
        "funding": {k: i18n.value_label("projects", "funding", k, view.lang)
                    for k in ("budget", "non_budget")},
    }
    page = _templates().get_template("dashboard.html").render(
        lang=view.lang, base=base,
        title=words["title"].format(district=i18n.district_name(view.district)),
        words=words,
        # Safe inside <script>: "<" only occurs within JSON strings, where \u003c means the same.
        config=orjson.dumps(config).decode().replace("<", "\\u003c"),
    )
    return HTMLResponse(page)
