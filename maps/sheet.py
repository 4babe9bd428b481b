"""The planning information sheet of one parcel as a one-page A4 PDF.

The map extract is drawn by the exact-scale print machinery of maps.pdf (VN-2000 grid, layer
styles, grid ticks, scale bar and north arrow) at the largest standard scale that shows the
parcel with its surroundings; the text below it comes from layers.planning_sheet, which has
already left out what the reader may not see.
"""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import shapely
from sqlalchemy import Connection

from core import i18n
from core.settings import Settings
from gis.srs import WGS84
from layers.exports import plan_info
from layers.features import BBox
from layers.registry import LAYERS
from layers.units import default_period
from maps import pdf
from maps.export import ExportContent, to_vn2000
from maps.fonts import register_fonts

WORDS = i18n.PLANNING_WORDS
PAGE = (210.0, 297.0)  # A4 portrait, mm
FRAME = (20.0, 152.0, 190.0, 262.0)  # the map extract, mm from the bottom-left corner
HEADER = (12.0, 266.0, 198.0, 287.0)
TEXT = (12.0, 10.0, 198.0, 144.0)
MARGIN = 1.6  # the extract shows the parcel's extent this many times over, at least
MAP_LAYERS = ("wards", "lakes", "projects", "parcels", "civilized_streets", "red_lines")
HIGHLIGHT = "#d7191c"


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _w(key: str, lang: str, **values: Any) -> str:
    return i18n.phrase(WORDS, key, lang, **values)


def extract_scale(extent: tuple[float, float, float, float]) -> int:
    """The largest standard scale at which the frame shows the parcel's extent with room around."""
    fw, fh = FRAME[2] - FRAME[0], FRAME[3] - FRAME[1]
    w, h = (extent[2] - extent[0]) * MARGIN, (extent[3] - extent[1]) * MARGIN
    return next((s for s in pdf.SCALES if w <= fw * s / 1000 and h <= fh * s / 1000),
                pdf.SCALES[-1])


