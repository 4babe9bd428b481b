"""Words of the map a planner reads, in Vietnamese and English."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

import orjson

LANGS = ("vi", "en")

# Page, legend and summary panel.
TEXT: dict[str, tuple[str, str]] = {
    "page_title": ("Bản đồ giải phóng mặt bằng — quận {district}",
                   "Site-clearance map — {district} district"),
    "basemap": ("Bản đồ nền", "Basemap"),
    "legend": ("Chú giải", "Legend"),
    "min_zoom": ("hiện từ mức thu phóng {zoom}", "shown from zoom {zoom}"),
    "loading": ("Đang tải…", "Loading…"),
    "load_failed": ("Không tải được lớp {layer}.", "Could not load layer {layer}."),
    "truncated": ("{layer}: hiển thị {shown}/{matched} đối tượng, hãy phóng to.",
                  "{layer}: showing {shown} of {matched} features, zoom in."),
    "summary_title": ("Tiến độ GPMB — quận {district}", "Site clearance — {district} district"),
    "summary_ward": ("Phường {ward}", "{ward} ward"),
    "summary_period": ("Từ {from} đến {to}", "From {from} to {to}"),
    "stat_projects": ("Dự án triển khai", "Projects carried out"),
    "stat_projects_detail": ("{budget} vốn ngân sách, {non_budget} ngoài ngân sách",
                             "{budget} budget-funded, {non_budget} non-budget"),
    "stat_plans": ("Phương án đã phê duyệt", "Compensation plans approved"),
    "stat_recovered": ("Diện tích đất đã thu hồi", "Land recovered"),
    "stat_compensation": ("Kinh phí bồi thường, hỗ trợ", "Compensation and support"),
    "stat_ahead": ("Dự án hoàn thành vượt tiến độ", "Projects ahead of schedule"),
    "stats_failed": ("Không tải được số liệu thống kê.", "Could not load the statistics."),
    "billion": ("tỷ đồng", "billion VND"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "of_project_area": ("diện tích dự án", "of the project's area"),
    # Popups of features drawn from vector tiles, whose details are fetched on click.
    "feature_failed": ("Không tải được thông tin đối tượng.", "Could not load the feature's details."),
}

# Labels of what every layer's features carry besides their attributes (the catalogue labels
# the attributes themselves).
FIELDS: dict[str, tuple[str, str]] = {
    "area_ha": ("Diện tích", "Area"),
    "length_m": ("Chiều dài", "Length"),
    "district": ("Quận", "District"),
    "ward": ("Phường", "Ward"),
}

DISTRICTS: dict[str, str] = {"long-bien": "Long Biên", "hai-ba-trung": "Hai Bà Trưng"}

# The short text report of the clearance figures (command line).
REPORT_LINES: dict[str, tuple[str, str]] = {
    "title": ("Tiến độ giải phóng mặt bằng — {place}, từ {from} đến {to}",
              "Site-clearance progress — {place}, {from} to {to}"),
    "ward": ("Phường: {ward}", "Ward: {ward}"),
    "projects": ("Số dự án triển khai: {projects} ({projects_budget} vốn ngân sách, "
                 "{projects_non_budget} vốn ngoài ngân sách)",
                 "Projects carried out: {projects} ({projects_budget} budget-funded, "
                 "{projects_non_budget} non-budget)"),
    "plans": ("Phương án đã phê duyệt: {plans_approved}/{plans_total}",
              "Compensation plans approved: {plans_approved} of {plans_total}"),
    "recovered": ("Diện tích đất đã thu hồi: {recovered_ha}",
                  "Land recovered: {recovered_ha}"),
    "compensation": ("Kinh phí bồi thường, hỗ trợ: {compensation}",
                     "Compensation and support: {compensation}"),
    "ahead": ("Dự án hoàn thành vượt tiến độ: {projects_ahead_of_schedule}",
              "Projects completed ahead of schedule: {projects_ahead_of_schedule}"),
    "behind": ("Dự án chậm tiến độ: {projects_behind_schedule}",
               "Projects behind schedule: {projects_behind_schedule}"),
}

# The semi-annual progress report (Markdown, PDF, XLSX); coded values come from VALUES.
REPORT_WORDS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG",
              "SITE-CLEARANCE PROGRESS REPORT"),
    "subtitle": ("{place} — {period}", "{place} — {period}"),
    "ward_line": ("Phường {ward}", "{ward} ward"),
    "as_of_line": ("Số liệu theo lịch sử trạng thái đến hết ngày {day}",
                   "Figures as the status history stood at the end of {day}"),
    "h_summary": ("1. Kết quả chung", "1. Overview"),
    "summary": (
        "{within}, UBND quận tổ chức thực hiện công tác GPMB tại {projects} dự án "
        "({budget} dự án vốn ngân sách, {non_budget} dự án vốn ngoài ngân sách) với {plans} "
        "phương án cần phê duyệt. {cumulative}, đã phê duyệt {approved} phương án, thu hồi diện "
        "tích {ha}; số tiền bồi thường, hỗ trợ {amount}. Hoàn thành công tác GPMB đối "
        "với {ahead} dự án vượt tiến độ đề ra; {behind} dự án chậm tiến độ.",
        "{within}, the district carried out site clearance on {projects} projects ({budget} "
        "budget-funded, {non_budget} non-budget) with {plans} compensation plans to approve. "
        "{cumulative}, {approved} plans were approved, {ha} of land recovered and {amount} of "
        "compensation and support paid. Clearance was completed ahead of schedule on {ahead} "
        "projects; {behind} projects are behind schedule."),
    "cumulative_year": ("Lũy kế từ đầu năm", "Since the start of the year"),
    "cumulative_period": ("Trong kỳ", "In the period"),
    "h_funding": ("2. Dự án theo nguồn vốn", "2. Projects by funding"),
    "h_ahead": ("3. Dự án hoàn thành GPMB vượt tiến độ", "3. Projects completed ahead of schedule"),
    "h_late": ("4. Dự án chậm tiến độ (quá thời hạn, chưa hoàn thành)",
               "4. Projects behind schedule (target date passed, not completed)"),
    "h_key": ("5. Nhóm dự án trọng điểm", "5. Key projects"),
    "h_complaints": ("6. Dự án có đơn thư", "6. Projects with complaints"),
    "h_ward": ("7. Kết quả theo phường", "7. Results by ward"),
    "h_month": ("8. Tiến độ lũy kế theo tháng", "8. Cumulative progress by month"),
    "h_streets": ("9. Chỉnh trang đô thị", "9. Urban embellishment"),
    "streets": ("Thực hiện {planned} tuyến đường, tuyến phố văn minh đô thị năm {year} và duy trì "
                "{recognised} tuyến đường, tuyến phố văn minh đô thị đã được công nhận.",
                "{planned} civilized streets are to be recognised in {year}, and {recognised} "
                "streets recognised before are maintained."),
    "h_map": ("10. Bản đồ các dự án GPMB", "10. Map of the clearance projects"),
    "map_caption": ("Ranh giới phường và các dự án GPMB triển khai trong kỳ, theo trạng thái "
                    "(lưới VN-2000 / TM-3 105°00').",
                    "Ward boundaries and the clearance projects carried out in the period, by "
                    "status (VN-2000 / TM-3 105°00' grid)."),
    "none": ("Không có.", "None."),
    "definitions": (
        "Cách tính: dự án triển khai trong kỳ là dự án đã bắt đầu trước ngày cuối kỳ và chưa "
        "hoàn thành trước ngày đầu kỳ; diện tích thu hồi là diện tích đo trên mặt đất (elipxoit "
        "WGS 84) của các thửa có phương án được phê duyệt trong kỳ; kinh phí là tổng số tiền của "
        "các phương án đó; dự án vượt tiến độ là dự án hoàn thành trong kỳ trước thời hạn; dự án "
        "chậm tiến độ là dự án đã quá thời hạn trước ngày cuối kỳ mà chưa hoàn thành.",
        "Definitions: a project is carried out in the period when it started before the period's "
        "end and was not completed before its start; land recovered is the ground area (WGS 84 "
        "ellipsoid) of the parcels whose plans were approved in the period; compensation is the "
        "sum of those plans' amounts; a project is ahead of schedule when completed in the "
        "period before its target date, and behind schedule when its target date passed before "
        "the period's end and it is not completed."),
    "generated": ("Số liệu được tính từ cơ sở dữ liệu ngày {day}.",
                  "Figures computed from the database on {day}."),
    "funding": ("Nguồn vốn", "Funding"),
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
    "days_late": ("Quá hạn (ngày)", "Days late"),
    "f_behind": ("Dự án chậm tiến độ", "Projects behind schedule"),
    "month": ("Tháng", "Month"),
    "approved_in_month": ("PA duyệt trong tháng", "Approved in month"),
    "approved_cumulative": ("PA duyệt lũy kế", "Approved, cumulative"),
    "ha_cumulative": ("Thu hồi lũy kế (ha)", "Recovered, cumulative (ha)"),
    "bn_cumulative": ("Kinh phí lũy kế (tỷ đồng)", "Compensation, cumulative (bn VND)"),
    "figure_title": ("Các dự án GPMB — quận {district}", "Clearance projects — {district}"),
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
    "north": ("B", "N"),
}

# The clearance dashboard (/dashboard); its script fills {district}, {budget}, {shown}...
DASHBOARD_WORDS: dict[str, tuple[str, str]] = {
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
    "behind": ("Dự án chậm tiến độ", "Behind schedule"),
    "axis_ward": ("Phường", "Ward"),
    "axis_month": ("Tháng", "Month"),
    "ahead_table": ("Dự án hoàn thành vượt tiến độ", "Projects completed ahead of schedule"),
    "late_table": ("Dự án chậm tiến độ (quá thời hạn, chưa hoàn thành)",
                   "Projects behind schedule (target date passed, not completed)"),
    "col_completed": ("Hoàn thành", "Completed"),
    "col_days_late": ("Quá hạn (ngày)", "Days late"),
}

# The map's layout: panels that fold away, the layer control's theme groups, one popup at a time.
MAP_LAYOUT_WORDS: dict[str, tuple[str, str]] = {
    "layers": ("Lớp bản đồ", "Map layers"),
    "tools": ("Công cụ", "Tools"),
    "search": ("Tìm kiếm", "Search"),
    "show": ("Mở {panel}", "Show {panel}"),
    "hide": ("Thu gọn {panel}", "Hide {panel}"),
    "theme.clearance": ("Giải phóng mặt bằng", "Site clearance"),
    "theme.planning": ("Quy hoạch, xây dựng", "Planning and building"),
    "theme.infrastructure": ("Hạ tầng, chỉnh trang đô thị", "Infrastructure and embellishment"),
    "theme.administrative": ("Địa giới hành chính", "Administrative units"),
    "theme.other": ("Lớp khác", "Other layers"),
    "legend_empty": ("Chưa bật lớp nào.", "No layer is on."),
    "also_here": ("Cũng tại đây:", "Also here:"),
}

# Titles that name a place which may be a district, a former ward or a new ward.
PLACE_TITLE_WORDS: dict[str, tuple[str, str]] = {
    "report_figure": ("Các dự án GPMB — {place}", "Clearance projects — {place}"),
    "infra_subtitle": ("{place}, {period}", "{place}, {period}"),
    "atlas_ward": ("phường {ward}, {place}", "{ward} ward, {place}"),
}

# The dashboard's infrastructure section (the figures of /stats/infrastructure).
DASHBOARD_INFRA_WORDS: dict[str, tuple[str, str]] = {
    "heading": ("Hạ tầng, công trình công cộng và trật tự xây dựng",
                "Infrastructure, public facilities and construction order"),
    "lit_km": ("Ngõ được chiếu sáng", "Alleys lit"),
    "lit_detail": ("{lamps} bóng đèn; còn {unlit} km chưa chiếu sáng",
                   "{lamps} lamps; {unlit} km still unlit"),
    "width_min": ("ngõ rộng từ {width} m", "alleys {width} m wide or more"),
    "width_all": ("mọi ngõ", "all alleys"),
    "lamps": ("bóng", "lamps"),
    "asphalted": ("Đường được rải nhựa", "Asphalted streets"),
    "concreted": ("Đường, ngõ được bê tông hóa", "Concreted streets and alleys"),
    "in_period": ("{n} trong kỳ", "{n} in the period"),
    "permit_rate": ("Công trình có giấy phép xây dựng", "Constructions with a building permit"),
    "permit_detail": ("{permitted}/{constructions} công trình",
                      "{permitted} of {constructions} constructions"),
    "violations": ("Vi phạm trật tự xây dựng được kiểm soát",
                   "Construction-order violations controlled"),
    "violations_detail": ("{controlled}/{violations} vi phạm",
                          "{controlled} of {violations} violations"),
    "green_added": ("Diện tích cây xanh, mặt nước tăng thêm", "Green and water area added"),
    "green_detail": ("cây xanh {green}, mặt nước {water}", "green {green}, water {water}"),
    "target": ("Mục tiêu {bound}", "Target {bound}"),
    "target_col": ("Mục tiêu", "Target"),
    "met": ("đạt", "met"),
    "not_met": ("chưa đạt", "not met"),
    "public": ("Công trình công cộng hoàn thành trong kỳ", "Public facilities completed"),
    "kind": ("Loại công trình", "Kind"),
    "new": ("Xây mới", "New"),
    "renovation": ("Cải tạo", "Renovated"),
    "national_standard": ("Đạt chuẩn quốc gia", "National standard"),
    "total": ("Tổng", "Total"),
    "targets": ("Mục tiêu của chương trình", "Programme targets"),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "actual": ("Thực hiện", "Actual"),
    "assessment": ("Đánh giá", "Assessment"),
    "no_targets": ("Không có chương trình nào có mục tiêu trong kỳ này.",
                   "No programme sets targets for this period."),
    "report": ("Báo cáo hạ tầng", "Infrastructure report"),
    "failed": ("Không tải được số liệu hạ tầng.", "Could not load the infrastructure figures."),
}

# The approved 1/2000 zoning plans laid over the clearance map: panel, sliders, click lookup.
PLAN_OVERLAY_WORDS: dict[str, tuple[str, str]] = {
    "panel": ("Quy hoạch phân khu 1/2000", "1/2000 zoning plans"),
    "opacity": ("Độ trong suốt", "Opacity"),
    "here": ("Quy hoạch tại điểm chọn", "Planned here"),
    "none": ("Không có khu đất quy hoạch tại điểm này.", "No planned zone at this point."),
    "sheets": ("Bản đồ quy hoạch phủ điểm này", "Plan sheets here"),
    "plot": ("Ký hiệu lô", "Plot"),
    "density": ("Mật độ xây dựng", "Building density"),
    "floors": ("Tầng cao", "Height (floors)"),
    "far": ("Hệ số sử dụng đất", "Floor-area ratio"),
    "area": ("Diện tích lô", "Zone area"),
    "decision": ("Quyết định", "Decision"),
    "red_line": ("Chỉ giới đường đỏ gần nhất", "Nearest red line"),
    "failed": ("Không tra cứu được.", "Lookup failed."),
    "close": ("Đóng", "Close"),
    "legend": ("Chức năng sử dụng đất", "Land use"),
    "density_short": ("MĐXD", "coverage"),
    "floors_short": ("tầng", "floors"),
}

# Map exports: the caption of a PNG snapshot and the panel of a PDF sheet at an exact scale.
EXPORT_WORDS: dict[str, tuple[str, str]] = {
    "in_view": ("Trong phạm vi bản đồ, từ {from} đến {to}", "Within the map, {from} to {to}"),
    "in_ward": ("phường {ward}", "{ward} ward"),
    "as_of": ("theo tình trạng ngày {day}", "as it stood on {day}"),
    "caption_figures": ("{projects} dự án · phương án đã phê duyệt {approved}/{total} · "
                        "đất đã thu hồi {ha} ha",
                        "{projects} projects · plans approved {approved}/{total} · "
                        "land recovered {ha} ha"),
    "plan": ("Nền quy hoạch: {name}", "Plan backdrop: {name}"),
    "decision": ("Quyết định {decision} ngày {date}", "Decision {decision} of {date}"),
    "data_date": ("Số liệu cập nhật đến {date}", "Data as of {date}"),
    "exported": ("Xuất ngày {date}", "Exported on {date}"),
    "committee": ("UBND QUẬN {district}", "{district} DISTRICT PEOPLE'S COMMITTEE"),
    "place": ("Quận {district}, thành phố Hà Nội", "{district} district, Hanoi"),
    "scale_paper": ("Tỷ lệ 1:{scale} · khổ {paper}", "Scale 1:{scale} · {paper} paper"),
    "made_on": ("Ngày lập: {date}", "Drawn on {date}"),
    "sheet_legend": ("CHÚ GIẢI", "LEGEND"),
    "none_here": ("không có trong phạm vi tờ", "none on this sheet"),
    "sheet_figures": ("SỐ LIỆU GPMB TRONG PHẠM VI TỜ BẢN ĐỒ", "CLEARANCE FIGURES ON THIS SHEET"),
    "period": ("Từ {from} đến {to}", "From {from} to {to}"),
    "ward": ("Phường {ward}", "{ward} ward"),
    "as_of_line": ("Theo tình trạng ngày {day}", "As it stood on {day}"),
    "scale": ("TỶ LỆ 1:{scale}", "SCALE 1:{scale}"),
    "cm": ("1 cm trên bản đồ = {m} m ngoài thực địa", "1 cm on the map = {m} m on the ground"),
    "north": ("B", "N"),
    "true_north": ("Hướng bắc thực; độ hội tụ kinh tuyến {angle}",
                   "True north; meridian convergence {angle}"),
    "sources": ("NGUỒN", "SOURCES"),
    "source": ("Cơ sở dữ liệu quy hoạch quyhoach. {data}", "quyhoach planning database. {data}"),
    "grid": ("Hệ tọa độ VN-2000, kinh tuyến trục 105°00', múi chiếu 3° (EPSG:5897). "
             "Lưới ô vuông {interval} m; X: tọa độ bắc, Y: tọa độ đông (m).",
             "VN-2000 grid, central meridian 105°00', 3° zone (EPSG:5897). "
             "{interval} m grid; X northing, Y easting (m)."),
    "land_use": ("Quy hoạch sử dụng đất", "Planned land use"),
    "plan_sheet": ("Bản đồ quy hoạch 1/2000 (ảnh quét)", "1/2000 plan sheet (scan)"),
    "scale_auto": ("Tỷ lệ tự chọn để vừa khổ {paper}", "Scale chosen to fit {paper} paper"),
    "atlas_sheet": ("Tờ số {label}/{total}", "Sheet {label} of {total}"),
    "atlas_index": ("SƠ ĐỒ PHÂN MẢNH", "INDEX OF SHEETS"),
    "atlas_title": ("Sơ đồ phân mảnh — {unit}, tỷ lệ {scale}, khổ {paper}",
                    "Index of sheets — {unit}, scale {scale}, {paper} paper"),
    "atlas_count": ("{n} tờ; mỗi tờ {w} × {h} m ngoài thực địa",
                    "{n} sheets; each covers {w} × {h} m on the ground"),
    "unit_district": ("quận {name}", "{name} district"),
    "unit_ward": ("phường {name}, quận {district}", "{name} ward, {district} district"),
}


# Sign-in and sign-out (/login).
AUTH_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Đăng nhập — quyhoach", "Sign in — quyhoach"),
    "heading": ("Đăng nhập", "Sign in"),
    "name": ("Tên tài khoản", "Account name"),
    "password": ("Mật khẩu", "Password"),
    "submit": ("Đăng nhập", "Sign in"),
    "signed_in": ("Đang đăng nhập: {name} (vai trò {role}).", "Signed in as {name} (role {role})."),
    "sign_out": ("Đăng xuất", "Sign out"),
    "form_expired": ("Biểu mẫu đã hết hạn; hãy nhập lại.", "The form has expired; try again."),
    "missing": ("Hãy nhập tên tài khoản và mật khẩu.", "Give an account name and a password."),
    "other_lang": ("English", "Tiếng Việt"),
    "home": ("Trang chủ", "Home"),
}


# Search (/search and the map's search box).
SEARCH_WORDS: dict[str, tuple[str, str]] = {
    "empty": ("Hãy nhập nội dung tìm kiếm (tham số q).", "Give something to search for (q)."),
    "too_long": ("Nội dung tìm kiếm dài quá {max} ký tự.",
                 "The search text is longer than {max} characters."),
    "control": ("Nội dung tìm kiếm chứa ký tự điều khiển.",
                "The search text contains control characters."),
    "limit": ("limit phải là số nguyên từ 1 đến {max}.", "limit must be an integer from 1 to {max}."),
    "ref": ("Tờ {sheet}, thửa {parcel}", "Sheet {sheet}, parcel {parcel}"),
    "level_city": ("thành phố", "city"),
    "level_district": ("quận", "district"),
    "level_ward": ("phường", "ward"),
    "level_commune": ("xã", "commune"),
    "placeholder": ("Tìm phường, phố, dự án, tờ–thửa…", "Search ward, street, project, sheet–parcel…"),
    "none": ("Không tìm thấy.", "Nothing found."),
    "failed": ("Không tìm được.", "The search failed."),
}

# The planning information sheet of one parcel (thông tin quy hoạch thửa đất), JSON and PDF.
PLANNING_WORDS: dict[str, tuple[str, str]] = {
    "title": ("THÔNG TIN QUY HOẠCH THỬA ĐẤT", "PLANNING INFORMATION FOR A PARCEL"),
    "ref": ("Thửa đất số {parcel}, tờ bản đồ số {sheet}", "Parcel {parcel}, map sheet {sheet}"),
    "code": ("Mã thửa (phương án): {code}", "Parcel (plan) code: {code}"),
    "address": ("Địa chỉ: {address}", "Address: {address}"),
    "area": ("Diện tích: {m2} m²", "Area: {m2} m²"),
    "units": ("ĐƠN VỊ HÀNH CHÍNH", "ADMINISTRATIVE UNITS"),
    "unit_now": ("Hiện nay: {units}", "Today: {units}"),
    "unit_former": ("Trước đây: {units}", "Formerly: {units}"),
    "from": ("từ {date}", "from {date}"),
    "to": ("đến {date}", "until {date}"),
    "zones": ("QUY HOẠCH PHÂN KHU 1/2000", "1/2000 ZONING PLAN"),
    "zone": ("{code} — {use}{plot}: {m2} m² ({pct}%)", "{code} — {use}{plot}: {m2} m² ({pct}%)"),
    "plot": (", lô {name}", ", plot {name}"),
    "no_zone": ("Không thuộc khu đất quy hoạch 1/2000 nào trong cơ sở dữ liệu.",
                "In no 1/2000 zone on record."),
    "red_lines": ("CHỈ GIỚI ĐƯỜNG ĐỎ", "RED LINES"),
    "corridor": ("Trong chỉ giới đường đỏ {road}: {m2} m² ({pct}%)",
                 "Inside the red lines of {road}: {m2} m² ({pct}%)"),
    "no_corridor": ("Không nằm trong chỉ giới đường đỏ nào.", "Inside no red-line corridor."),
    "clearance": ("GIẢI PHÓNG MẶT BẰNG", "SITE CLEARANCE"),
    "project": ("Dự án {code} — {name} ({status})", "Project {code} — {name} ({status})"),
    "plan": ("Phương án bồi thường, hỗ trợ {code}: {status}",
             "Compensation plan {code}: {status}"),
    "no_clearance": ("Không thuộc dự án giải phóng mặt bằng nào.", "In no clearance project."),
    "staff_only": ("Số tiền bồi thường và tên người sử dụng đất chỉ cán bộ được xem.",
                   "Compensation amounts and land users' names are shown to staff only."),
    "sources": ("NGUỒN", "SOURCES"),
    "decision": ("{name}: Quyết định {decision} ngày {date}", "{name}: decision {decision} of {date}"),
    "red_line_source": ("Chỉ giới đường đỏ {road}: {ref}", "Red lines of {road}: {ref}"),
    "ground": ("Diện tích đo trên mặt đất (elipxoit WGS 84), từ tọa độ VN-2000.",
               "Areas measured on the ground (WGS 84 ellipsoid) from VN-2000 coordinates."),
    "reference": ("Thông tin để tham khảo, theo cơ sở dữ liệu tại ngày lập.",
                  "For reference, as the database stood on the day drawn."),
    "map": ("Trích lục bản đồ — tỷ lệ 1:{scale}", "Map extract — scale 1:{scale}"),
    "made_on": ("Ngày lập: {date}", "Drawn on {date}"),
    "no_ref": ("Không có thửa đất '{ref}'. Dùng số hiệu thửa hoặc tờ-thửa, ví dụ 12-345.",
               "No parcel '{ref}'. Give a parcel id or sheet-parcel, for example 12-345."),
    "no_parcel_here": ("Không có thửa đất nào tại điểm {lon}, {lat}.",
                       "There is no parcel at {lon}, {lat}."),
    "bad_point": ("lon và lat phải là kinh độ, vĩ độ (số) của một điểm trong Hà Nội.",
                  "lon and lat must be the longitude and latitude (numbers) of a point in Hanoi."),
    "bad_format": ("f phải là json hoặc pdf.", "f must be json or pdf."),
}

# CQL2 filters (`filter`, `filter-lang`, `filter-crs`): what a refused filter is told.
FILTER_WORDS: dict[str, tuple[str, str]] = {
    "lang": ("filter-lang '{value}' không được hỗ trợ; dùng cql2-text hoặc cql2-json.",
             "Unsupported filter-lang '{value}'; use cql2-text or cql2-json."),
    "crs": ("Hệ tọa độ '{value}' ở tham số filter-crs không được hỗ trợ. Dùng CRS84, EPSG:4326, "
            "EPSG:3857 hoặc EPSG:5897 (VN-2000 / TM-3 105°00').",
            "Unsupported CRS '{value}' in filter-crs. Use CRS84, EPSG:4326, EPSG:3857 or "
            "EPSG:5897 (VN-2000 / TM-3 105°00')."),
    "too_long": ("filter dài quá {max} ký tự.", "filter is longer than {max} characters."),
    "too_complex": ("filter lồng nhau quá sâu: tối đa {parens} mức ngoặc và {operators} phép "
                    "toán (+ - * / NOT).",
                    "filter is nested too deeply: at most {parens} levels of parentheses and "
                    "{operators} operators (+ - * / NOT)."),
    "syntax": ("filter không đúng cú pháp {encoding} tại dòng {line}, cột {column} (gần “{near}”): "
               "cần {expected}.",
               "filter is not valid {encoding} at line {line}, column {column} (near “{near}”): "
               "expected {expected}."),
    "json": ("filter không phải JSON hợp lệ (cql2-json) tại dòng {line}, cột {column}.",
             "filter is not valid JSON (cql2-json) at line {line}, column {column}."),
    "not_cql2": ("filter không phải một biểu thức {encoding} hợp lệ.",
                 "filter is not a valid {encoding} expression."),
    "property": ("Lớp {layer} không có thuộc tính '{name}' để lọc. Có thể lọc theo: {names}.",
                 "Collection {layer} has no queryable '{name}'. Queryables: {names}."),
    "staff": ("Chỉ cán bộ đăng nhập mới được lọc theo thuộc tính '{name}'.",
              "Only signed-in staff may filter on '{name}'."),
    "type": ("Kiểu không khớp ở phép {op}: {left} là {left_type}, {right} là {right_type}.",
             "Type mismatch in {op}: {left} is a {left_type}, {right} is a {right_type}."),
    "type_date": ("Kiểu không khớp ở phép {op}: {left} là {left_type}, {right} là {right_type}. "
                  "Ngày viết là DATE('YYYY-MM-DD').",
                  "Type mismatch in {op}: {left} is a {left_type}, {right} is a {right_type}. "
                  "Write a date as DATE('YYYY-MM-DD')."),
    "enum": ("{name} '{value}' không hợp lệ; các giá trị: {values}.",
             "{name} '{value}' is not valid; allowed: {values}."),
    "unsupported": ("Phép '{op}' không được hỗ trợ trong filter.",
                    "'{op}' is not supported in filter."),
    "arity": ("Phép {op} cần {n} đối số.", "{op} takes {n} argument(s)."),
    "not_condition": ("{what} không phải một điều kiện (đúng/sai).",
                      "{what} is not a condition (true/false)."),
    "null": ("Không so sánh với NULL; dùng IS NULL.", "Do not compare with NULL; use IS NULL."),
    "number": ("Số trong filter phải hữu hạn.", "Numbers in filter must be finite."),
    "list_place": ("Danh sách {what} chỉ dùng sau IN.", "The list {what} may only follow IN."),
    "in_list": ("IN cần một danh sách giá trị (chuỗi, số, ngày), ví dụ status IN ('a', 'b').",
                "IN takes a list of values (strings, numbers, dates), e.g. status IN ('a', 'b')."),
    "list_long": ("Danh sách IN dài quá {max} giá trị.", "The IN list has more than {max} values."),
    "string_function": ("{op} chỉ dùng cho chuỗi, không dùng cho {what}.",
                        "{op} applies to strings, not to {what}."),
    "date": ("Ngày '{value}' không hợp lệ (YYYY-MM-DD).", "'{value}' is not a valid date (YYYY-MM-DD)."),
    "timestamp": ("Các thuộc tính thời gian là ngày: dùng DATE('YYYY-MM-DD') thay cho TIMESTAMP.",
                  "Temporal attributes are dates: use DATE('YYYY-MM-DD') instead of TIMESTAMP."),
    "interval": ("INTERVAL cần hai đầu mút: ngày 'YYYY-MM-DD', '..' hoặc một thuộc tính ngày.",
                 "INTERVAL takes two ends: a 'YYYY-MM-DD' date, '..' or a date property."),
    "interval_place": ("INTERVAL chỉ dùng trong các phép T_… (T_DURING, T_INTERSECTS…).",
                       "INTERVAL may only be used in T_… functions (T_DURING, T_INTERSECTS…)."),
    "temporal": ("{what} không phải ngày hay khoảng thời gian; các phép T_… so sánh ngày.",
                 "{what} is not a date or interval; T_… functions compare dates."),
    "spatial": ("{what} không phải hình học; các phép S_… so sánh 'geometry' với một hình học.",
                "{what} is not a geometry; S_… functions compare 'geometry' with a geometry."),
    "geometry_place": ("Hình học {what} chỉ dùng trong các phép S_… (S_INTERSECTS…).",
                       "The geometry {what} may only be used in S_… functions (S_INTERSECTS…)."),
    "geometry_invalid": ("Hình học trong filter không hợp lệ (tọa độ sai, vòng không khép kín "
                         "hoặc tự cắt).",
                         "The geometry in filter is not valid (bad coordinates, an unclosed "
                         "ring or a self-intersection)."),
    "geometry_size": ("Hình học trong filter có quá {max} đỉnh.",
                      "The geometry in filter has more than {max} vertices."),
    "geometry_metres": ("Tọa độ hình học trong filter không phải kinh độ, vĩ độ. Nếu là mét "
                        "VN-2000, thêm filter-crs=EPSG:5897.",
                        "The geometry in filter is not in longitude/latitude. If its coordinates "
                        "are VN-2000 metres, add filter-crs=EPSG:5897."),
    "geometry_axis": ("Với filter-crs=EPSG:4326, tọa độ viết theo thứ tự vĩ độ, kinh độ "
                      "(ví dụ POINT(21.03 105.85)); CRS84, mặc định, là kinh độ, vĩ độ.",
                      "With filter-crs=EPSG:4326 coordinates are in latitude, longitude axis "
                      "order (e.g. POINT(21.03 105.85)); CRS84, the default, is longitude, "
                      "latitude."),
    "geometry_outside": ("Hình học trong filter nằm ngoài Hà Nội ({box}) khi đọc theo {crs}. "
                         "Kiểm tra filter-crs và thứ tự trục.",
                         "The geometry in filter lies outside Hanoi ({box}) when read in {crs}. "
                         "Check filter-crs and the axis order."),
}

# Layer downloads (`f=` of /items, `quyhoach download`): what a refused download is told.
DOWNLOAD_WORDS: dict[str, tuple[str, str]] = {
    "format": ("Định dạng f '{value}' không được hỗ trợ; các định dạng: {formats}.",
               "Unsupported format f '{value}'; formats: {formats}."),
    "crs": ("Định dạng {format} không ghi được theo hệ tọa độ {crs}; dùng: {allowed}.",
            "The {format} format cannot be written in {crs}; use: {allowed}."),
    "too_many": ("Lớp {layer}: lựa chọn có {count} đối tượng, vượt giới hạn tải xuống {max}. "
                 "Hãy thu hẹp bằng bbox, datetime hoặc filter (ví dụ filter=status = 'approved').",
                 "Collection {layer}: the selection holds {count} features, above the download "
                 "limit of {max}. Narrow it with bbox, datetime or filter (for example "
                 "filter=status = 'approved')."),
    "written": ("Đã ghi {count} đối tượng vào {path}", "Wrote {count} features to {path}"),
}

# The map's tools: swipe compare, measuring, the QGIS project button.
MAP_TOOL_WORDS: dict[str, tuple[str, str]] = {
    "swipe": ("So sánh hai lớp", "Swipe compare"),
    "swipe_left": ("Bên trái", "Left"),
    "swipe_right": ("Bên phải", "Right"),
    "swipe_off": ("Tắt so sánh", "Stop comparing"),
    "measure_distance": ("Đo khoảng cách", "Measure distance"),
    "measure_area": ("Đo diện tích", "Measure area"),
    "measure_clear": ("Xóa số đo", "Clear measurement"),
    "measure_hint": ("Nhấp để thêm điểm, nhấp đúp để kết thúc.",
                     "Click to add points, double-click to finish."),
    "distance": ("Khoảng cách: {m} m", "Distance: {m} m"),
    "area": ("Diện tích: {m2} m² ({ha} ha)", "Area: {m2} m² ({ha} ha)"),
    "qgis": ("Mở trong QGIS", "Open in QGIS"),
    "plan": ("Bản đồ quy hoạch", "Plan sheet"),
}

# Editing on the map (signed-in editors); field labels and coded values come from the catalogue.
EDIT_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Biên tập", "Editing"),
    "user": ("{name} ({role})", "{name} ({role})"),
    "role_editor": ("biên tập viên", "editor"),
    "role_admin": ("quản trị viên", "administrator"),
    "new_project": ("Vẽ dự án mới", "Draw a new project"),
    "draw_hint": ("Nhấp để thêm đỉnh (đỉnh bắt dính vào thửa đất và chỉ giới đường đỏ); nhấp "
                  "vào đỉnh đầu tiên để khép vùng.",
                  "Click to add vertices (they snap to parcels and red lines); click the first "
                  "vertex to close the shape."),
    "reshape_hint": ("Kéo các đỉnh để sửa ranh giới; đỉnh bắt dính vào thửa đất và chỉ giới "
                     "đường đỏ.",
                     "Drag the vertices to reshape the boundary; they snap to parcels and red "
                     "lines."),
    "first_vertex": ("Nhấp để đặt đỉnh đầu tiên", "Click to place the first vertex"),
    "continue_line": ("Nhấp để vẽ tiếp", "Click to continue drawing"),
    "finish_poly": ("Nhấp vào đỉnh đầu tiên để khép vùng", "Click the first vertex to finish"),
    "new_feature": ("{layer} — đối tượng mới", "{layer} — new feature"),
    "feature": ("{layer} — số {id}", "{layer} — no. {id}"),
    "edit": ("Sửa", "Edit"),
    "delete": ("Xóa", "Delete"),
    "next_status": ("Chuyển sang: {status}", "Move to: {status}"),
    "next_step": ("Chuyển bước tiếp…", "Next step…"),
    "save": ("Lưu", "Save"),
    "close": ("Đóng", "Close"),
    "cancel": ("Hủy", "Cancel"),
    "loading": ("Đang tải…", "Loading…"),
    "saving": ("Đang lưu…", "Saving…"),
    "saved": ("Đã lưu.", "Saved."),
    "created": ("Đã tạo đối tượng số {id}.", "Feature {id} created."),
    "deleted": ("Đã xóa đối tượng số {id}.", "Feature {id} deleted."),
    "moved": ("Đã chuyển sang: {status}.", "Moved to: {status}."),
    "unchanged": ("Chưa có gì thay đổi.", "Nothing has changed."),
    "failed": ("Không thực hiện được (mã {status}).", "The request failed (status {status})."),
    "offline": ("Không kết nối được máy chủ.", "The server cannot be reached."),
    "signed_out": ("Phiên đăng nhập đã hết; hãy đăng nhập lại.",
                   "Your session has ended; sign in again."),
    "history_field": ("Do lịch sử trạng thái ghi.", "Kept by the status history."),
    "required": ("bắt buộc", "required"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "blank": ("—", "—"),
    "confirm_delete": ("Xóa {layer} «{name}» (số {id})? Quản trị viên có thể khôi phục từ nhật "
                       "ký thay đổi.",
                       "Delete {layer} “{name}” (no. {id})? An administrator can restore it "
                       "from the audit log."),
    "confirm_status": ("Chuyển phương án «{name}» từ «{from}» sang «{to}»? Phương án không quay "
                       "lại bước trước.",
                       "Move plan “{name}” from “{from}” to “{to}”? A plan never moves back."),
    "status_date": ("Ngày của bước mới", "Date of the new step"),
    "last_step": ("Phương án đã ở bước cuối.", "The plan is at its last step."),
    "changed_meanwhile": ("Đối tượng vừa được người khác sửa; đây là bản hiện tại, hãy xác nhận "
                          "lại.",
                          "The feature was just changed by someone else; this is its current "
                          "version, confirm again."),
    "conflict": ("Người khác đã sửa đối tượng này sau khi bạn mở nó.",
                 "Someone else changed this feature after you opened it."),
    "conflict_help": ("So sánh hai bản rồi chọn; chưa có gì bị ghi đè.",
                      "Compare both versions and choose; nothing has been overwritten."),
    "field": ("Thuộc tính", "Attribute"),
    "mine": ("Bản của bạn", "Your version"),
    "theirs": ("Bản trên máy chủ", "Server's version"),
    "geometry": ("Hình học", "Geometry"),
    "mine_on_map": ("nét cam trên bản đồ", "orange on the map"),
    "theirs_on_map": ("nét tím trên bản đồ", "purple on the map"),
    "keep_mine": ("Giữ bản của tôi", "Keep mine"),
    "take_theirs": ("Lấy bản trên máy chủ", "Take the server's"),
}

# The infrastructure report (quyhoach report --topic infrastructure, /reports/infrastructure);
# coded values come from the layer catalogue.
INFRA_WORDS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO HẠ TẦNG KỸ THUẬT, CÔNG TRÌNH CÔNG CỘNG VÀ TRẬT TỰ XÂY DỰNG",
              "TECHNICAL INFRASTRUCTURE, PUBLIC FACILITIES AND CONSTRUCTION ORDER"),
    "subtitle": ("Quận {district}, {period}", "{district} district, {period}"),
    "ward_line": ("Phường {ward}", "{ward} ward"),
    "as_of_line": ("Số liệu đến hết ngày {day}", "Figures as of the end of {day}"),
    "state_now": ("Số liệu theo cơ sở dữ liệu tại ngày lập báo cáo",
                  "Figures as the database stands on the day of the report"),
    "h_targets": ("1. Kết quả so với mục tiêu của chương trình",
                  "1. Results against the programme's targets"),
    "programme": ("Theo {title}.", "Under {title}."),
    "no_targets": ("Kỳ báo cáo không có mục tiêu của chương trình nào.",
                   "No programme target covers this period."),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "target": ("Mục tiêu", "Target"),
    "actual": ("Kết quả", "Result"),
    "assessment": ("Đánh giá", "Assessment"),
    "met_yes": ("Đạt", "Met"),
    "met_no": ("Chưa đạt", "Not met"),
    "bound_min": ("từ {min} trở lên", "at least {min}"),
    "bound_max": ("không quá {max}", "at most {max}"),
    "bound_range": ("từ {min} đến {max}", "{min} to {max}"),
    "t_permit_rate_pct": ("Tỷ lệ công trình xây dựng có giấy phép",
                          "Constructions with a building permit"),
    "t_violations_controlled_pct": ("Tỷ lệ vi phạm trật tự xây dựng được kiểm soát",
                                    "Violations of construction order controlled"),
    "t_green_water_added_ha": ("Diện tích mặt nước, vườn hoa cây xanh tăng thêm",
                               "Water surface and green space added"),
    "t_schools_national_standard": ("Trường đạt chuẩn quốc gia",
                                    "Schools reaching the national standard"),
    "t_new_schools": ("Trường học xây mới hoàn thành", "New schools completed"),
    "t_health_stations": ("Trạm y tế phường {ward} hoàn thành",
                          "Health station of {ward} ward completed"),
    "t_alleys_lit_pct": ("Chiều dài ngõ có mặt cắt từ {width} m trở lên được chiếu sáng",
                         "Length of alleys at least {width} m wide that is lit"),
    "h_roads": ("2. Đường, ngõ, xóm", "2. Streets and alleys"),
    "roads_text": ("Đến hết ngày {day}, trên địa bàn có {asphalt} tuyến phố thảm nhựa và "
                   "{concrete} đường, ngõ, xóm bê tông hóa.",
                   "By the end of {day}, {asphalt} streets were asphalted and {concrete} streets "
                   "and alleys concreted."),
    "surface": ("Mặt đường", "Surface"),
    "not_surfaced": ("Chưa thảm nhựa, bê tông hóa", "Not yet surfaced"),
    "count_end": ("Số tuyến đến cuối kỳ", "At the period's end"),
    "in_period": ("Làm trong kỳ", "Surfaced in the period"),
    "km": ("Chiều dài (km)", "Length (km)"),
    "h_lighting": ("3. Chiếu sáng ngõ, xóm", "3. Alley lighting"),
    "lighting_text": ("Ngõ, xóm có mặt cắt từ {width} m trở lên: {lit} km đã được chiếu sáng "
                      "với {lamps} bóng ({added} km lắp trong kỳ); còn {unlit} km chưa được "
                      "chiếu sáng.",
                      "Alleys {width} m wide or more: {lit} km lit with {lamps} lamps ({added} km "
                      "lit in the period); {unlit} km not yet lit."),
    "width": ("Mặt cắt", "Width"),
    "width_all": ("Mọi bề rộng", "All widths"),
    "width_min": ("Từ {width} m trở lên", "{width} m and wider"),
    "lit_km": ("Đã chiếu sáng (km)", "Lit (km)"),
    "lamps": ("Số bóng", "Lamps"),
    "unlit_km": ("Chưa chiếu sáng (km)", "Unlit (km)"),
    "lit_in_period_km": ("Chiếu sáng trong kỳ (km)", "Lit in the period (km)"),
    "lamps_in_period": ("Bóng lắp trong kỳ", "Lamps added in the period"),
    "lit_pct": ("Tỷ lệ chiều dài được chiếu sáng", "Share of length lit"),
    "h_public": ("4. Công trình công cộng hoàn thành trong kỳ",
                 "4. Public facilities completed in the period"),
    "kind": ("Loại", "Kind"),
    "new": ("Xây mới", "New"),
    "renovation": ("Cải tạo, nâng cấp", "Renovated"),
    "built": ("Tổng số", "Total"),
    "national_standard": ("Đạt chuẩn quốc gia trong kỳ", "National standard reached"),
    "h_planned": ("Công trình theo kế hoạch của kỳ", "Works planned for the period"),
    "name": ("Tên công trình", "Name"),
    "ward": ("Phường", "Ward"),
    "planned_year": ("Năm kế hoạch", "Planned year"),
    "completed_on": ("Hoàn thành", "Completed"),
    "state": ("Tình trạng", "State"),
    "done": ("Đã hoàn thành", "Completed"),
    "not_done": ("Chưa hoàn thành", "Not completed"),
    "standard_done": ("đạt chuẩn quốc gia ngày {day}", "national standard on {day}"),
    "standard_due": ("phấn đấu đạt chuẩn quốc gia năm {year}, chưa đạt",
                     "national standard set for {year}, not reached"),
    "h_permits": ("5. Cấp phép và trật tự xây dựng", "5. Building permits and construction order"),
    "year": ("Năm khởi công", "Year started"),
    "constructions": ("Công trình", "Constructions"),
    "permitted": ("Có giấy phép", "With a permit"),
    "permit_rate": ("Tỷ lệ có phép", "Permit rate"),
    "violations": ("Vi phạm", "Violations"),
    "controlled": ("Đã xử lý", "Handled"),
    "controlled_pct": ("Tỷ lệ kiểm soát", "Controlled"),
    "h_green": ("6. Vườn hoa, cây xanh, mặt nước", "6. Green spaces and water surfaces"),
    "green_text": ("Trong kỳ tăng thêm {added} vườn hoa, cây xanh và mặt nước ({green} cây xanh, "
                   "{water} mặt nước); {gardens} vườn hoa, tiểu cảnh và {medians} dải phân cách "
                   "được duy tu, duy trì.",
                   "{added} of green space and water surface was added in the period ({green} "
                   "green, {water} water); {gardens} flower gardens and landscape features and "
                   "{medians} median strips were maintained."),
    "added": ("Tăng thêm", "Added"),
    "added_ha": ("Diện tích tăng thêm (ha)", "Area added (ha)"),
    "maintained": ("Duy tu, duy trì", "Maintained"),
    "maintained_ha": ("Diện tích duy trì (ha)", "Area maintained (ha)"),
    "h_facilities": ("7. Cơ sở sản xuất trong khu dân cư", "7. Workshops in residential areas"),
    "facilities_text": ("Danh sách {woodworking} cơ sở sản xuất đồ mộc, {laundry} cơ sở giặt là, "
                        "{metalwork} cơ sở gia công cơ khí, sắt vụn theo từng phường.",
                        "The list holds {woodworking} woodworking shops, {laundry} laundries and "
                        "{metalwork} metalwork and scrap yards, by ward."),
    "total": ("Tổng cộng", "Total"),
    "none": ("Không có.", "None."),
    "definitions": (
        "Cách tính: mỗi đối tượng thuộc phường chứa điểm đại diện của nó; số tuyến, chiều dài, "
        "chiếu sáng là trạng thái đến cuối kỳ theo ngày thảm nhựa, bê tông hóa và ngày lắp đèn; "
        "chiều dài, diện tích đo trên mặt đất (elipxoit WGS 84); tỷ lệ có phép tính trên các "
        "công trình khởi công trong kỳ; vi phạm là công trình không phép hoặc sai phép, được "
        "kiểm soát khi đã xử lý trước cuối kỳ; mục tiêu lấy từ chương trình của quận có thời "
        "gian trùng với kỳ báo cáo.",
        "Definitions: a feature belongs to the ward holding its representative point; counts, "
        "lengths and lighting are the state at the period's end from the surfacing and lighting "
        "dates; lengths and areas are measured on the ground (WGS 84 ellipsoid); the permit rate "
        "counts the constructions started in the period; a violation is a construction without "
        "a permit or not built as permitted, controlled when handled by the period's end; the "
        "targets are those of the district's programmes that overlap the period."),
    "generated": ("Số liệu được tính từ cơ sở dữ liệu ngày {day}.",
                  "Figures computed from the database on {day}."),
    "sheet_report": ("Báo cáo", "Report"),
    "written": ("Đã ghi báo cáo: {path}", "Report written to {path}"),
}

def pick(pair: tuple[str, str], lang: str) -> str:
    """The Vietnamese or English member of a (vi, en) pair."""
    return pair[1] if lang == "en" else pair[0]


def phrase(table: dict[str, tuple[str, str]], key: str, lang: str, **values: Any) -> str:
    """A (vi, en) phrase of a table in a language, with its {placeholders} filled."""
    s = pick(table[key], lang)
    for name, value in values.items():
        s = s.replace("{" + name + "}", str(value))
    return s


def text(key: str, lang: str, **values: Any) -> str:
    """A page string in a language, with its placeholders filled."""
    return phrase(TEXT, key, lang, **values)


def district_name(slug: str) -> str:
    """Display name of a district slug."""
    return DISTRICTS.get(slug, slug.replace("-", " ").title())


def report_word(key: str, lang: str, **values: Any) -> str:
    """A phrase of the semi-annual report in a language, with its placeholders filled."""
    return phrase(REPORT_WORDS, key, lang, **values)


# Administrative units: a level's word, and a name with the period it holds for.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "city": ("thành phố {name}", "{name} city"), "district": ("quận {name}", "{name} district"),
    "ward": ("phường {name}", "{name} ward"), "commune": ("xã {name}", "{name} commune"),
    "since": ("{unit} (từ {day})", "{unit} (from {day})"),
    "until": ("{unit} (đến {day})", "{unit} (until {day})"),
    "unknown": ("Không có đơn vị hành chính '{id}'. Danh sách các đơn vị của một ngày: "
                "/units?on=YYYY-MM-DD.",
                "Unknown administrative unit '{id}'. The units of a day: /units?on=YYYY-MM-DD."),
    "ceased": ("{unit} không còn từ {day}; địa bàn nay thuộc: {successors}. Xem /units/{id}.",
               "{unit} no longer exists from {day}; its area now belongs to: {successors}. "
               "See /units/{id}."),
}


def unit_label(unit: dict[str, Any], lang: str = "vi",
               period: tuple[dt.date, dt.date] | None = None) -> str:
    """A unit's name with its level and, unless it held for the whole period, its validity."""
    name = phrase(UNIT_WORDS, unit["level"], lang, name=unit["name"])
    start = dt.date.fromisoformat(str(unit["valid_from"])[:10])
    end = dt.date.fromisoformat(str(unit["valid_to"])[:10]) if unit.get("valid_to") else None
    if end is not None and (period is None or period[1] > end):
        return phrase(UNIT_WORDS, "until", lang, unit=name, day=day_text(end, lang))
    if period is None or period[0] < start:
        return phrase(UNIT_WORDS, "since", lang, unit=name, day=day_text(start, lang))
    return name


