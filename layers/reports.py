"""Plain-text rendering of the clearance figures, in Vietnamese or English."""

from __future__ import annotations

from typing import Any

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