def _sheet(conn: Connection, info: dict[str, Any], lang: str) -> pdf.Sheet:
    """The map extract as a print sheet: centred on the parcel, at its scale, on A4 portrait."""
    w, s, e, n = info["parcel"]["extent"]
    x0, y0, x1, y1 = to_vn2000(BBox(w, s, e, n, WGS84))
    scale = extract_scale((x0, y0, x1, y1))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = (FRAME[2] - FRAME[0]) * scale / 2000
    half_h = (FRAME[3] - FRAME[1]) * scale / 2000
    project = (info.get("clearance") or {}).get("project") or {}
    district = project.get("district") or ""
    start, end = default_period(district)
    zoned = [z["plan_id"] for z in info["zones"]]
    plan = plan_info(conn, zoned[0]) if zoned else None
    content = ExportContent(MAP_LAYERS, district, start, end, lang=lang, plan=plan, opacity=0.5)
    layout = pdf.Layout("A4", "portrait", PAGE[0], PAGE[1], FRAME, TEXT,
                        (10.0, 8.0, 200.0, 289.0), 6.5)
    return pdf.Sheet((cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale, layout, content)


def _units_line(units: list[dict[str, Any]], lang: str) -> str:
    parts = []
    for u in units:
        level = i18n.phrase(i18n.SEARCH_WORDS, f"level_{u['level']}", lang)
        validity = [_w("from", lang, date=i18n.day_text(u["valid_from"], lang))
                    if u.get("valid_from") else "",
                    _w("to", lang, date=i18n.day_text(u["valid_to"], lang))
                    if u.get("valid_to") else ""]
        dated = " ".join(v for v in validity if v)
        parts.append(f"{level} {u['name']}" + (f" ({dated})" if dated else ""))
    return "; ".join(parts) or "—"


def _m2(value: Any, lang: str) -> str:
    return i18n.number(value, 2, lang)


def text_blocks(info: dict[str, Any], lang: str) -> list[pdf.Block]:
    """The sheet's text: units, zones, red lines, clearance, all as the reader may see them."""
    Row, Block = pdf.Row, pdf.Block
    units = info["units"]
    blocks = [Block([
        Row(_w("units", lang), 1.0, True),
        Row(_w("unit_now", lang, units=_units_line(units["current"], lang))),
        *([Row(_w("unit_former", lang, units=_units_line(units["former"], lang)))]
          if units["former"] else []),
    ])]
    zone_rows = [Row(_w("zones", lang), 1.0, True)]
    for z in info["zones"]:
        use = z["land_use_en"] if lang == "en" else z["land_use_vi"]
        plot = _w("plot", lang, name=z["name"]) if z.get("name") else ""
        zone_rows.append(Row(_w("zone", lang, code=z["code"], use=use, plot=plot,
                                m2=_m2(z["area_m2"], lang), pct=i18n.number(z["share_pct"], 1, lang))))
    if not info["zones"]:
        zone_rows.append(Row(_w("no_zone", lang)))
    blocks.append(Block(zone_rows))
    red_rows = [Row(_w("red_lines", lang), 1.0, True)]
    red_rows += [Row(_w("corridor", lang, road=c["road"], m2=_m2(c["inside_m2"], lang),
                        pct=i18n.number(c["inside_pct"], 1, lang))) for c in info["red_lines"]]
    if not info["red_lines"]:
        red_rows.append(Row(_w("no_corridor", lang)))
    blocks.append(Block(red_rows))
    clearance = info.get("clearance")
    rows = [Row(_w("clearance", lang), 1.0, True)]
    if clearance:
        p = clearance["project"]
        rows.append(Row(_w("project", lang, code=p["code"], name=p["name"],
                           status=LAYERS["projects"].value_label("status", p["status"], lang))))
        for plan in clearance["plans"]:
            rows.append(Row(_w("plan", lang, code=plan.get("code", ""),
                               status=LAYERS["parcels"].value_label("status",
                                                       plan.get("status", ""), lang))))
        if info.get("staff_only_hidden"):
            rows.append(Row(_w("staff_only", lang), 0.9, color=(0.35, 0.35, 0.35)))
    else:
        rows.append(Row(_w("no_clearance", lang)))
    blocks.append(Block(rows))
    return blocks


def source_rows(info: dict[str, Any], lang: str, scale: int) -> pdf.Block:
    """The plan decisions cited, the red lines' plans, how areas are measured, and the date."""
    Row = pdf.Row
    rows = [Row(_w("sources", lang), 1.0, True)]
    for p in info["sources"]:
        rows.append(Row(_w("decision", lang, name=p["name"], decision=p["decision"] or "—",
                           date=i18n.day_text(p["approved_on"], lang) or "…"), 0.9))
    for r in info["red_line_sources"]:
        rows.append(Row(_w("red_line_source", lang, road=r["road"], ref=r["plan_ref"]), 0.9))
    rows += [Row(_w("ground", lang), 0.9),
             Row(i18n.phrase(i18n.EXPORT_WORDS, "grid", lang,
                             interval=pdf.grid_interval(scale)), 0.9),
             Row(_w("reference", lang), 0.9),
             Row(_w("made_on", lang, date=i18n.day_text(info["date"], lang)), 0.9, True)]
    return pdf.Block(rows)


def header_block(info: dict[str, Any], settings: Settings, lang: str) -> pdf.Block:
    """Office, title and the parcel's reference, code, address and area."""
    Row = pdf.Row
    parcel = info["parcel"]
    rows = [Row(settings.export_office.upper(), 0.95, True),
            Row(_w("title", lang), 1.9, True, gap=0.3)]
    if parcel.get("map_sheet"):
        rows.append(Row(_w("ref", lang, sheet=parcel["map_sheet"], parcel=parcel["parcel_no"]),
                        1.3, True))
    line = _w("code", lang, code=parcel["code"]) + " · " + _w(
        "area", lang, m2=_m2(parcel["area_m2"], lang))
    if parcel.get("address"):
        line += " · " + _w("address", lang, address=parcel["address"])
    rows.append(Row(line, 1.0))
    return pdf.Block(rows, rule=False)


def _fit(region: pdf.Region, base: float) -> float:
    fs = base
    while fs > base * 0.5 and not region.fits(fs):
        fs *= 0.95
    return fs


def render_planning_sheet(conn: Connection, settings: Settings, info: dict[str, Any],
                          lang: str = "vi") -> bytes:
    """The one-page A4 PDF of a parcel's planning information, with a map extract at a scale."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    srid = settings.storage_srid
    sheet = _sheet(conn, info, lang)
    mm = pdf.MM
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE[0] * mm, PAGE[1] * mm), pageCompression=1)
    ref = info["parcel"].get("ref") or info["parcel"]["code"]
    c.setTitle(_nfc(f"{_w('title', lang)} {ref}"))
    c.setAuthor(_nfc(settings.export_office))
    c.setSubject(f"1:{sheet.scale} A4 VN-2000 / EPSG:5897")
    c.setCreator("quyhoach")

    f = [v * mm for v in FRAME]
    sc = pdf.SheetCanvas(c, sheet)
    c.saveState()
    clip = c.beginPath()
    clip.rect(f[0], f[1], f[2] - f[0], f[3] - f[1])
    c.clipPath(clip, stroke=0, fill=0)
    if sheet.content.plan is not None and sheet.content.plan.kind == "vector":
        pdf.draw_zones(sc, pdf.plan_zones(conn, sheet, srid), sheet.content.opacity, 6.5)
    drawn = {}
    for layer_id in MAP_LAYERS:
        drawn[layer_id] = pdf.layer_features(conn, layer_id, sheet, srid)
        pdf.draw_layer(sc, layer_id, drawn[layer_id], 6.5)
    for layer_id, features in drawn.items():
        pdf.draw_labels(sc, layer_id, features, 6.5)
    subject = [ft.geom for ft in drawn["parcels"] if ft.props.get("id") == info["parcel"]["id"]]
    if subject:
        geom = shapely.union_all(subject)
        sc.polygon(geom, HIGHLIGHT, 0.18, HIGHLIGHT, 1.0, 1.8, [])
        sc.label(geom, ref, 8.0, HIGHLIGHT, True)
    c.restoreState()
    c.saveState()
    c.setLineWidth(0.8)
    c.rect(f[0], f[1], f[2] - f[0], f[3] - f[1], stroke=1, fill=0)
    c.restoreState()
    pdf.draw_grid(c, sheet)

    header = pdf.Region(tuple(v * mm for v in HEADER), [header_block(info, settings, lang)])
    header.draw(c, _fit(header, 7.0))
    caption = pdf.Block([pdf.Row(_w("map", lang, scale=sheet.scale), 1.1, True)],
                        rule=False)
    body = pdf.Region(tuple(v * mm for v in TEXT), [caption, *text_blocks(info, lang)],
                      [], [pdf.scale_block(sheet), source_rows(info, lang, sheet.scale)])
    body.draw(c, _fit(body, 7.0))
    c.showPage()
    c.save()
    return buf.getvalue()

