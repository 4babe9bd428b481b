"""The clearance figures as reports: plain text, and the semi-annual report (MD, PDF, XLSX)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection

from api.errors import PlanningError
from gis.db import load_sql

DISTRICT_NAMES = {"long-bien": "Long Biên", "hai-ba-trung": "Hai Bà Trưng"}

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Tiến độ giải phóng mặt bằng — quận {district}, từ {from} đến {to}",
        "ward": "Phường: {ward}",
        "projects": "Số dự án triển khai: {projects} ({projects_budget} vốn ngân sách, "
        "{projects_non_budget} vốn ngoài ngân sách)",
        "plans": "Phương án đã phê duyệt: {plans_approved}/{plans_total}",
        "recovered": "Diện tích đất đã thu hồi: {recovered_ha} ha",
        "compensation": "Kinh phí bồi thường, hỗ trợ: {compensation_bn} tỷ đồng",
        "ahead": "Dự án hoàn thành vượt tiến độ: {projects_ahead_of_schedule}",
    },
    "en": {
        "title": "Site-clearance progress — {district} district, {from} to {to}",
        "ward": "Ward: {ward}",
        "projects": "Projects carried out: {projects} ({projects_budget} budget-funded, "
        "{projects_non_budget} non-budget)",
        "plans": "Compensation plans approved: {plans_approved} of {plans_total}",
        "recovered": "Land recovered: {recovered_ha} ha",
        "compensation": "Compensation and support: {compensation_bn} billion VND",
        "ahead": "Projects completed ahead of schedule: {projects_ahead_of_schedule}",
    },
}


def district_name(slug: str) -> str:
    """Display name of a district slug."""
    return DISTRICT_NAMES.get(slug, slug.replace("-", " ").title())


def render_text(stats: dict[str, Any], lang: str = "vi") -> str:
    """The clearance figures as a short text report."""
    labels = LABELS.get(lang, LABELS["vi"])
    values = {
        **stats,
        "district": district_name(stats["district"]),
        "recovered_ha": f"{float(stats['recovered_ha']):.2f}",
        "compensation_bn": f"{float(stats['compensation_vnd']) / 1e9:.1f}",
    }
    keys = ["title"] + (["ward"] if stats.get("ward") else []) + [
        "projects", "plans", "recovered", "compensation", "ahead"]
    return "\n".join(labels[k].format(**values) for k in keys)


# ----------------------------------------------------------------------------- the formal report
#
# The semi-annual progress report, laid out like the district's own: a summary paragraph, then
# projects by funding, projects completed ahead of schedule, key projects, projects with
# complaints, the table by ward, urban embellishment and a map of the district. It is built once
# as a list of blocks and rendered to Markdown, PDF or XLSX; every number comes from
# clearance_stats.sql, so the report and /stats/clearance say the same.

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FORMATS = ("text", "json", "md", "pdf", "xlsx")
MEDIA_TYPES = {
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

WORDS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG",
              "SITE-CLEARANCE PROGRESS REPORT"),
    "subtitle": ("Quận {district} — {period}", "{district} district — {period}"),
    "ward_line": ("Phường {ward}", "{ward} ward"),
    "as_of_line": ("Số liệu theo lịch sử trạng thái đến hết ngày {day}",
                   "Figures as the status history stood at the end of {day}"),
    "h_summary": ("1. Kết quả chung", "1. Overview"),
    "summary": (
        "{within}, UBND quận tổ chức thực hiện công tác GPMB tại {projects} dự án "
        "({budget} dự án vốn ngân sách, {non_budget} dự án vốn ngoài ngân sách) với {plans} "
        "phương án cần phê duyệt. {cumulative}, đã phê duyệt {approved} phương án, thu hồi diện "
        "tích {ha} ha; số tiền bồi thường, hỗ trợ {bn} tỷ đồng. Hoàn thành công tác GPMB đối "
        "với {ahead} dự án vượt tiến độ đề ra.",
        "{within}, the district carried out site clearance on {projects} projects ({budget} "
        "budget-funded, {non_budget} non-budget) with {plans} compensation plans to approve. "
        "{cumulative}, {approved} plans were approved, {ha} ha of land recovered and {bn} billion "
        "VND of compensation and support paid. Clearance was completed ahead of schedule on "
        "{ahead} projects."),
    "cumulative_year": ("Lũy kế từ đầu năm", "Since the start of the year"),
    "cumulative_period": ("Trong kỳ", "In the period"),
    "h_funding": ("2. Dự án theo nguồn vốn", "2. Projects by funding"),
    "h_ahead": ("3. Dự án hoàn thành GPMB vượt tiến độ", "3. Projects completed ahead of schedule"),
    "h_key": ("4. Nhóm dự án trọng điểm", "4. Key projects"),
    "h_complaints": ("5. Dự án có đơn thư", "5. Projects with complaints"),
    "h_ward": ("6. Kết quả theo phường", "6. Results by ward"),
    "h_month": ("7. Tiến độ lũy kế theo tháng", "7. Cumulative progress by month"),
    "h_streets": ("8. Chỉnh trang đô thị", "8. Urban embellishment"),
    "streets": ("Thực hiện {planned} tuyến đường, tuyến phố văn minh đô thị năm {year} và duy trì "
                "{recognised} tuyến đường, tuyến phố văn minh đô thị đã được công nhận.",
                "{planned} civilized streets are to be recognised in {year}, and {recognised} "
                "streets recognised before are maintained."),
    "h_map": ("9. Bản đồ các dự án GPMB", "9. Map of the clearance projects"),
    "map_caption": ("Ranh giới phường và các dự án GPMB triển khai trong kỳ, theo trạng thái "
                    "(lưới VN-2000 / TM-3 105°00').",
                    "Ward boundaries and the clearance projects carried out in the period, by "
                    "status (VN-2000 / TM-3 105°00' grid)."),
    "none": ("Không có.", "None."),
    "definitions": (
        "Cách tính: dự án triển khai trong kỳ là dự án đã bắt đầu trước ngày cuối kỳ và chưa "
        "hoàn thành trước ngày đầu kỳ; diện tích thu hồi là diện tích đo trên mặt đất (elipxoit "
        "WGS 84) của các thửa có phương án được phê duyệt trong kỳ; kinh phí là tổng số tiền của "
        "các phương án đó; dự án vượt tiến độ là dự án hoàn thành trong kỳ trước thời hạn.",
        "Definitions: a project is carried out in the period when it started before the period's "
        "end and was not completed before its start; land recovered is the ground area (WGS 84 "
        "ellipsoid) of the parcels whose plans were approved in the period; compensation is the "
        "sum of those plans' amounts; a project is ahead of schedule when completed in the "
        "period before its target date."),
    "generated": ("Số liệu được tính từ cơ sở dữ liệu ngày {day}.",
                  "Figures computed from the database on {day}."),
    "funding": ("Nguồn vốn", "Funding"),
    "budget": ("Vốn ngân sách", "Budget-funded"),
    "non_budget": ("Vốn ngoài ngân sách", "Non-budget"),
    "total": ("Tổng cộng", "Total"),
    "projects": ("Số dự án", "Projects"),
    "plans_total": ("Phương án", "Plans"),
    "plans_approved": ("Đã phê duyệt", "Approved"),
    "recovered_ha": ("Thu hồi (ha)", "Recovered (ha)"),
    "compensation_bn": ("Kinh phí (tỷ đồng)", "Compensation (bn VND)"),
    "ward": ("Phường", "Ward"),
    "code": ("Mã", "Code"),
    "name": ("Tên dự án", "Project"),
    "status": ("Trạng thái", "Status"),
    "plans": ("PA duyệt / tổng", "Plans approved / total"),
    "target_date": ("Thời hạn", "Target date"),
    "completed_on": ("Hoàn thành", "Completed"),
    "month": ("Tháng", "Month"),
    "approved_in_month": ("PA duyệt trong tháng", "Approved in month"),
    "approved_cumulative": ("PA duyệt lũy kế", "Approved, cumulative"),
    "ha_cumulative": ("Thu hồi lũy kế (ha)", "Recovered, cumulative (ha)"),
    "bn_cumulative": ("Kinh phí lũy kế (tỷ đồng)", "Compensation, cumulative (bn VND)"),
    "legend_ward": ("Ranh giới phường", "Ward boundary"),
    "key_mark": ("trọng điểm", "key"),
    "figure_title": ("Các dự án GPMB — quận {district}", "Clearance projects — {district}"),
    # Sheet and figure words (XLSX).
    "sheet_report": ("Báo cáo", "Report"),
    "sheet_projects": ("Dự án", "Projects"),
    "sheet_wards": ("Theo phường", "By ward"),
    "sheet_months": ("Theo tháng", "By month"),
    "sheet_map": ("Bản đồ", "Map"),
    "figure": ("Chỉ tiêu", "Figure"),
    "value": ("Giá trị", "Value"),
    "f_projects": ("Số dự án triển khai", "Projects carried out"),
    "f_budget": ("Dự án vốn ngân sách", "Budget-funded projects"),
    "f_non_budget": ("Dự án vốn ngoài ngân sách", "Non-budget projects"),
    "f_plans_total": ("Phương án cần phê duyệt", "Compensation plans to approve"),
    "f_plans_approved": ("Phương án đã phê duyệt", "Compensation plans approved"),
    "f_recovered": ("Diện tích đất đã thu hồi (ha)", "Land recovered (ha)"),
    "f_compensation": ("Kinh phí bồi thường, hỗ trợ (đồng)", "Compensation and support (VND)"),
    "f_ahead": ("Dự án hoàn thành vượt tiến độ", "Projects completed ahead of schedule"),
    "f_streets_planned": ("Tuyến phố văn minh thực hiện trong năm",
                          "Civilized streets to be recognised this year"),
    "f_streets_recognised": ("Tuyến phố văn minh đã công nhận, duy trì",
                             "Civilized streets recognised, maintained"),
    "is_key": ("Trọng điểm", "Key"),
    "is_key_project": ("Dự án trọng điểm (viền)", "Key project (outline)"),
    "state_now": ("Trạng thái dự án: theo số liệu tại ngày lập báo cáo",
                  "Project states: as recorded on the day of the report"),
    "has_complaints": ("Có đơn thư", "Complaints"),
    "wards": ("Phường", "Wards"),
    "started_on": ("Triển khai", "Started"),
    "yes": ("Có", "Yes"),
}

PROJECT_STATUS = {
    "planned": ("Chuẩn bị triển khai", "Planned"),
    "in_progress": ("Đang thực hiện", "In progress"),
    "completed": ("Đã hoàn thành", "Completed"),
    "suspended": ("Tạm dừng", "Suspended"),
}
KEY_OUTLINE = "#b10026"
PROJECT_COLORS = {"planned": "#1f78b4", "in_progress": "#ff7f00", "completed": "#33a02c",
                  "suspended": "#6a3d9a"}


def word(key: str, lang: str, **values: Any) -> str:
    """A report phrase in a language, with its placeholders filled."""
    s = WORDS[key][1 if lang == "en" else 0]
    return s.format(**values) if values else s


def number(value: Any, digits: int = 0, lang: str = "vi") -> str:
    """A number as the reader writes it: 1.315 and 3,80 in Vietnamese; 1,315 and 3.80 in English."""
    s = f"{float(value):,.{digits}f}"
    return s if lang == "en" else s.replace(",", " ").replace(".", ",").replace(" ", ".")


def day_text(value: Any, lang: str = "vi") -> str:
    """A date as dd/mm/yyyy (Vietnamese) or ISO (English)."""
    if not value:
        return ""
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return d.isoformat() if lang == "en" else d.strftime("%d/%m/%Y")


def period_text(date_from: dt.date, date_to: dt.date, lang: str = "vi") -> str:
    """The period as the district names it: 6 tháng đầu năm 2022, năm 2022, or two dates."""
    y = date_from.year
    if date_to.year == y and (date_from.month, date_from.day) == (1, 1):
        if (date_to.month, date_to.day) == (6, 30):
            return f"first half of {y}" if lang == "en" else f"6 tháng đầu năm {y}"
        if (date_to.month, date_to.day) == (12, 31):
            return str(y) if lang == "en" else f"năm {y}"
    if date_to.year == y and (date_from.month, date_from.day, date_to.month, date_to.day) == (
            7, 1, 12, 31):
        return f"second half of {y}" if lang == "en" else f"6 tháng cuối năm {y}"
    if lang == "en":
        return f"{date_from.isoformat()} to {date_to.isoformat()}"
    return f"từ ngày {day_text(date_from)} đến ngày {day_text(date_to)}"


@dataclass
class Table:
    """A table of the report: raw values per row, and how each column is written."""

    headers: list[str]
    rows: list[list[Any]]
    kinds: list[str]  # text | int | ha | bn | date | ratio
    total: list[Any] | None = None


@dataclass
class Figure:
    """The map figure: shapes and labels in figure units (x right, y down), and a legend."""

    width: float
    height: float
    wards: list[list[tuple[float, float]]]
    projects: list[tuple[list[tuple[float, float]], str, bool]]  # ring, colour, key project
    labels: list[tuple[float, float, str]]
    legend: list[tuple[str, str]]  # colour, label
    scale_m: float  # length of the scale bar in metres
    scale_units: float  # the same length in figure units
    title: str


@dataclass
class Report:
    """The report's content, ready to render."""

    stats: dict[str, Any]
    lang: str
    title: str
    subtitle: list[str]
    blocks: list[tuple[str, Any]]
    figure: Figure | None
    file_stem: str


