"""Words of the map a planner reads, in Vietnamese and English."""

from __future__ import annotations

from typing import Any

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