def place_label(stats: dict[str, Any], lang: str = "vi") -> str:
    """The place of a set of figures: its unit named for their period, or a ward's district."""
    period = (dt.date.fromisoformat(str(stats["from"])[:10]),
              dt.date.fromisoformat(str(stats["to"])[:10]))
    if stats.get("unit") and not stats.get("ward"):
        return unit_label(stats["unit"], lang, period)
    return phrase(UNIT_WORDS, "district", lang, name=district_name(stats["district"]))


# The pages and prints named by their unit; the unit picker, the period controls and the
# succession page ("where did this ward come from"); `quyhoach units`.
UNIT_VIEW_WORDS: dict[str, tuple[str, str]] = {
    "map_title": ("Bản đồ giải phóng mặt bằng — {place}", "Site-clearance map — {place}"),
    "summary_title": ("Tiến độ GPMB — {place}", "Site clearance — {place}"),
    "dashboard_title": ("Tiến độ giải phóng mặt bằng — {place}",
                        "Site-clearance progress — {place}"),
    "committee": ("UBND {unit}", "{unit} PEOPLE'S COMMITTEE"),
    "ward_of": ("{ward}, {district}", "{ward}, {district}"),
    "sheet_place": ("{place}, thành phố Hà Nội", "{place}, Hanoi"),
    "control": ("Đơn vị, kỳ số liệu", "Unit and period"),
    "picker": ("Đơn vị hành chính", "Administrative unit"),
    "current": ("Hiện nay (từ {day})", "Today (since {day})"),
    "whole_area": ("{unit} — toàn địa bàn", "{unit} — whole area"),
    "former": ("Đơn vị cũ", "Former units"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "presets": ("Kỳ có sẵn…", "Preset periods…"),
    "programme": ("{district}: {period}", "{district}: {period}"),
    "year": ("Năm {year}", "Year {year}"),
    "apply": ("Xem", "Show"),
    "former_layer": ("Ranh giới hành chính cũ (đến {day})", "Former boundaries (until {day})"),
    "origin_link": ("Nguồn gốc đơn vị, tỷ lệ diện tích", "Where the unit came from, area shares"),
    "page_title": ("Nguồn gốc và kế thừa — {unit}", "Succession — {unit}"),
    "validity_since": ("Hiệu lực từ {from}", "Valid from {from}"),
    "validity_range": ("Hiệu lực từ {from} đến {to}", "Valid from {from} to {to}"),
    "area": ("Diện tích: {ha}", "Area: {ha}"),
    "h_predecessors": ("Hình thành từ", "Formed from"),
    "h_successors": ("Địa bàn nay thuộc", "Its area now belongs to"),
    "none_before": ("Không có đơn vị nào trước đó được ghi nhận.", "No earlier unit is recorded."),
    "none_after": ("Chưa có đơn vị kế thừa.", "No successor is recorded."),
    "col_unit": ("Đơn vị", "Unit"),
    "col_taken": ("Nhập", "Taken"),
    "whole": ("toàn bộ", "whole"),
    "part": ("một phần", "part"),
    "col_shared": ("Diện tích (ha)", "Area (ha)"),
    "col_unit_share": ("Tỷ lệ diện tích của {unit}", "Share of the area of {unit}"),
    "col_old_share": ("Tỷ lệ diện tích của đơn vị cũ", "Share of the old unit's area"),
    "col_new_share": ("Tỷ lệ diện tích của đơn vị mới", "Share of the new unit's area"),
    "total": ("Tổng", "Total"),
    "levels.city": ("Thành phố", "City"),
    "levels.district": ("Quận, huyện", "Districts"),
    "levels.ward": ("Phường", "Wards"),
    "levels.commune": ("Xã", "Communes"),
    "method": ("Tỷ lệ tính từ ranh giới các đơn vị, diện tích đo trên mặt đất (elipxoit WGS 84).",
               "Shares computed from the units' boundaries, areas measured on the ground "
               "(WGS 84 ellipsoid)."),
    "open_map": ("Xem trên bản đồ", "On the map"),
    "figures": ("Số liệu giải phóng mặt bằng", "Clearance figures"),
    "language": ("English", "Tiếng Việt"),
    # quyhoach units import / succession add
    "no_name_column": ("Tệp không có cột tên đơn vị (đã tìm: {tried}); các cột: {columns}. "
                       "Chỉ rõ bằng --name-column.",
                       "The file has no unit name column (looked for: {tried}); its columns: "
                       "{columns}. Name it with --name-column."),
    "no_column": ("Tệp không có cột {column}; các cột: {columns}.",
                  "The file has no column {column}; its columns: {columns}."),
    "unknown_parent": ("Không có đơn vị cấp trên '{id}' (xem /units).",
                       "No parent unit '{id}' (see /units)."),
    "no_name": ("tên đơn vị trống", "the unit's name is empty"),
    "bad_id": ("mã '{id}' không hợp lệ (chữ thường không dấu, số, '-' và '.')",
               "id '{id}' is not valid (lowercase ASCII letters, digits, '-' and '.')"),
    "duplicate_id": ("mã '{id}' trùng với dòng {other}", "id '{id}' repeats row {other}"),
    "existing_id": ("đã có đơn vị mã '{id}' (thay bằng --replace, hoặc đặt mã khác bằng "
                    "--id-column)",
                    "unit '{id}' already exists (replace it with --replace, or give other ids "
                    "with --id-column)"),
    "refused": ("Không nhập: {n} dòng không hợp lệ, chưa ghi gì vào cơ sở dữ liệu.",
                "Nothing imported: {n} invalid rows, nothing was written."),
    "imported": ("Đã nhập {n} đơn vị cấp {level} có hiệu lực từ {day} vào admin_units.",
                 "Imported {n} {level} units valid from {day} into admin_units."),
    "checked": ("Kiểm tra xong: {n} đơn vị cấp {level} hợp lệ; chưa ghi gì (--dry-run).",
                "Checked: {n} valid {level} units; nothing written (--dry-run)."),
    "empty": ("Tệp không có đối tượng nào.", "The file holds no feature."),
    "write_failed": ("Cơ sở dữ liệu từ chối dữ liệu; chưa ghi gì.",
                     "The database refused the data; nothing was written."),
    "same_unit": ("Một đơn vị không thể kế thừa chính nó.", "A unit cannot succeed itself."),
    "not_later": ("{new} (từ {new_from}) không bắt đầu sau {old} (từ {old_from}).",
                  "{new} (from {new_from}) does not start after {old} (from {old_from})."),
    "no_overlap": ("{new} và {old} không có phần diện tích chung.",
                   "{new} and {old} share no area."),
    "succession_added": ("{new} nhận {share} diện tích của {old} ({unit_share} diện tích {new}).",
                         "{new} took {share} of the area of {old} ({unit_share} of {new})."),
}


def view_words(lang: str) -> dict[str, str]:
    """The unit and period controls' words in one language."""
    return {k: pick(v, lang) for k, v in UNIT_VIEW_WORDS.items()}


def view_place(district: str, ward: str | None, unit: dict[str, Any] | None,
               date_from: dt.date, date_to: dt.date, lang: str = "vi") -> str:
    """The place a page or print shows, named for its period (quận Long Biên, phường Bồ Đề...)."""
    return place_label({"district": district, "ward": ward, "unit": unit, "from": date_from,
                        "to": date_to}, lang)


def capitalised(s: str) -> str:
    """The text with its first letter in upper case (a place opening a line)."""
    return s[:1].upper() + s[1:]


# --- numbers, amounts, areas and dates as a reader writes them ------------------------------
# One set of rules for every output; maps/static/quyhoach-format.js mirrors them for the browser
# (tests/test_formats.py checks that both write the same strings).

# Thousands separator and decimal mark of each language.
MARKS: dict[str, tuple[str, str]] = {"vi": (".", ","), "en": (",", ".")}
# Where an amount of đồng changes unit, the digits it keeps, and the unit's words.
AMOUNT_UNITS: dict[str, tuple[str, str]] = {
    "billion": ("tỷ đồng", "billion VND"),
    "million": ("triệu đồng", "million VND"),
    "dong": ("đồng", "VND"),
}


def _fixed(value: float, digits: int) -> str:
    """`value` with `digits` decimals, halves rounded away from zero (as JavaScript's toFixed)."""
    d = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    s = f"{d:f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.") else s