def cell_text(value: Any, kind: str, lang: str) -> str:
    """A table cell as text."""
    if value is None or value == "":
        return ""
    if kind == "int":
        return number(value, 0, lang)
    if kind == "ha":
        return number(value, 2, lang)
    if kind == "bn":
        return number(float(value) / 1e9, 1, lang)
    if kind == "date":
        return day_text(value, lang)
    return str(value)


def _status(value: str, lang: str) -> str:
    pair = PROJECT_STATUS.get(value)
    return pair[1 if lang == "en" else 0] if pair else value


def _project_table(rows: list[dict[str, Any]], lang: str) -> Table:
    w = partial(word, lang=lang)
    return Table(
        [w("code"), w("name"), w("status"), w("plans"), w("recovered_ha"), w("target_date"),
         w("completed_on")],
        [[p["code"], p["name"], _status(p["status"], lang),
          f"{number(p['plans_approved_to_date'], 0, lang)}/{number(p['plans_total'], 0, lang)}",
          p["recovered_ha"], p["target_date"], p["completed_on"]] for p in rows],
        ["text", "text", "text", "text", "ha", "date", "date"],
    )


def _outer_rings(geom: dict[str, Any]) -> list[list[tuple[float, float]]]:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [[(x, y) for x, y, *_ in poly[0]] for poly in polys]


