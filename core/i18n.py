"""Words of the map a planner reads, in Vietnamese and English."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
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

# Attribute labels of the popups.
FIELDS: dict[str, tuple[str, str]] = {
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "district": ("Quận", "District"),
    "ward": ("Phường", "Ward"),
    "funding": ("Nguồn vốn", "Funding"),
    "status": ("Trạng thái", "Status"),
    "is_key": ("Dự án trọng điểm", "Key project"),
    "has_complaints": ("Có đơn thư", "Complaints pending"),
    "started_on": ("Ngày triển khai", "Started on"),
    "target_date": ("Thời hạn hoàn thành", "Target date"),
    "completed_on": ("Ngày hoàn thành", "Completed on"),
    "ahead_of_schedule": ("Vượt tiến độ", "Ahead of schedule"),
    "area_ha": ("Diện tích", "Area"),
    "plans": ("Phương án đã phê duyệt / tổng số", "Plans approved / total"),
    "recovered_ha": ("Diện tích đã thu hồi", "Land recovered"),
    "recovered_pct": ("Tỷ lệ diện tích đã thu hồi", "Share of area recovered"),
    "compensation_vnd": ("Kinh phí bồi thường, hỗ trợ", "Compensation and support"),
    "projects.compensation_vnd": ("Kinh phí bồi thường, hỗ trợ đã chi trả", "Compensation paid"),
    "project_code": ("Mã dự án", "Project code"),
    "project_name": ("Dự án", "Project"),
    "land_user_kind": ("Đối tượng sử dụng đất", "Land user"),
    "drafted_on": ("Ngày lập phương án", "Drafted on"),
    "published_on": ("Ngày công khai", "Published on"),
    "approved_on": ("Ngày phê duyệt", "Approved on"),
    "paid_on": ("Ngày chi trả", "Paid on"),
    "handed_over_on": ("Ngày bàn giao mặt bằng", "Handed over on"),
    "road": ("Tuyến đường", "Road"),
    "plan_ref": ("Quy hoạch được duyệt", "Approved plan"),
    "length_m": ("Chiều dài", "Length"),
    "surveyed_on": ("Ngày đo đạc", "Surveyed on"),
    # VN-2000 convention: X is the northing, Y the easting.
    "northing_m": ("Tọa độ X (VN-2000, m)", "Northing X (VN-2000, m)"),
    "easting_m": ("Tọa độ Y (VN-2000, m)", "Easting Y (VN-2000, m)"),
    "works": ("Hạng mục", "Works"),
    "kind": ("Loại tuyến", "Kind"),
    "year_recognised": ("Năm công nhận", "Year recognised"),
}

# What each layer's popup lists, after its title (projects have their own layout in JS).
POPUP_FIELDS: dict[str, tuple[str, ...]] = {
    "wards": ("district", "area_ha"),
    "projects": ("code", "funding", "status", "plans", "recovered_ha", "recovered_pct",
                 "compensation_vnd", "area_ha", "is_key", "has_complaints", "started_on",
                 "target_date", "completed_on"),
    "parcels": ("project_name", "project_code", "land_user_kind", "status", "area_ha",
                "compensation_vnd", "drafted_on", "published_on", "approved_on", "paid_on",
                "handed_over_on"),
    "red_lines": ("district", "plan_ref", "length_m"),
    "red_line_markers": ("road", "status", "northing_m", "easting_m", "surveyed_on"),
    "lakes": ("works", "status", "area_ha", "completed_on"),
    "civilized_streets": ("ward", "kind", "status", "year_recognised", "length_m"),
}

# The property that titles each layer's popup.
POPUP_TITLE: dict[str, str] = {
    "wards": "name", "projects": "name", "parcels": "code", "red_lines": "road",
    "red_line_markers": "code", "lakes": "name", "civilized_streets": "name",
}

# Coded values, per layer and property.
VALUES: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "projects": {
        "status": {
            "planned": ("Chuẩn bị triển khai", "Planned"),
            "in_progress": ("Đang thực hiện", "In progress"),
            "completed": ("Đã hoàn thành", "Completed"),
            "suspended": ("Tạm dừng", "Suspended"),
        },
        "funding": {
            "budget": ("Vốn ngân sách", "Budget-funded"),
            "non_budget": ("Vốn ngoài ngân sách", "Non-budget"),
        },
    },
    "parcels": {
        "status": {
            "drafted": ("Đang lập phương án", "Drafted"),
            "published": ("Đã công khai phương án", "Published"),
            "approved": ("Đã phê duyệt phương án", "Approved"),
            "paid": ("Đã chi trả", "Paid"),
            "handed_over": ("Đã bàn giao mặt bằng", "Handed over"),
        },
        "land_user_kind": {
            "household": ("Hộ gia đình, cá nhân", "Household"),
            "organisation": ("Tổ chức", "Organisation"),
        },
    },
    "red_line_markers": {
        "status": {
            "planned": ("Chưa cắm mốc", "Planned"),
            "planted": ("Đã cắm mốc", "Planted"),
            "lost": ("Mốc bị mất", "Lost"),
            "replaced": ("Đã cắm lại", "Replaced"),
        },
    },
    "lakes": {
        "works": {
            "renovation": ("Cải tạo", "Renovation"),
            "dredging": ("Nạo vét", "Dredging"),
            "embankment": ("Kè hồ", "Embankment"),
        },
        "status": {
            "planned": ("Kế hoạch", "Planned"),
            "in_progress": ("Đang thi công", "In progress"),
            "completed": ("Đã hoàn thành", "Completed"),
        },
    },
    "civilized_streets": {
        "kind": {
            "civilized": ("Tuyến phố văn minh đô thị", "Civilized street"),
            "no_parking_no_vending": ("Cấm để xe, cấm bán hàng rong",
                                      "No parking, no street vending"),
        },
        "status": {
            "planned": ("Xây dựng trong năm", "To be built this year"),
            "recognised": ("Đã công nhận", "Recognised"),
            "maintained": ("Duy trì", "Maintained"),
        },
    },
}

# Legend label of layers drawn in one style.
SINGLE_STYLE_LABELS: dict[str, tuple[str, str]] = {
    "wards": ("Ranh giới phường", "Ward boundary"),
    "red_lines": ("Chỉ giới đường đỏ theo quy hoạch được duyệt", "Red line of the approved plan"),
}

DISTRICTS: dict[str, str] = {"long-bien": "Long Biên", "hai-ba-trung": "Hai Bà Trưng"}

# The short text report of the clearance figures (command line).
REPORT_LINES: dict[str, tuple[str, str]] = {
    "title": ("Tiến độ giải phóng mặt bằng — quận {district}, từ {from} đến {to}",
              "Site-clearance progress — {district} district, {from} to {to}"),
    "ward": ("Phường: {ward}", "Ward: {ward}"),
    "projects": ("Số dự án triển khai: {projects} ({projects_budget} vốn ngân sách, "
                 "{projects_non_budget} vốn ngoài ngân sách)",
                 "Projects carried out: {projects} ({projects_budget} budget-funded, "
                 "{projects_non_budget} non-budget)"),
    "plans": ("Phương án đã phê duyệt: {plans_approved}/{plans_total}",
              "Compensation plans approved: {plans_approved} of {plans_total}"),
    "recovered": ("Diện tích đất đã thu hồi: {recovered_ha} ha",
                  "Land recovered: {recovered_ha} ha"),
    "compensation": ("Kinh phí bồi thường, hỗ trợ: {compensation_bn} tỷ đồng",
                     "Compensation and support: {compensation_bn} billion VND"),
    "ahead": ("Dự án hoàn thành vượt tiến độ: {projects_ahead_of_schedule}",
              "Projects completed ahead of schedule: {projects_ahead_of_schedule}"),
}

# The semi-annual progress report (Markdown, PDF, XLSX); coded values come from VALUES.
REPORT_WORDS: dict[str, tuple[str, str]] = {
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


def value_label(layer_id: str, prop: str, value: str, lang: str) -> str:
    """The reader's word for a coded value (the code itself when unknown)."""
    pair = VALUES.get(layer_id, {}).get(prop, {}).get(value)
    return pick(pair, lang) if pair else value


def district_name(slug: str) -> str:
    """Display name of a district slug."""
    return DISTRICTS.get(slug, slug.replace("-", " ").title())


def report_word(key: str, lang: str, **values: Any) -> str:
    """A phrase of the semi-annual report in a language, with its placeholders filled."""
    return phrase(REPORT_WORDS, key, lang, **values)


def number(value: Any, digits: int = 0, lang: str = "vi") -> str:
    """A number as the reader writes it: 1.315 and 3,80 in Vietnamese; 1,315 and 3.80 in English."""
    s = f"{float(value):,.{digits}f}"
    return s if lang == "en" else s.replace(",", " ").replace(".", ",").replace(" ", ".")


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
        "values": {
            layer: {prop: {code: pick(pair, lang) for code, pair in codes.items()}
                    for prop, codes in props.items()}
            for layer, props in VALUES.items()
        },
        "districts": DISTRICTS,
        "popupFields": {k: list(v) for k, v in POPUP_FIELDS.items()},
        "popupTitle": POPUP_TITLE,
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