def number(value: Any, digits: int = 0, lang: str = "vi") -> str:
    """A number as the reader writes it: 1.315 and 3,80 in Vietnamese; 1,315 and 3.80 in English."""
    if value is None or value == "":
        return ""
    x = float(value)
    if not math.isfinite(x):
        return ""
    sep, dec = MARKS.get(lang, MARKS["vi"])
    whole, _, frac = _fixed(x, digits).partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = [whole[max(0, i - 3):i] for i in range(len(whole), 0, -3)][::-1]
    return sign + sep.join(groups) + (dec + frac if frac else "")


def count(value: Any, lang: str = "vi") -> str:
    """A count: whole, never zero-padded (0, 7, 1.315)."""
    return number(value, 0, lang)


def ratio(part: Any, whole: Any, lang: str = "vi") -> str:
    """Part of a whole, as 405/1.315."""
    return f"{count(part, lang)}/{count(whole, lang)}"


def hectares(value: Any, lang: str = "vi", digits: int = 2) -> str:
    """An area in hectares with its unit: 3,80 ha."""
    s = number(value, digits, lang)
    return f"{s} ha" if s else ""


def percent(value: Any, lang: str = "vi", digits: int = 1) -> str:
    """A percentage: 45,5%."""
    s = number(value, digits, lang)
    return f"{s}%" if s else ""