def figure_from(conn: Connection, stats: dict[str, Any], lang: str) -> Figure | None:
    """The map figure of a report: the district's wards and the period's projects by status."""
    projects = {p["id"]: p for p in stats["project_list"]}
    doc = orjson.loads(conn.execute(load_sql("reports.map.sql"), {
        "district": stats["district"], "ids": list(projects)}).scalar_one())
    if not doc["wards"]:
        return None
    rings = [r for w in doc["wards"] for r in _outer_rings(w["geom"])]
    xs = [x for r in rings for x, _ in r]
    ys = [y for r in rings for _, y in r]
    pad = 0.06 * (max(xs) - min(xs))  # room for the legend and the north arrow
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad / 2, max(ys) + pad / 2
    width = 1000.0
    k = width / (x1 - x0)
    height = (y1 - y0) * k

    def at(x: float, y: float) -> tuple[float, float]:
        """VN-2000 metres to figure units."""
        return (x - x0) * k, (y1 - y) * k

    shapes = []
    for p in doc["projects"]:
        info = projects[p["id"]]
        for ring in _outer_rings(p["geom"]):
            shapes.append(([at(x, y) for x, y in ring],
                           PROJECT_COLORS.get(info["status"], "#666666"), bool(info["is_key"])))
    labels = [(*at(*w["label"]["coordinates"]), w["name"]) for w in doc["wards"]]
    present = {projects[p["id"]]["status"] for p in doc["projects"]}
    legend = [(PROJECT_COLORS[s], _status(s, lang)) for s in PROJECT_COLORS if s in present]
    scale_m = next(s for s in (5000, 2000, 1000, 500, 200, 100) if s * k <= width / 4)
    return Figure(width, height, [[at(x, y) for x, y in r] for r in rings], shapes, labels,
                  legend, float(scale_m), scale_m * k,
                  word("figure_title", lang, district=district_name(stats["district"])))


