"""Administrative units in the pages: the unit picker, the period presets, the former boundaries
layer, the names of a view's place, and the succession page ("where did this ward come from").

The picker lists today's wards and communes, then each former district with its former wards,
from `layers.admin_units`; nothing here names a unit.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Connection

from core import i18n
from core.i18n import script_json
from layers import admin_units
from layers.units import DEFAULT_PERIODS
from maps import styles

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCAL_LEVELS = ("ward", "commune")
# Outlines of the former units: the wards layer's stroke, dotted, heavier for districts.
FORMER_OUTLINE = {"color": styles.STYLES["wards"].stroke, "dash": "2 5", "weight": 1.5,
                  "districtWeight": 3.0}


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _valid_on(unit: dict[str, Any], day: dt.date) -> bool:
    end = unit.get("valid_to")
    return _day(unit["valid_from"]) <= day and (end is None or day <= _day(end))


def _option(unit: dict[str, Any], label: str) -> dict[str, Any]:
    return {"id": unit["id"], "label": label, "level": unit["level"],
            "validFrom": str(unit["valid_from"])[:10],
            "validTo": str(unit["valid_to"])[:10] if unit.get("valid_to") else None}


def picker_groups(units: list[dict[str, Any]], today: dt.date, lang: str
                  ) -> list[dict[str, Any]]:
    """Options of a unit picker: today's units, then each former district with its former wards.

    Units are dicts of `layers.admin_units.all_units` in name order.
    """
    current = [u for u in units if _valid_on(u, today)]
    former = [u for u in units if u.get("valid_to") and _day(u["valid_to"]) < today]
    groups: list[dict[str, Any]] = []
    if current:
        since = max(_day(u["valid_from"]) for u in current)
        groups.append({"label": i18n.phrase(i18n.UNIT_VIEW_WORDS, "current", lang,
                                            day=i18n.day_text(since, lang)),
                       "units": [_option(u, i18n.phrase(i18n.UNIT_WORDS, u["level"], lang,
                                                        name=u["name"])) for u in current]})
    districts = [u for u in former if u["level"] == "district"]
    grouped: set[str] = set()
    for d in sorted(districts, key=lambda u: i18n.sort_key(u["name"])):
        label = i18n.unit_label(d, lang)
        whole = i18n.phrase(i18n.UNIT_VIEW_WORDS, "whole_area", lang,
                            unit=i18n.phrase(i18n.UNIT_WORDS, "district", lang, name=d["name"]))
        members = [u for u in former if u.get("parent_id") == d["id"]]
        grouped |= {d["id"], *(u["id"] for u in members)}
        # A former ward's own period too: closed, the picker shows only the option's label.
        groups.append({"label": label, "district": d["id"], "units": [
            _option(d, whole), *(_option(u, i18n.unit_label(u, lang)) for u in members)]})
    rest = [u for u in former if u["id"] not in grouped]
    if rest:
        groups.append({"label": i18n.phrase(i18n.UNIT_VIEW_WORDS, "former", lang),
                       "units": [_option(u, i18n.unit_label(u, lang)) for u in rest]})
    return groups


def former_day(units: list[dict[str, Any]], today: dt.date) -> dt.date | None:
    """The last day of the former units: the day before today's units began (None: no change)."""
    current = [_day(u["valid_from"]) for u in units if _valid_on(u, today)]
    former = [u for u in units if u.get("valid_to") and _day(u["valid_to"]) < today]
    if not current or not former:
        return None
    return max(current) - dt.timedelta(days=1)


def period_presets(today: dt.date, lang: str) -> list[dict[str, str]]:
    """The programmes' periods and this year, for the period controls."""
    presets = [{"label": i18n.phrase(i18n.UNIT_VIEW_WORDS, "programme", lang,
                                     district=i18n.district_name(d),
                                     period=i18n.period_text(a, b, lang)),
                "from": a.isoformat(), "to": b.isoformat()}
               for d, (a, b) in DEFAULT_PERIODS.items()]
    year = today.year
    presets.append({"label": i18n.phrase(i18n.UNIT_VIEW_WORDS, "year", lang, year=year),
                    "from": f"{year}-01-01", "to": f"{year}-12-31"})
    return presets


def selected_unit(conn: Connection, district: str, ward: str | None) -> admin_units.Unit | None:
    """The unit a view is about: a unit id in the district slot, or a district's ward by name."""
    if ward:
        return admin_units.unit_of(conn, district, ward)
    return admin_units.get_unit(conn, district)


def place_name(unit: admin_units.Unit | None, district: str, ward: str | None,
               date_from: dt.date, date_to: dt.date, lang: str) -> str:
    """The place of a view named for its period: quận Long Biên, phường Bồ Đề (từ 01/07/2025)."""
    return i18n.view_place(district, ward, unit.as_dict() if unit is not None else None,
                           date_from, date_to, lang)