def billions(value: Any, lang: str = "vi", digits: int = 1) -> str:
    """An amount of đồng in billions, for a column whose header names the unit."""
    if value is None or value == "":
        return ""
    return number(float(value) / 1e9, digits, lang)


def amount(value: Any, lang: str = "vi") -> str:
    """An amount of đồng in the unit a reader expects: 182,9 tỷ đồng, 260 triệu đồng, 850.000 đồng."""
    if value is None or value == "":
        return ""
    vnd = float(value)
    size = abs(vnd)
    # The unit is chosen on the amount as it will be written: 999,96 triệu is 1,00 tỷ.
    if size >= 1e9 or abs(float(_fixed(vnd / 1e6, 0))) >= 1000:
        digits = 1 if size >= 1e10 else 2
        return f"{number(vnd / 1e9, digits, lang)} {pick(AMOUNT_UNITS['billion'], lang)}"
    if size >= 999_999.5:
        digits = 0 if size >= 1e8 else 1
        return f"{number(vnd / 1e6, digits, lang)} {pick(AMOUNT_UNITS['million'], lang)}"
    return f"{number(vnd, 0, lang)} {pick(AMOUNT_UNITS['dong'], lang)}"


def scale_text(denominator: int, lang: str = "vi") -> str:
    """A map scale: 1:25.000 (Vietnamese), 1:25,000 (English)."""
    return f"1:{count(denominator, lang)}"


