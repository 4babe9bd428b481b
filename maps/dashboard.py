"""The clearance dashboard page: its frame, words and settings; its script draws the figures.

The page holds no figure: maps/static/dashboard.js reads /stats/clearance for the district,
ward, period and day chosen, and draws the cards, the charts and the project table; then
/stats/infrastructure for the programme's figures (lit alleys, surfaced streets, public
facilities, permits, green area) against their targets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import i18n
from layers.admin_units import Unit
from layers.registry import LAYERS
from layers.units import DEFAULT_PERIODS
from maps import styles
from maps.build import MAPS_DIR

STATUSES = LAYERS["projects"].values("status")
FUNDINGS = LAYERS["projects"].values("funding")
FACILITY_KINDS = LAYERS["public_facilities"].values("kind")


def infrastructure_words(lang: str) -> dict[str, Any]:
    """The infrastructure section's words: its own, the targets' and the facilities' kinds."""
    infra = i18n.INFRA_WORDS
    return {
        "words": {k: i18n.pick(v, lang) for k, v in i18n.DASHBOARD_INFRA_WORDS.items()},
        "indicators": {k[2:]: i18n.pick(v, lang) for k, v in infra.items() if k.startswith("t_")},
        "bounds": {k: i18n.pick(infra[k], lang) for k in ("bound_min", "bound_max", "bound_range")},
        "kinds": {k: LAYERS["public_facilities"].value_label("kind", k, lang)
                  for k in FACILITY_KINDS},
    }


@dataclass(frozen=True)
class DashboardView:
    """What a /dashboard link asks for: district, ward, period, as-of day and language."""

    district: str
    ward: str | None
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date | None = None
    lang: str = "vi"
    unit: Unit | None = None  # the unit the place resolves to, for its name and the picker


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(MAPS_DIR / "templates"),
                       autoescape=select_autoescape(["html"]))


def render_dashboard(view: DashboardView, wards: dict[str, list[str]], base_url: str = "",
                     units: dict[str, Any] | None = None) -> str:
    """The dashboard's HTML page; `wards` lists each district's wards for the selectors.

    `units`: the unit picker's options (maps.units.controls_config); without them the page
    offers the districts and their wards.
    """
    lang = view.lang
    place = i18n.view_place(view.district, view.ward,
                            view.unit.as_dict() if view.unit is not None else None,
                            view.date_from, view.date_to, lang)
    if view.ward and view.unit is not None:  # the page has no ward selector: the title says it
        place = i18n.phrase(i18n.UNIT_VIEW_WORDS, "ward_of", lang, district=place, ward=i18n.unit_label(
            view.unit.as_dict(), lang, (view.date_from, view.date_to)))
    title = i18n.phrase(i18n.UNIT_VIEW_WORDS, "dashboard_title", lang, place=place)
    words = {key: i18n.phrase(i18n.DASHBOARD_WORDS, key, lang) for key in i18n.DASHBOARD_WORDS}
    config = {
        "base": base_url, "lang": lang, "district": view.district, "ward": view.ward,
        "from": view.date_from.isoformat(), "to": view.date_to.isoformat(),
        "asOf": view.as_of.isoformat() if view.as_of else None,
        "districts": {d: i18n.district_name(d) for d in (wards or i18n.DISTRICTS)},
        "wards": wards,
        "periods": {d: [a.isoformat(), b.isoformat()] for d, (a, b) in DEFAULT_PERIODS.items()},
        "words": words,
        "status": {k: LAYERS["projects"].value_label("status", k, lang) for k in STATUSES},
        "funding": {k: LAYERS["projects"].value_label("funding", k, lang) for k in FUNDINGS},
        "colors": styles.chart_colors(),
        "infra": infrastructure_words(lang),
        "unit": view.unit.id if view.unit is not None and units else None,
        "units": units,
        "title": title,
    }
    return _templates().get_template("dashboard.html").render(
        lang=lang, base=base_url,
        title=title,
        words=words, units=units,
        infra={k: i18n.pick(v, lang) for k, v in i18n.DASHBOARD_INFRA_WORDS.items()},
        config=i18n.script_json(config),
    )