def build_report(conn: Connection, district: str, date_from: dt.date, date_to: dt.date,
                 ward: str | None = None, as_of: dt.date | None = None, lang: str = "vi",
                 with_figure: bool = True) -> Report:
    """Gather the figures of a period (from clearance_stats.sql) into the report's blocks."""
    from layers.queries import clearance_stats

    stats = orjson.loads(clearance_stats(conn, district, date_from, date_to, ward, as_of))
    return report_from_stats(stats, lang, figure_from(conn, stats, lang) if with_figure else None)


def report_from_stats(stats: dict[str, Any], lang: str = "vi",
                      figure: Figure | None = None) -> Report:
    """The report's blocks for the figures of /stats/clearance."""
    w = partial(word, lang=lang)
    n = partial(number, lang=lang)
    date_from = dt.date.fromisoformat(stats["from"])
    date_to = dt.date.fromisoformat(stats["to"])
    period = period_text(date_from, date_to, lang)
    subtitle = [w("subtitle", district=district_name(stats["district"]), period=period)]
    if stats.get("ward"):
        subtitle.append(w("ward_line", ward=stats["ward"]))
    if stats.get("as_of"):
        subtitle.append(w("as_of_line", day=day_text(stats["as_of"], lang)))
    else:
        subtitle.append(w("state_now"))
    if lang == "vi":
        within = f"Trong {period}" if period.startswith(("6 tháng", "năm")) else (
            f"Trong thời gian {period}")
    elif period[0].isdigit():
        within = f"In {period}" if len(period) == 4 else f"From {period}"
    else:
        within = f"In the {period}"
    cumulative = w("cumulative_year") if (date_from.month, date_from.day) == (1, 1) else w(
        "cumulative_period")
    blocks: list[tuple[str, Any]] = [("h2", w("h_summary")), ("p", w(
        "summary", within=within, projects=n(stats["projects"]),
        budget=n(stats["projects_budget"]), non_budget=n(stats["projects_non_budget"]),
        plans=n(stats["plans_total"]), cumulative=cumulative,
        approved=n(stats["plans_approved"]), ha=n(stats["recovered_ha"], 2),
        bn=n(float(stats["compensation_vnd"]) / 1e9, 1),
        ahead=f"{stats['projects_ahead_of_schedule']:02d}" if lang == "vi" else n(
            stats["projects_ahead_of_schedule"])))]

    money_cols = [w("projects"), w("plans_total"), w("plans_approved"), w("recovered_ha"),
                  w("compensation_bn")]
    money_kinds = ["int", "int", "int", "ha", "bn"]
    keys = ["projects", "plans_total", "plans_approved", "recovered_ha", "compensation_vnd"]
    funding = stats.get("by_funding") or []
    blocks += [("h2", w("h_funding")), ("table", Table(
        [w("funding"), *money_cols],
        [[w(f["funding"]), *(f[k] for k in keys)] for f in funding], ["text", *money_kinds],
        [w("total"), *(stats[k] for k in keys)]))]

    plist = stats.get("project_list") or []
    ahead = [p for p in plist if p["ahead_of_schedule"]]
    blocks.append(("h2", w("h_ahead")))
    blocks.append(("table", _project_table(ahead, lang)) if ahead else ("p", w("none")))
    for head, flag in (("h_key", "is_key"), ("h_complaints", "has_complaints")):
        rows = [p for p in plist if p[flag]]
        blocks.append(("h2", w(head)))
        blocks.append(("table", _project_table(rows, lang)) if rows else ("p", w("none")))

    blocks += [("h2", w("h_ward")), ("table", Table(
        [w("ward"), *money_cols], [[r["ward"], *(r[k] for k in keys)] for r in stats["by_ward"]],
        ["text", *money_kinds], [w("total"), *(stats[k] for k in keys)]))]

    months = stats.get("by_month") or []
    blocks.append(("h2", w("h_month")))
    blocks.append(("table", Table(
        [w("month"), w("approved_in_month"), w("approved_cumulative"), w("ha_cumulative"),
         w("bn_cumulative")],
        [[m["month"], m["plans_approved"], m["plans_approved_cumulative"],
          m["recovered_ha_cumulative"], m["compensation_vnd_cumulative"]] for m in months],
        ["text", "int", "int", "ha", "bn"])) if months else ("p", w("none")))

    streets = stats.get("civilized_streets") or {}
    blocks += [("h2", w("h_streets")), ("p", w(
        "streets", planned=n(streets.get("planned", 0)), year=streets.get("year", ""),
        recognised=n(streets.get("recognised", 0))))]
    blocks += [("h2", w("h_map")), ("figure", w("map_caption"))]
    blocks += [("note", w("definitions")),
               ("note", w("generated", day=day_text(dt.date.today(), lang)))]
    stem = f"bao-cao-gpmb-{stats['district']}-{stats['from']}-{stats['to']}"
    if stats.get("as_of"):
        stem += f"-den-{stats['as_of']}"
    return Report(stats, lang, w("title"), subtitle, blocks, figure, stem)