# Vietnamese collation: ă â đ ê ô ơ ư are letters of their own; the tones weigh only when the
# letters are equal, in the order ICU's Vietnamese collation ("vi-x-icu" in PostgreSQL) uses.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_SHAPES = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
           ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def sort_key(name: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]:
    """Key that sorts names as a Vietnamese reader does: Bạch Mai, Bùi Thị Xuân, …, Đức Giang."""
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    for ch in unicodedata.normalize("NFD", name):
        if unicodedata.combining(ch):
            if ch in _TONES and tones:
                tones[-1] = _TONES[ch]
            elif primary and primary[-1][0] == 2:
                base = _ALPHABET[primary[-1][1]]
                shaped = _SHAPES.get((base, ch))
                if shaped:
                    primary[-1] = (2, _ALPHABET.index(shaped))
            continue
        low = ch.lower()
        if low == "đ":
            primary.append((2, _ALPHABET.index("đ")))
        elif low in _ALPHABET:
            primary.append((2, _ALPHABET.index(low)))
        elif ch.isdigit():
            primary.append((1, int(ch)))
        else:
            primary.append((0, ord(ch)))
        tones.append(0)
        cases.append(0 if ch == low else 1)
    return tuple(primary), tuple(tones), tuple(cases)


def sorted_names(names: Any) -> list[str]:
    """Names in Vietnamese alphabetical order."""
    return sorted(names, key=sort_key)


