"""The infrastructure report's content: the figures a district's programme tracks, from the data.

Streets and alleys surfaced, alley lighting by width, public facilities built and renovated,
building permits and violations controlled, green and water area added and maintained, and the
workshops listed by ward, each against the programme's targets where it has one. Every number
comes from infrastructure.sql, so the report, /stats/infrastructure and the dashboard agree;
the targets are rows of programme_targets, not code.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection

from core import i18n
from gis.db import load_sql
from layers.admin_units import get_unit
from layers.registry import LAYERS
from layers.reports import Report, Table

# Indicators written as a percentage or in hectares; the others are counts.
PERCENT_INDICATORS = ("permit_rate_pct", "violations_controlled_pct", "alleys_lit_pct")
HECTARE_INDICATORS = ("green_water_added_ha",)


def infrastructure_stats(conn: Connection, district: str, date_from: dt.date, date_to: dt.date,
                         ward: str | None = None, as_of: dt.date | None = None) -> str:
    """Infrastructure figures of a district (or ward) for a period, as a JSON document."""
    return conn.execute(load_sql("infrastructure.sql"), {
        "district": district, "ward": ward, "date_from": date_from, "date_to": date_to,
        "as_of": as_of}).scalar_one()


def word(key: str, lang: str, **values: Any) -> str:
    """A phrase of the infrastructure report in a language, with its placeholders filled."""
    return i18n.phrase(i18n.INFRA_WORDS, key, lang, **values)


def _label(layer: str, attr: str, value: Any, lang: str) -> str:
    return LAYERS[layer].value_label(attr, value, lang)


def _value_text(indicator: str, value: Any, lang: str) -> str:
    if value is None:
        return ""
    if indicator in PERCENT_INDICATORS:
        return i18n.percent(value, lang)
    if indicator in HECTARE_INDICATORS:
        return i18n.hectares(value, lang)
    return i18n.count(value, lang)


def target_text(t: dict[str, Any], lang: str) -> str:
    """A target's bounds as a reader writes them: ≥ 98%, 1–3 ha."""
    lo = _value_text(t["indicator"], t["min"], lang)
    hi = _value_text(t["indicator"], t["max"], lang)
    if lo and hi:
        return word("bound_range", lang, min=lo, max=hi)
    return word("bound_min", lang, min=lo) if lo else word("bound_max", lang, max=hi)


def indicator_text(t: dict[str, Any], lang: str) -> str:
    """What a target measures, in words."""
    width = i18n.number(t["param"], 1, lang) if t.get("param") is not None else ""
    return word(f"t_{t['indicator']}", lang, ward=t.get("ward") or "", width=width)


