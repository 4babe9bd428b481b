"""The clearance dashboard page: its frame, words and settings; its script draws the figures.

The page holds no figure: maps/static/dashboard.js reads /stats/clearance for the district,
ward, period and day chosen, and draws the cards, the charts and the project table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import i18n
from layers.units import DEFAULT_PERIODS
from maps import styles
from maps.build import MAPS_DIR

STATUSES = ("planned", "in_progress", "completed", "suspended")
FUNDINGS = ("budget", "non_budget")


@dataclass(frozen=True)
class DashboardView:
    """What a /dashboard link asks for: district, ward, period, as-of day and language."""

    district: str
    ward: str | None
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date | None = None
    lang: str = "vi"


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(MAPS_DIR / "templates"),
                       autoescape=select_autoescape(["html"]))


def render_dashboard(view: DashboardView, wards: dict[str, list[str]], base_url: str = "") -> str:
    """The dashboard's HTML page; `wards` lists each district's wards for the selectors."""
    lang = view.lang
    words = {key: i18n.phrase(i18n.DASHBOARD_WORDS, key, lang) for key in i18n.DASHBOARD_WORDS}
    config = {
        "base": base_url, "lang": lang, "district": view.district, "ward": view.ward,
        "from": view.date_from.isoformat(), "to": view.date_to.isoformat(),
        "asOf": view.as_of.isoformat() if view.as_of else None,
        "districts": {d: i18n.district_name(d) for d in (wards or i18n.DISTRICTS)},
        "wards": wards,
        "periods": {d: [a.isoformat(), b.isoformat()] for d, (a, b) in DEFAULT_PERIODS.items()},
        "words": words,
        "status": {k: i18n.value_label("projects", "status", k, lang) for k in STATUSES},
        "funding": {k: i18n.value_label("projects", "funding", k, lang) for k in FUNDINGS},
        "colors": styles.chart_colors(),
    }
    return _templates().get_template("dashboard.html").render(
        lang=lang, base=base_url,
        title=i18n.phrase(i18n.DASHBOARD_WORDS, "title", lang,
                          district=i18n.district_name(view.district)),
        words=words,
        config=i18n.script_json(config),
    )