def day_text(value: Any, lang: str = "vi") -> str:
    """A date as dd/mm/yyyy (Vietnamese) or ISO (English); empty for no date."""
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


def js_strings(lang: str) -> dict[str, Any]:
    """Everything the page's script needs to label popups and the summary, in one language."""
    return {
        "text": {k: pick(v, lang) for k, v in TEXT.items()},
        "fields": {k: pick(v, lang) for k, v in FIELDS.items()},
        "districts": DISTRICTS,
        "tools": {k: pick(v, lang) for k, v in MAP_TOOL_WORDS.items()},
    }


# Folium compiles the rendered markup and script of its elements as Jinja templates again, so
# a "{{", "{%" or "{#" reaching them from the data would be evaluated on the server.
_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")


def html_text(value: Any) -> str:
    """A string for an HTML page, shown as text: markup escaped, braces as character references."""
    return escape(str(value)).replace("{", "&#123;").replace("}", "&#125;")


def script_json(value: Any) -> str:
    """JSON for an inline script: no "</script>", no template opener (both escaped in strings)."""
    # Outside strings JSON has "{" only before '"' or "}", so every match lies within a string.
    return _TEMPLATE_OPENER.sub(r"\\u007b", orjson.dumps(value).decode().replace("<", "\\u003c"))


def ascii_fold(text: str) -> str:
    """The text without diacritics (đ as d), for matching names typed with or without accents."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