def _targets(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    blocks: list[tuple[str, Any]] = [("h2", w("h_targets"))]
    for p in s["programmes"]:
        blocks.append(("p", w("programme", title=p["title_en" if lang == "en" else "title_vi"])))
    if not s["targets"]:
        blocks.append(("p", w("no_targets")))
        return blocks
    met = {True: w("met_yes"), False: w("met_no"), None: ""}
    blocks.append(("table", Table(
        [w("indicator"), w("target"), w("actual"), w("assessment")],
        [[indicator_text(t, lang), target_text(t, lang),
          _value_text(t["indicator"], t["actual"], lang), met[t["met"]]] for t in s["targets"]],
        ["text", "text", "text", "text"])))
    return blocks


def _roads(s: dict[str, Any], lang: str, day: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    roads = {r["surface"]: r for r in s["roads"]}

    def name(surface: str) -> str:
        return w("not_surfaced") if surface == "earth" else _label("alleys", "surface", surface,
                                                                   lang)

    return [("h2", w("h_roads")), ("p", w(
        "roads_text", day=day, asphalt=i18n.count(roads["asphalt"]["count"], lang),
        concrete=i18n.count(roads["concrete"]["count"], lang))), ("table", Table(
            [w("surface"), w("count_end"), w("in_period"), w("km")],
            [[name(r["surface"]), r["count"], r["in_period"], r["km"]] for r in s["roads"]],
            ["text", "int", "int", "ha"]))]


def _width_text(width: Any, lang: str) -> str:
    if width is None:
        return word("width_all", lang)
    return word("width_min", lang, width=i18n.number(width, 1, lang))


def _lighting(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    blocks: list[tuple[str, Any]] = [("h2", w("h_lighting"))]
    for row in s["lighting"]:
        if row["min_width_m"] is not None:
            blocks.append(("p", w(
                "lighting_text", width=i18n.number(row["min_width_m"], 1, lang),
                lit=i18n.number(row["lit_km"], 2, lang), lamps=i18n.count(row["lamps"], lang),
                unlit=i18n.number(row["unlit_km"], 2, lang),
                added=i18n.number(row["lit_in_period_km"], 2, lang))))
    blocks.append(("table", Table(
        [w("width"), w("lit_km"), w("lamps"), w("unlit_km"), w("lit_in_period_km"),
         w("lamps_in_period"), w("lit_pct")],
        [[_width_text(r["min_width_m"], lang), r["lit_km"], r["lamps"], r["unlit_km"],
          r["lit_in_period_km"], r["lamps_in_period"], i18n.percent(r["lit_pct"], lang)]
         for r in s["lighting"]],
        ["text", "ha", "int", "ha", "ha", "int", "text"])))
    return blocks


def _state(p: dict[str, Any], lang: str) -> str:
    w = partial(word, lang=lang)
    parts = []
    if p["planned_year"] is not None:
        parts.append(w("done") if p["completed_on"] else w("not_done"))
    if p["national_standard_on"]:
        parts.append(w("standard_done", day=i18n.day_text(p["national_standard_on"], lang)))
    elif p["standard_target_year"] is not None:
        parts.append(w("standard_due", year=p["standard_target_year"]))
    return "; ".join(parts)


def _public(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    pf = s["public_facilities"]
    keys = ["new", "renovation", "total", "national_standard"]
    blocks: list[tuple[str, Any]] = [("h2", w("h_public")), ("table", Table(
        [w("kind"), w("new"), w("renovation"), w("built"), w("national_standard")],
        [[_label("public_facilities", "kind", k["kind"], lang), *(k[c] for c in keys)]
         for k in pf["by_kind"]],
        ["text", "int", "int", "int", "int"],
        [w("total"), *(sum(k[c] for k in pf["by_kind"]) for c in keys)]))]
    blocks.append(("h2", w("h_planned")))
    if not pf["planned"]:
        blocks.append(("p", w("none")))
        return blocks
    blocks.append(("table", Table(
        [w("name"), w("kind"), w("ward"), w("planned_year"), w("completed_on"), w("state")],
        [[p["name"], _label("public_facilities", "kind", p["kind"], lang), p["ward"],
          "" if p["planned_year"] is None else str(p["planned_year"]), p["completed_on"],
          _state(p, lang)] for p in pf["planned"]],
        ["text", "text", "text", "text", "date", "text"])))
    return blocks


def _permits(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    rows = s["permits"]["by_year"]
    if not rows:
        return [("h2", w("h_permits")), ("p", w("none"))]

    def row(first: Any, r: dict[str, Any]) -> list[Any]:
        return [first, r["constructions"], r["permitted"], i18n.percent(r["permit_rate_pct"], lang),
                r["violations"], r["controlled"], i18n.percent(r["controlled_pct"], lang)]

    return [("h2", w("h_permits")), ("table", Table(
        [w("year"), w("constructions"), w("permitted"), w("permit_rate"), w("violations"),
         w("controlled"), w("controlled_pct")],
        [row(str(r["year"]), r) for r in rows],
        ["text", "int", "int", "text", "int", "int", "text"],
        row(w("total"), s["permits"]["total"])))]


def _green(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    g = s["green"]
    kinds = {k["kind"]: k for k in g["by_kind"]}
    keys = ["added", "added_ha", "maintained", "maintained_ha"]
    return [("h2", w("h_green")), ("p", w(
        "green_text", added=i18n.hectares(g["added_ha"], lang),
        green=i18n.hectares(g["added_green_ha"], lang),
        water=i18n.hectares(g["added_water_ha"], lang),
        gardens=i18n.count(kinds["flower_garden"]["maintained"]
                           + kinds["landscape_feature"]["maintained"], lang),
        medians=i18n.count(kinds["median_strip"]["maintained"], lang))), ("table", Table(
            [w("kind"), w("added"), w("added_ha"), w("maintained"), w("maintained_ha")],
            [[_label("green_spaces", "kind", k["kind"], lang), *(k[c] for c in keys)]
             for k in g["by_kind"]],
            ["text", "int", "ha", "int", "ha"],
            [w("total"), *(sum(k[c] for k in g["by_kind"]) for c in keys)]))]


def _facilities(s: dict[str, Any], lang: str) -> list[tuple[str, Any]]:
    w = partial(word, lang=lang)
    f = s["facilities"]
    kinds = ["woodworking", "laundry", "metalwork_scrap"]
    return [("h2", w("h_facilities")), ("p", w(
        "facilities_text", woodworking=i18n.count(f["by_kind"]["woodworking"], lang),
        laundry=i18n.count(f["by_kind"]["laundry"], lang),
        metalwork=i18n.count(f["by_kind"]["metalwork_scrap"], lang))), ("table", Table(
            [w("ward"), *(_label("facilities", "kind", k, lang) for k in kinds), w("total")],
            [[r["ward"], *(r[k] for k in kinds), r["total"]] for r in f["by_ward"]],
            ["text", "int", "int", "int", "int"],
            [w("total"), *(f["by_kind"][k] for k in kinds), f["total"]]))]


def report_from_stats(stats: dict[str, Any], lang: str = "vi") -> Report:
    """The infrastructure report's blocks for the figures of /stats/infrastructure."""
    w = partial(word, lang=lang)
    date_from = dt.date.fromisoformat(stats["from"])
    date_to = dt.date.fromisoformat(stats["to"])
    end = min(date_to, dt.date.fromisoformat(stats["as_of"])) if stats.get("as_of") else date_to
    subtitle = [i18n.phrase(i18n.PLACE_TITLE_WORDS, "infra_subtitle", lang,
                            place=i18n.capitalised(i18n.place_label(stats, lang)),
                            period=i18n.period_text(date_from, date_to, lang))]
    if stats.get("ward"):
        subtitle.append(w("ward_line", ward=stats["ward"]))
    subtitle.append(w("as_of_line", day=i18n.day_text(stats["as_of"], lang))
                    if stats.get("as_of") else w("state_now"))
    blocks = [*_targets(stats, lang), *_roads(stats, lang, i18n.day_text(end, lang)),
              *_lighting(stats, lang), *_public(stats, lang), *_permits(stats, lang),
              *_green(stats, lang), *_facilities(stats, lang),
              ("note", w("definitions")),
              ("note", w("generated", day=i18n.day_text(dt.date.today(), lang)))]
    stem = f"bao-cao-ha-tang-{stats['district']}-{stats['from']}-{stats['to']}"
    if stats.get("as_of"):
        stem += f"-den-{stats['as_of']}"
    return Report(stats, lang, w("title"), subtitle, blocks, None, stem)


def build_infrastructure_report(conn: Connection, district: str, date_from: dt.date,
                                date_to: dt.date, ward: str | None = None,
                                as_of: dt.date | None = None, lang: str = "vi") -> Report:
    """Gather the figures of a period (from infrastructure.sql) into the report's blocks."""
    stats = orjson.loads(infrastructure_stats(conn, district, date_from, date_to, ward, as_of))
    unit = get_unit(conn, district)
    if unit is not None and "unit" not in stats:  # the subtitle names a new ward as such
        stats["unit"] = unit.as_dict()
    return report_from_stats(stats, lang)