# ----------------------------------------------------------------------------- renderers


def render_markdown(report: Report, figure_url: str | None = None) -> str:
    """The report as Markdown; the map figure is linked when `figure_url` is given."""
    lang = report.lang
    out = [f"# {report.title}", "", *(f"**{s}**  " for s in report.subtitle), ""]
    for kind, body in report.blocks:
        if kind == "h2":
            out += [f"## {body}", ""]
        elif kind == "p":
            out += [body, ""]
        elif kind == "note":
            out += [f"*{body}*", ""]
        elif kind == "figure":
            if figure_url:
                out += [f"![{body}]({figure_url})", ""]
            out += [f"*{body}*", ""]
        elif kind == "table":
            t: Table = body
            align = ["---" if k == "text" else "---:" for k in t.kinds]
            rows = [*t.rows, *([t.total] if t.total else [])]
            out.append("| " + " | ".join(t.headers) + " |")
            out.append("| " + " | ".join(align) + " |")
            for i, r in enumerate(rows):
                cells = [cell_text(v, k, lang).replace("|", "\\|") for v, k in zip(r, t.kinds,
                                                                                  strict=True)]
                if t.total and i == len(rows) - 1:
                    cells = [f"**{c}**" if c else c for c in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _fonts() -> tuple[Path, Path]:
    if not (FONT_REGULAR.is_file() and FONT_BOLD.is_file()):
        raise PlanningError(
            f"Thiếu phông chữ DejaVu ({FONT_DIR}); cài gói Debian fonts-dejavu-core.",
            f"The DejaVu fonts are missing ({FONT_DIR}); install the Debian package "
            "fonts-dejavu-core.")
    return FONT_REGULAR, FONT_BOLD


def _figure_pdf(pdf: Any, fig: Figure, x: float, y: float, width: float, lang: str) -> float:
    """Draw the map figure as vector paths at (x, y) mm, `width` mm wide; return its height."""
    k = width / fig.width
    height = fig.height * k

    def pts(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x + u * k, y + v * k) for u, v in ring]

    pdf.set_line_width(0.25)
    pdf.set_draw_color(90, 90, 90)
    pdf.set_fill_color(250, 250, 247)
    for ring in fig.wards:
        pdf.polygon(pts(ring), style="DF")
    for ring, color, key in fig.projects:
        pdf.set_fill_color(*_rgb(color))
        pdf.set_draw_color(*(_rgb(KEY_OUTLINE) if key else _rgb(color)))
        pdf.set_line_width(0.5 if key else 0.2)
        pdf.polygon(pts(ring), style="DF")
    pdf.set_text_color(60, 60, 60)
    pdf.set_font("DejaVu", "", 6.5)
    for u, v, name in fig.labels:
        tw = pdf.get_string_width(name)
        pdf.text(x + u * k - tw / 2, y + v * k, name)
    # Scale bar and legend, bottom left.
    bx, by = x + 2, y + height - 4
    bar = fig.scale_units * k
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(0, 0, 0)
    pdf.set_line_width(0.3)
    pdf.line(bx, by, bx + bar, by)
    pdf.line(bx, by - 1, bx, by + 0.5)
    pdf.line(bx + bar, by - 1, bx + bar, by + 0.5)
    pdf.set_text_color(0, 0, 0)
    label = f"{number(fig.scale_m / 1000, 0, lang)} km" if fig.scale_m >= 1000 else (
        f"{number(fig.scale_m, 0, lang)} m")
    pdf.text(bx + bar + 1.5, by + 0.8, label)
    ly = y + 3
    for color, text_ in fig.legend:
        pdf.set_fill_color(*_rgb(color))
        pdf.rect(x + 2, ly - 2.2, 3.5, 2.6, style="F")
        pdf.text(x + 7, ly, text_)
        ly += 3.6
    pdf.set_draw_color(*_rgb(KEY_OUTLINE))
    pdf.set_line_width(0.5)
    pdf.rect(x + 2, ly - 2.2, 3.5, 2.6, style="D")
    pdf.text(x + 7, ly, word("is_key_project", lang))
    # North arrow, top right.
    nx, ny = x + width - 6, y + 3
    pdf.set_fill_color(0, 0, 0)
    pdf.polygon([(nx, ny), (nx - 1.6, ny + 5), (nx + 1.6, ny + 5)], style="F")
    pdf.text(nx - 1, ny + 8.5, "N" if lang == "en" else "B")
    pdf.set_text_color(0, 0, 0)
    return height


