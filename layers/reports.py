"""The semi-annual clearance report's content: its figures, tables and map data, from the data.

The report is laid out like the district's own: a summary paragraph, then projects by funding,
projects completed ahead of schedule, projects behind schedule, key projects, projects with complaints, the table by ward,
progress by month, urban embellishment and a map of the district. It is built once as a list of
blocks, which maps.report renders to Markdown, PDF or XLSX; every number comes from
clearance_stats.sql, so the report and /stats/clearance say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection

from core import i18n
from gis.db import load_sql
from layers.queries import clearance_stats
from layers.registry import LAYERS

Ring = list[tuple[float, float]]


@dataclass
class Table:
    """A table of the report: raw values per row, and how each column is written."""

    headers: list[str]
    rows: list[list[Any]]
    kinds: list[str]  # text | int | ha | bn | date | ratio
    total: list[Any] | None = None


@dataclass
class Figure:
    """The map figure's data in VN-2000 metres (EPSG:5897): the wards and the period's projects."""

    district: str
    wards: list[tuple[str, list[Ring], tuple[float, float]]]  # name, outer rings, label point
    projects: list[tuple[list[Ring], str, bool]]  # outer rings, status, key project


@dataclass
class Report:
    """The report's content, ready to render."""

    stats: dict[str, Any]
    lang: str
    title: str
    subtitle: list[str]
    blocks: list[tuple[str, Any]]  # (h2 | p | note | table | figure, text or Table)
    figure: Figure | None
    file_stem: str


def _project_table(rows: list[dict[str, Any]], lang: str) -> Table:
    w = partial(i18n.report_word, lang=lang)
    return Table(
        [w("code"), w("name"), w("status"), w("plans"), w("recovered_ha"), w("target_date"),
         w("completed_on")],
        [[p["code"], p["name"], LAYERS["projects"].value_label("status", p["status"], lang),
          (p["plans_approved_to_date"], p["plans_total"]),
          p["recovered_ha"], p["target_date"], p["completed_on"]] for p in rows],
        ["text", "text", "text", "ratio", "ha", "date", "date"],
    )


def late_table(rows: list[dict[str, Any]], lang: str) -> Table:
    """Projects behind schedule: target date passed, not completed; the latest first."""
    w = partial(i18n.report_word, lang=lang)
    rows = sorted(rows, key=lambda p: (-(p.get("days_late") or 0), p["code"]))
    return Table(
        [w("code"), w("name"), w("status"), w("plans"), w("target_date"), w("days_late")],
        [[p["code"], p["name"], LAYERS["projects"].value_label("status", p["status"], lang),
          (p["plans_approved_to_date"], p["plans_total"]), p["target_date"], p["days_late"]]
         for p in rows],
        ["text", "text", "text", "ratio", "date", "int"],
    )


def _outer_rings(geom: dict[str, Any]) -> list[Ring]:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [[(x, y) for x, y, *_ in poly[0]] for poly in polys]


def report_map(conn: Connection, district: str, ids: Iterable[int]) -> dict[str, Any]:
    """The district's wards and the given projects, outlines in VN-2000 metres (reports.map.sql)."""
    return orjson.loads(conn.execute(load_sql("reports.map.sql"), {
        "district": district, "ids": list(ids)}).scalar_one())


def figure_from(doc: dict[str, Any], stats: dict[str, Any]) -> Figure | None:
    """The map figure's data: the wards of `report_map`, and its projects with their status."""
    if not doc["wards"]:
        return None
    projects = {p["id"]: p for p in stats["project_list"]}
    return Figure(
        stats["district"],
        [(w["name"], _outer_rings(w["geom"]), tuple(w["label"]["coordinates"][:2]))
         for w in doc["wards"]],
        [(_outer_rings(p["geom"]), projects[p["id"]]["status"], bool(projects[p["id"]]["is_key"]))
         for p in doc["projects"]])


def build_report(conn: Connection, district: str, date_from: dt.date, date_to: dt.date,
                 ward: str | None = None, as_of: dt.date | None = None, lang: str = "vi",
                 with_figure: bool = True) -> Report:
    """Gather the figures of a period (from clearance_stats.sql) into the report's blocks."""
    stats = orjson.loads(clearance_stats(conn, district, date_from, date_to, ward, as_of))
    figure = None
    if with_figure:
        ids = [p["id"] for p in stats["project_list"]]
        figure = figure_from(report_map(conn, stats["district"], ids), stats)
    return report_from_stats(stats, lang, figure)


def report_from_stats(stats: dict[str, Any], lang: str = "vi",
                      figure: Figure | None = None) -> Report:
    """The report's blocks for the figures of /stats/clearance."""
    w = partial(i18n.report_word, lang=lang)
    n = partial(i18n.number, lang=lang)
    date_from = dt.date.fromisoformat(stats["from"])
    date_to = dt.date.fromisoformat(stats["to"])
    period = i18n.period_text(date_from, date_to, lang)
    place = i18n.place_label(stats, lang)
    subtitle = [w("subtitle", place=place[:1].upper() + place[1:], period=period)]
    if stats.get("ward"):
        subtitle.append(w("ward_line", ward=stats["ward"]))
    if stats.get("as_of"):
        subtitle.append(w("as_of_line", day=i18n.day_text(stats["as_of"], lang)))
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
        approved=n(stats["plans_approved"]), ha=i18n.hectares(stats["recovered_ha"], lang),
        amount=i18n.amount(stats["compensation_vnd"], lang),
        ahead=i18n.count(stats["projects_ahead_of_schedule"], lang),
        behind=i18n.count(stats.get("projects_behind_schedule", 0), lang)))]

    money_cols = [w("projects"), w("plans_total"), w("plans_approved"), w("recovered_ha"),
                  w("compensation_bn")]
    money_kinds = ["int", "int", "int", "ha", "bn"]
    keys = ["projects", "plans_total", "plans_approved", "recovered_ha", "compensation_vnd"]
    funding = stats.get("by_funding") or []
    blocks += [("h2", w("h_funding")), ("table", Table(
        [w("funding"), *money_cols],
        [[LAYERS["projects"].value_label("funding", f["funding"], lang), *(f[k] for k in keys)]
         for f in funding], ["text", *money_kinds],
        [w("total"), *(stats[k] for k in keys)]))]

    plist = stats.get("project_list") or []
    ahead = [p for p in plist if p["ahead_of_schedule"]]
    blocks.append(("h2", w("h_ahead")))
    blocks.append(("table", _project_table(ahead, lang)) if ahead else ("p", w("none")))
    late = [p for p in plist if p.get("behind_schedule")]
    blocks.append(("h2", w("h_late")))
    blocks.append(("table", late_table(late, lang)) if late else ("p", w("none")))
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
               ("note", w("generated", day=i18n.day_text(dt.date.today(), lang)))]
    stem = f"bao-cao-gpmb-{stats['district']}-{stats['from']}-{stats['to']}"
    if stats.get("as_of"):
        stem += f"-den-{stats['as_of']}"
    return Report(stats, lang, w("title"), subtitle, blocks, figure, stem)