def committee_name(unit: admin_units.Unit | None, district: str, ward: str | None,
                   lang: str) -> str:
    """The people's committee a print is issued for: the unit's own, or the ward's district's."""
    if unit is not None and not ward:
        name = i18n.phrase(i18n.UNIT_WORDS, unit.level, lang, name=unit.name)
    else:
        name = i18n.phrase(i18n.UNIT_WORDS, "district", lang, name=i18n.district_name(district))
    return i18n.phrase(i18n.UNIT_VIEW_WORDS, "committee", lang, unit=name.upper())


def controls_config(conn: Connection, unit: admin_units.Unit | None, lang: str,
                    today: dt.date | None = None) -> dict[str, Any]:
    """What the unit picker and the period controls of a page need, in the page's config."""
    today = today or dt.date.today()
    units = admin_units.all_units(conn)
    former = former_day(units, today)
    return {
        "groups": picker_groups(units, today, lang),
        "selected": unit.id if unit is not None else None,
        "presets": period_presets(today, lang),
        "formerOn": former.isoformat() if former else None,
        "formerLayer": i18n.phrase(i18n.UNIT_VIEW_WORDS, "former_layer", lang,
                                   day=i18n.day_text(former, lang)) if former else None,
        "outline": FORMER_OUTLINE,
        "words": i18n.view_words(lang),
    }


# --- the succession page ----------------------------------------------------------------------


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def _rows(features: list[dict[str, Any]], role: str, lang: str) -> list[dict[str, Any]]:
    """The related units of one role, grouped by level, each group with its total share."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in features:
        p = f["properties"]
        if p["role"] == role:
            groups.setdefault(p["level"], []).append(p)
    out = []
    for level in admin_units.LEVELS:
        members = groups.get(level)
        if not members:
            continue
        out.append({
            "heading": i18n.phrase(i18n.UNIT_VIEW_WORDS, f"levels.{level}", lang),
            "rows": [{**p, "label": i18n.unit_label(p, lang),
                      "taken": i18n.phrase(i18n.UNIT_VIEW_WORDS, "whole" if p["whole"] else "part",
                                           lang),
                      "shared": i18n.number(p["shared_ha"], 2, lang),
                      "unit_pct": i18n.percent(100 * (p["unit_share"] or 0), lang),
                      "other_pct": i18n.percent(100 * (p["other_share"] or 0), lang)}
                     for p in members],
            "total_share": sum(p["unit_share"] or 0 for p in members),
            "total_pct": i18n.percent(100 * sum(p["unit_share"] or 0 for p in members), lang),
            "total_ha": i18n.number(sum(p["shared_ha"] or 0 for p in members), 2, lang),
        })
    return out


def render_succession(conn: Connection, unit: admin_units.Unit, lang: str, *,
                      base_url: str = "", basemap_url: str = "",
                      basemap_attribution: str = "") -> str:
    """The HTML page of a unit's predecessors and successors, with area shares and a small map."""
    fc = admin_units.succession_features(conn, unit.id)
    features = fc["features"]
    label = i18n.unit_label(unit.as_dict(), lang)
    words = i18n.view_words(lang)
    own = next(f["properties"] for f in features if f["properties"]["role"] == "unit")
    if unit.valid_to is None:
        validity = i18n.phrase(i18n.UNIT_VIEW_WORDS, "validity_since", lang,
                               **{"from": i18n.day_text(unit.valid_from, lang)})
    else:
        validity = i18n.phrase(i18n.UNIT_VIEW_WORDS, "validity_range", lang, **{
            "from": i18n.day_text(unit.valid_from, lang), "to": i18n.day_text(unit.valid_to, lang)})
    short = i18n.phrase(i18n.UNIT_WORDS, unit.level, lang, name=unit.name)
    config = {
        "lang": lang, "features": fc, "basemap": basemap_url, "attribution": basemap_attribution,
        "colors": {"unit": styles.chart_colors()["recovered"],
                   "predecessor": FORMER_OUTLINE["color"], "successor": FORMER_OUTLINE["color"]},
    }
    return _templates().get_template("unit_succession.html").render(
        lang=lang, other_lang="en" if lang == "vi" else "vi", base=base_url, unit=unit,
        title=i18n.phrase(i18n.UNIT_VIEW_WORDS, "page_title", lang, unit=label),
        validity=validity, area=i18n.phrase(i18n.UNIT_VIEW_WORDS, "area", lang,
                                            ha=i18n.hectares(own["area_ha"], lang)),
        words=words,
        unit_share_header=i18n.phrase(i18n.UNIT_VIEW_WORDS, "col_unit_share", lang, unit=short),
        predecessors=_rows(features, "predecessor", lang),
        successors=_rows(features, "successor", lang),
        config=script_json(config),
    )