def render_pdf(report: Report) -> bytes:
    """The report as a vector PDF (A4) with the DejaVu font embedded, so diacritics print."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold = _fonts()
    lang = report.lang
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(18, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(f"{report.title} — {report.subtitle[0]}")
    pdf.set_creator("quyhoach")
    pdf.set_lang("en" if lang == "en" else "vi")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    for line in report.subtitle:
        pdf.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    head = FontFace(emphasis="BOLD", fill_color=(232, 236, 241))
    for kind, body in report.blocks:
        if kind == "h2":
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 11.5)
            pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind in ("p", "note"):
            pdf.set_font("DejaVu", "", 10 if kind == "p" else 8)
            pdf.multi_cell(0, 5 if kind == "p" else 4, body, align="J", new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(1.5)
        elif kind == "table":
            t: Table = body
            pdf.set_font("DejaVu", "", 8)
            widths = [4.2 if k == "text" and i == 1 and len(t.headers) > 6 else
                      (1.6 if k == "text" else 1.3) for i, k in enumerate(t.kinds)]
            with pdf.table(col_widths=widths, headings_style=head, line_height=4.4,
                           text_align=["LEFT" if k == "text" else "RIGHT" for k in t.kinds],
                           padding=0.8) as table:
                table.row(t.headers)
                for r in t.rows:
                    table.row([cell_text(v, k, lang) for v, k in zip(r, t.kinds, strict=True)])
                if t.total:
                    row = table.row()
                    for v, k in zip(t.total, t.kinds, strict=True):
                        row.cell(cell_text(v, k, lang), style=FontFace(emphasis="BOLD"))
            pdf.ln(1)
        elif kind == "figure" and report.figure is not None:
            width = pdf.epw
            height = report.figure.height * width / report.figure.width
            if pdf.get_y() + height + 12 > pdf.page_break_trigger:
                pdf.add_page()
            top = pdf.get_y()
            _figure_pdf(pdf, report.figure, pdf.l_margin, top, width, lang)
            pdf.set_xy(pdf.l_margin, top + height + 1.5)
            pdf.set_font("DejaVu", "", 8)
            pdf.multi_cell(0, 4, body, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
    return bytes(pdf.output())


def render_png(fig: Figure, width_px: int = 1400, lang: str = "vi") -> bytes:
    """The map figure as a PNG (for spreadsheets and Markdown), drawn at twice the size."""
    from PIL import Image, ImageDraw, ImageFont

    regular, bold = _fonts()
    ss = 2
    k = width_px * ss / fig.width
    w, h = width_px * ss, int(fig.height * k) + 1
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)

    def pts(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(u * k, v * k) for u, v in ring]

    for ring in fig.wards:
        draw.polygon(pts(ring), fill=(250, 250, 247), outline=(90, 90, 90), width=2 * ss)
    for ring, color, key in fig.projects:
        draw.polygon(pts(ring), fill=_rgb(color),
                     outline=_rgb(KEY_OUTLINE) if key else _rgb(color), width=(3 if key else 1) * ss)
    font = ImageFont.truetype(str(regular), 13 * ss)
    for u, v, name in fig.labels:
        draw.text((u * k, v * k), name, fill=(60, 60, 60), font=font, anchor="ms")
    legend_font = ImageFont.truetype(str(bold), 14 * ss)
    ly = 14 * ss
    for color, text_ in fig.legend:
        draw.rectangle([10 * ss, ly, 28 * ss, ly + 13 * ss], fill=_rgb(color))
        draw.text((34 * ss, ly + 11 * ss), text_, fill=(0, 0, 0), font=legend_font, anchor="ls")
        ly += 20 * ss
    draw.rectangle([10 * ss, ly, 28 * ss, ly + 13 * ss], outline=_rgb(KEY_OUTLINE), width=3 * ss)
    draw.text((34 * ss, ly + 11 * ss), word("is_key_project", lang), fill=(0, 0, 0),
              font=legend_font, anchor="ls")
    bar = fig.scale_units * k
    bx, by = 12 * ss, h - 16 * ss
    draw.line([(bx, by), (bx + bar, by)], fill=(0, 0, 0), width=2 * ss)
    for x in (bx, bx + bar):
        draw.line([(x, by - 6 * ss), (x, by + 2 * ss)], fill=(0, 0, 0), width=2 * ss)
    label = f"{number(fig.scale_m / 1000, 0, lang)} km" if fig.scale_m >= 1000 else (
        f"{number(fig.scale_m, 0, lang)} m")
    draw.text((bx + bar + 8 * ss, by + 5 * ss), label, fill=(0, 0, 0), font=font, anchor="ls")
    nx, ny = w - 30 * ss, 14 * ss
    draw.polygon([(nx, ny), (nx - 9 * ss, ny + 26 * ss), (nx + 9 * ss, ny + 26 * ss)],
                 fill=(0, 0, 0))
    draw.text((nx, ny + 46 * ss), "N" if lang == "en" else "B", fill=(0, 0, 0),
              font=legend_font, anchor="ms")
    img = img.resize((width_px, max(1, h // ss)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


XLSX_FORMATS = {"int": "#,##0", "ha": "#,##0.00", "bn": "#,##0.0", "date": "dd/mm/yyyy"}


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "ha":
        return float(value)
    if kind == "bn":
        return float(value) / 1e9
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    return value


def render_xlsx(report: Report) -> bytes:
    """The report as a workbook: the report sheet, then projects, wards, months and the map."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as XLImage
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    lang = report.lang
    s = report.stats
    w = partial(word, lang=lang)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8ECF1")
    wb = Workbook()
    ws = wb.active
    ws.title = w("sheet_report")
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in report.subtitle:
        ws.append([line])
    ws.append([])
    ws.append([w("figure"), w("value")])
    for c in ws[ws.max_row]:
        c.font, c.fill = bold, fill
    streets = s.get("civilized_streets") or {}
    figures = [("f_projects", s["projects"], "int"), ("f_budget", s["projects_budget"], "int"),
               ("f_non_budget", s["projects_non_budget"], "int"),
               ("f_plans_total", s["plans_total"], "int"),
               ("f_plans_approved", s["plans_approved"], "int"),
               ("f_recovered", s["recovered_ha"], "ha"),
               ("f_compensation", s["compensation_vnd"], "int"),
               ("f_ahead", s["projects_ahead_of_schedule"], "int"),
               ("f_streets_planned", streets.get("planned", 0), "int"),
               ("f_streets_recognised", streets.get("recognised", 0), "int")]
    for key, value, kind in figures:
        ws.append([w(key), _xlsx_value(value, kind)])
        ws.cell(ws.max_row, 2).number_format = XLSX_FORMATS[kind]
    for kind, body in report.blocks:
        if kind == "h2":
            ws.append([])
            ws.append([body])
            ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
        elif kind in ("p", "note", "figure"):
            ws.append([body])
            ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=7)
            ws.row_dimensions[ws.max_row].height = 15 * max(1, len(body) // 95 + 1)
        elif kind == "table":
            _xlsx_table(ws, body, bold, fill)
    ws.column_dimensions["A"].width = 42
    for col in range(2, 9):
        ws.column_dimensions[get_column_letter(col)].width = 16

    pl = wb.create_sheet(w("sheet_projects"))
    cols = [("code", "text"), ("name", "text"), ("funding", "text"), ("status", "text"),
            ("is_key", "text"), ("has_complaints", "text"), ("wards", "text"),
            ("started_on", "date"), ("target_date", "date"), ("completed_on", "date"),
            ("plans_total", "int"), ("plans_approved", "int"), ("recovered_ha", "ha"),
            ("compensation_bn", "int")]
    rows = []
    for p in s.get("project_list") or []:
        rows.append([p["code"], p["name"], w(p["funding"]), _status(p["status"], lang),
                     w("yes") if p["is_key"] else "", w("yes") if p["has_complaints"] else "",
                     ", ".join(p["wards"]), p["started_on"], p["target_date"], p["completed_on"],
                     p["plans_total"], p["plans_approved"], p["recovered_ha"],
                     p["compensation_vnd"]])
    headers = [w(c) for c, _ in cols]
    headers[-1] = w("f_compensation")
    _xlsx_table(pl, Table(headers, rows, [k for _, k in cols]), bold, fill)
    pl.column_dimensions["B"].width = 48
    wd = wb.create_sheet(w("sheet_wards"))
    _xlsx_table(wd, Table(
        [w("ward"), w("projects"), w("plans_total"), w("plans_approved"), w("recovered_ha"),
         w("f_compensation")],
        [[r["ward"], r["projects"], r["plans_total"], r["plans_approved"], r["recovered_ha"],
          r["compensation_vnd"]] for r in s["by_ward"]],
        ["text", "int", "int", "int", "ha", "int"],
        [w("total"), s["projects"], s["plans_total"], s["plans_approved"], s["recovered_ha"],
         s["compensation_vnd"]]), bold, fill)
    mo = wb.create_sheet(w("sheet_months"))
    _xlsx_table(mo, Table(
        [w("month"), w("approved_in_month"), w("approved_cumulative"), w("ha_cumulative"),
         w("f_compensation")],
        [[m["month"], m["plans_approved"], m["plans_approved_cumulative"],
          m["recovered_ha_cumulative"], m["compensation_vnd_cumulative"]]
         for m in s.get("by_month") or []],
        ["text", "int", "int", "ha", "int"]), bold, fill)
    for sheet in (wd, mo):
        sheet.column_dimensions["A"].width = 22
        for col in range(2, 7):
            sheet.column_dimensions[get_column_letter(col)].width = 20
    if report.figure is not None:
        mp = wb.create_sheet(w("sheet_map"))
        mp.append([report.figure.title])
        mp["A1"].font = Font(bold=True, size=12)
        img = XLImage(io.BytesIO(render_png(report.figure, 900, lang)))
        mp.add_image(img, "A3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_table(ws: Any, t: Table, bold: Any, fill: Any) -> None:
    """Append a table to a sheet, numbers as numbers with their formats."""
    ws.append(t.headers)
    for c in ws[ws.max_row]:
        c.font, c.fill = bold, fill
    for i, r in enumerate([*t.rows, *([t.total] if t.total else [])]):
        ws.append([_xlsx_value(v, k) for v, k in zip(r, t.kinds, strict=True)])
        for j, k in enumerate(t.kinds, start=1):
            if k in XLSX_FORMATS:
                ws.cell(ws.max_row, j).number_format = XLSX_FORMATS[k]
            if t.total and i == len(t.rows):
                ws.cell(ws.max_row, j).font = bold


def write_report(conn: Connection, district: str, date_from: dt.date, date_to: dt.date,
                 ward: str | None, as_of: dt.date | None, fmt: str, lang: str = "vi",
                 out: Path | None = None) -> tuple[str | None, Path | None]:
    """Produce a report for the command line: (text to print, or the file written).

    PDF and XLSX go to `out`, or to a file named after the district and period in the current
    folder; Markdown written to a file gets its map figure as a PNG beside it.
    """
    from layers.queries import clearance_stats

    if fmt in ("text", "json"):
        body = clearance_stats(conn, district, date_from, date_to, ward, as_of)
        if fmt == "text":
            body = render_text(orjson.loads(body), lang)
        if out is None:
            return body, None
        out.write_text(body + "\n", encoding="utf-8")
        return None, out
    report = build_report(conn, district, date_from, date_to, ward, as_of, lang,
                          with_figure=fmt != "md" or out is not None)
    if fmt == "md":
        if out is None:
            return render_markdown(report), None
        figure = None
        if report.figure is not None:
            figure = out.with_suffix(".png")
            figure.write_bytes(render_png(report.figure, lang=lang))
        out.write_text(render_markdown(report, figure.name if figure else None), encoding="utf-8")
        return None, out
    path = out or Path(f"{report.file_stem}.{fmt}")
    path.write_bytes(render_pdf(report) if fmt == "pdf" else render_xlsx(report))
    return None, path
